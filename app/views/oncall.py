"""View models of the on-call lookup (``/oncall``) and a member's agenda (``/rota/mine``).

Pure functions over what the schedule service returns: they turn instants into the organization's
local wall-clock labels, so templates loop over ready rows and do no date arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from app.i18n import DEFAULT_LOCALE, _

if TYPE_CHECKING:
    from app.models import Assignment
    from app.services.rota.schedule import Slot

__all__ = (
    "WHEN_CHOICES",
    "AgendaDay",
    "AgendaEntry",
    "OnCallRow",
    "OnCallView",
    "agenda",
    "day_label",
    "oncall_view",
    "read_when",
    "tel_href",
    "time_label",
)

#: The quick choices of the "when" control; anything else is a date and time typed by the reader.
WHEN_CHOICES = ("now", "tonight", "tomorrow")


def read_when(raw_when: str, at_value: str) -> tuple[str, str, str]:
    """The "when" control's choice, the text to parse, and the date-and-time field's value.

    ``when`` is now / tonight / tomorrow, or "at" with the field's value; a date typed straight into
    the address (``?when=2026-03-04 03:00``) is read as "at" that time. An empty "at" gives empty text.
    """
    if raw_when in WHEN_CHOICES:
        return raw_when, raw_when, at_value
    if raw_when in {"", "at"}:
        return ("at", at_value, at_value) if at_value or raw_when == "at" else ("now", "now", at_value)
    return "at", raw_when, raw_when


def time_label(at: datetime, tz: ZoneInfo) -> str:
    """``19:00``: the local wall-clock time of an instant, 24-hour like a rota."""
    return format_time(at.astimezone(tz), "HH:mm", locale=DEFAULT_LOCALE)


def day_label(day: date) -> str:
    """``Wed 5 Mar``: short, unambiguous, and still right when read from a saved copy days later."""
    return format_date(day, "EEE d MMM", locale=DEFAULT_LOCALE)


def long_day_label(day: date) -> str:
    return format_date(day, "EEEE d MMMM", locale=DEFAULT_LOCALE)


def tel_href(phone: str | None) -> str | None:
    """A ``tel:`` link for a phone number as people type it (``+1 555 0100`` -> ``tel:+15550100``)."""
    if not phone:
        return None
    digits = re.sub(r"[^\d+]", "", phone)
    digits = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{digits}" if re.search(r"\d{3}", digits) else None


# -- on call ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCallRow:
    """One person on one shift at the instant looked up."""

    key: str
    shift_name: str
    shift_code: str
    color: str
    location: str
    qualification: str
    member_name: str
    phone: str | None
    phone_href: str | None
    since: str
    until: str
    ends_at: str  # ISO instant: a saved copy read later marks rows whose shift is over
    search_text: str  # what the offline filter matches, the same words the server searches


@dataclass(frozen=True)
class OnCallView:
    query: str
    when: str  # now | tonight | tomorrow | at
    at_value: str  # the date and time field's value (YYYY-MM-DDTHH:MM) when "when" is "at"
    at: datetime | None
    heading: str
    rows: list[OnCallRow]
    empty: str
    timezone: str
    error: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)


def _when_heading(when: str, at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    moment = _("%(time)s, %(day)s", time=time_label(at, tz), day=long_day_label(local.date()))
    if when == "tonight":
        return _("On call tonight, %(moment)s", moment=moment)
    if when == "tomorrow":
        return _("On call tomorrow, %(moment)s", moment=moment)
    if when == "at":
        return _("On call at %(moment)s", moment=moment)
    return _("On call now, %(moment)s", moment=moment)


def _oncall_row(slot: Slot, assignment: Assignment, tz: ZoneInfo) -> OnCallRow:
    shift = slot.shift
    location = shift.location.name if shift.location else ""
    membership = assignment.membership
    start, end = slot.when.starts_at, slot.when.ends_at
    words = [shift.code, shift.name, location, membership.user.name, shift.qualification or ""]
    return OnCallRow(
        key=f"{assignment.id}",
        shift_name=shift.name,
        shift_code=shift.code,
        color=shift.color,
        location=location,
        qualification=shift.qualification or "",
        member_name=membership.user.name,
        phone=membership.phone or None,
        phone_href=tel_href(membership.phone),
        since=_("since %(time)s %(day)s", time=time_label(start, tz), day=day_label(start.astimezone(tz).date())),
        until=_("until %(time)s %(day)s", time=time_label(end, tz), day=day_label(end.astimezone(tz).date())),
        ends_at=end.isoformat(),
        search_text=" ".join(w for w in words if w).lower(),
    )


def oncall_view(
    rows: list[tuple[Slot, Assignment]],
    *,
    tz: ZoneInfo,
    query: str,
    when: str,
    at_value: str,
    at: datetime | None,
    error: str | None = None,
) -> OnCallView:
    """The on-call page: a heading that says which instant, one row per person on duty, the empty text."""
    choices = [("now", _("Now")), ("tonight", _("Tonight")), ("tomorrow", _("Tomorrow")), ("at", _("Pick a time"))]
    if at is None:
        return OnCallView(
            query=query,
            when=when,
            at_value=at_value,
            at=None,
            heading=_("On call"),
            rows=[],
            empty="",
            timezone=str(tz),
            error=error,
            choices=choices,
        )
    heading = _when_heading(when, at, tz)
    moment = _("%(time)s, %(day)s", time=time_label(at, tz), day=long_day_label(at.astimezone(tz).date()))
    if query.strip():
        empty = _("Nobody is on call for “%(query)s” at %(moment)s.", query=query.strip(), moment=moment)
    else:
        empty = _("Nobody is on call at %(moment)s.", moment=moment)
    return OnCallView(
        query=query,
        when=when,
        at_value=at_value,
        at=at,
        heading=heading,
        rows=[_oncall_row(slot, a, tz) for slot, a in rows],
        empty=empty,
        timezone=str(tz),
        error=error,
        choices=choices,
    )


# -- my shifts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    shift_name: str
    shift_code: str
    color: str
    location: str
    times: str  # "19:00 - 07:00", with an en dash
    note: str  # "overnight, until Wed 5 Mar 07:00", "continues from Tue 4 Mar", ""
    hours: str  # "12 h", "11 h" on a spring-forward night
    holiday: str


@dataclass(frozen=True)
class AgendaDay:
    day: date
    label: str
    relative: str  # "Today", "Tomorrow" or ""
    is_weekend: bool
    entries: list[AgendaEntry]


def _hours(value: float) -> str:
    rounded = round(value, 2)
    text = f"{rounded:g}"
    return _("%(hours)s h", hours=text)


def agenda(
    slots: list[Slot], membership_id: int, *, tz: ZoneInfo, start: date, end: date, today: date
) -> list[AgendaDay]:
    """A member's shifts from ``start`` to ``end`` grouped by local day, with their real times.

    A shift that crosses midnight is listed on the day it starts, labelled "overnight"; one that
    started before ``start`` and reaches into it is listed on ``start``, labelled as continuing.
    """
    by_day: dict[date, list[AgendaEntry]] = {}
    for slot in slots:
        if not any(a.membership_id == membership_id for a in slot.assignments):
            continue
        local_start = slot.when.starts_at.astimezone(tz)
        local_end = slot.when.ends_at.astimezone(tz)
        ends_on = (slot.when.ends_at - timedelta(microseconds=1)).astimezone(tz).date()
        shown_on = slot.day if slot.day >= start else start
        if shown_on > end:
            continue
        times = f"{time_label(slot.when.starts_at, tz)} – {time_label(slot.when.ends_at, tz)}"
        if slot.day < start:
            note = _(
                "continues from %(day)s, until %(time)s",
                day=day_label(slot.day),
                time=time_label(slot.when.ends_at, tz),
            )
        elif ends_on > local_start.date():
            note = _(
                "overnight, until %(day)s %(time)s",
                day=day_label(local_end.date()),
                time=time_label(slot.when.ends_at, tz),
            )
        else:
            note = ""
        shift = slot.shift
        by_day.setdefault(shown_on, []).append(
            AgendaEntry(
                shift_name=shift.name,
                shift_code=shift.code,
                color=shift.color,
                location=shift.location.name if shift.location else "",
                times=times,
                note=note,
                hours=_hours(slot.when.hours),
                holiday=slot.holiday.name if slot.holiday else "",
            )
        )
    relative = {today: _("Today"), today + timedelta(days=1): _("Tomorrow")}
    return [
        AgendaDay(
            day=day,
            label=long_day_label(day),
            relative=relative.get(day, ""),
            is_weekend=day.weekday() >= 5,
            entries=by_day[day],
        )
        for day in sorted(by_day)
    ]
