"""View models of the rota calendar: day, week and month grids, shift chips, labels (the panel: rota_panel.py).

Pure functions over what the schedule service loaded (slots, holidays, shift types, members): no SQL and
no permission decisions here. The handler says whether the reader may change the schedule (``can_manage``)
and who they are (``me``); the templates only loop over what these functions return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from babel.dates import format_date, format_interval, format_skeleton

from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.services.rota.dates import is_weekend, month_bounds, month_grid, week_bounds

if TYPE_CHECKING:
    from collections.abc import Iterable
    from zoneinfo import ZoneInfo

    from app.models import Holiday, Location, Membership, ShiftType
    from app.services.rota.schedule import Slot

__all__ = (
    "VIEWS",
    "CalendarView",
    "Chip",
    "Day",
    "Filters",
    "Person",
    "build_calendar",
    "calendar_range",
    "calendar_url",
    "chips_for",
    "day_marks",
    "hours_label",
    "shift_colors_css",
)

VIEWS = ("day", "week", "month")
_TITLES = {"dr", "prof", "mr", "mrs", "ms", "mx"}
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


# -- filters and URLs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the calendar to; kept in every link as query parameters."""

    location: str = ""  # a location id
    shift: str = ""  # a shift type code
    member: str = ""  # "me" or a membership id

    def query(self, **extra: str) -> str:
        params = {k: v for k, v in (("location", self.location), ("shift", self.shift), ("member", self.member))
                  if v}
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    @property
    def active(self) -> bool:
        return bool(self.location or self.shift or self.member)


def _anchor_path(view: str, day: date) -> str:
    if view == "week":
        return f"/rota/week/{week_bounds(day)[0].isoformat()}"
    if view == "month":
        return f"/rota/month/{day:%Y-%m}"
    return f"/rota/day/{day.isoformat()}"


def calendar_url(view: str, day: date, filters: Filters | None = None) -> str:
    """The bookmarkable address of a view (weeks by their Monday, months as YYYY-MM), filters kept."""
    query = filters.query() if filters else ""
    return _anchor_path(view, day) + (f"?{query}" if query else "")


def calendar_range(view: str, day: date) -> tuple[date, date]:
    """The dates a view shows: one day, Monday to Sunday, or the month's whole weeks."""
    if view == "week":
        return week_bounds(day)
    if view == "month":
        grid = month_grid(day)
        return grid[0][0], grid[-1][-1]
    return day, day


# -- labels ----------------------------------------------------------------------------------------------


def _fmt(day: date, skeleton: str) -> str:
    return format_skeleton(skeleton, day, locale=DEFAULT_LOCALE)


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M")


def hours_label(hours: float) -> str:
    """Real hours, as "12 h" or "4.5 h"."""
    rounded = round(hours, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
    return _("%(h)s h", h=text)


def _title(view: str, day: date) -> str:
    if view == "week":
        monday, sunday = week_bounds(day)
        return _("Week of %(range)s", range=format_interval(monday, sunday, "yMMMd", locale=DEFAULT_LOCALE))
    if view == "month":
        return _fmt(day, "yMMMM")
    return format_date(day, "full", locale=DEFAULT_LOCALE)


# -- chips -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A member on a slot, with a tap-to-call link when they have a phone number."""

    name: str
    membership_id: int
    assignment_id: int
    phone: str | None
    is_me: bool

    @property
    def short_name(self) -> str:
        """"Dr. Amir Patel" as "A. Patel": what fits on a month grid's one-line chip."""
        words = [w for w in self.name.split() if w.lower().rstrip(".") not in _TITLES]
        if len(words) < 2:
            return words[0] if words else self.name
        return f"{words[0][0]}. {words[-1]}"

    @property
    def tel(self) -> str | None:
        if not self.phone:
            return None
        digits = re.sub(r"[^0-9+]", "", self.phone)
        return f"tel:{digits}" if digits else None


@dataclass
class Chip:
    """One slot as shown on one day. A shift crossing midnight gives two chips: its start and its end."""

    dom_id: str
    shift_id: int
    code: str
    name: str
    color_class: str
    location: str
    slot_day: date
    shown_on: date
    part: str  # whole | start | middle | end
    time_label: str
    short_time: str  # for the month grid's one-line chips: "19:00", "→07:00"
    started_label: str | None  # on a continuation: when the shift began ("Sun, Mar 1, 19:00")
    hours_label: str
    hours_note: str | None
    people: list[Person]
    headcount: int
    open_seats: int
    staffing_label: str | None
    panel_url: str | None
    aria_label: str

    @property
    def continues(self) -> bool:
        return self.part in {"middle", "end"}

    @property
    def has_me(self) -> bool:
        return any(p.is_me for p in self.people)


def _time_labels(slot: Slot, tz: ZoneInfo) -> tuple[date, date, str, str, int]:
    """Local start day, local end day, start "HH:MM", end "HH:MM" (an end at midnight is "24:00" the day before)
    and how many days later it ends."""
    start = slot.when.starts_at.astimezone(tz)
    end = slot.when.ends_at.astimezone(tz)
    end_day, end_text = end.date(), _clock(end)
    if end.time() == time(0, 0) and end_day > start.date():
        end_day, end_text = end_day - timedelta(days=1), "24:00"
    return start.date(), end_day, _clock(start), end_text, (end_day - start.date()).days


def chips_for(slot: Slot, tz: ZoneInfo, *, first: date, last: date, can_manage: bool,
              me: int | None = None) -> list[Chip]:
    """The chips of ``slot`` on each local day from ``first`` to ``last`` it touches."""
    start_day, end_day, start_text, end_text, later = _time_labels(slot, tz)
    shift = slot.shift
    location = shift.location.name if shift.location else ""
    people = [
        Person(name=a.membership.user.name, membership_id=a.membership_id, assignment_id=a.id,
               phone=a.membership.phone, is_me=me is not None and a.membership_id == me)
        for a in slot.assignments
    ]
    hours = slot.when.hours
    wall = shift.duration_minutes / 60
    note = None
    if abs(hours - wall) > 0.01:
        note = _("Clocks change during this shift: %(real)s instead of %(wall)s.", real=hours_label(hours),
                 wall=hours_label(wall))
    if not people:
        staffing = _("Unfilled")
    elif slot.open_seats:
        staffing = ngettext("%(num)d open seat", "%(num)d open seats", slot.open_seats)
    else:
        staffing = None
    names = ", ".join(p.name for p in people) or _("nobody yet")
    panel_url = f"/rota/slots/{shift.id}/{slot.day.isoformat()}" if can_manage else None
    chips = []
    touched = [start_day + timedelta(days=i) for i in range(later + 1)]
    for shown_on in touched:
        if not first <= shown_on <= last:
            continue
        if later == 0:
            part, label, short = "whole", f"{start_text}–{end_text}", start_text
        elif shown_on == start_day:
            part, label, short = "start", f"{start_text} → {end_text} (+{later})", start_text
        elif shown_on == end_day:
            part, label, short = "end", _("until %(time)s", time=end_text), f"→{end_text}"
        else:
            part, label, short = "middle", _("all day"), "↔"
        if part in {"whole", "start"}:
            when_text = label
        else:
            when_text = _("%(label)s, started %(day)s at %(time)s", label=label, day=_fmt(start_day, "MMMEd"),
                          time=start_text)
        aria = ", ".join(x for x in (shift.name, when_text, location, names, staffing or "") if x)
        suffix = "" if shown_on == slot.day else f"-on-{shown_on.isoformat()}"
        chips.append(Chip(
            dom_id=f"slot-{shift.id}-{slot.day.isoformat()}{suffix}", shift_id=shift.id, code=shift.code,
            name=shift.name, color_class=f"shift-{shift.id}", location=location, slot_day=slot.day,
            shown_on=shown_on, part=part, time_label=label, short_time=short,
            started_label=None if part in {"whole", "start"} else _("since %(day)s, %(time)s",
                                                                      day=_fmt(start_day, "MMMEd"), time=start_text),
            hours_label=hours_label(hours), hours_note=note,
            people=people, headcount=shift.headcount, open_seats=slot.open_seats, staffing_label=staffing,
            panel_url=panel_url, aria_label=aria,
        ))
    return chips


def day_marks(day: date, holiday: str | None) -> list[tuple[str, str]]:
    if holiday:
        return [("holiday", _("Holiday: %(name)s", name=holiday))]
    if is_weekend(day):
        return [("weekend", _("Weekend"))]
    return []


# -- days and views --------------------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    iso: str
    weekday: str  # "Mon"
    number: str  # "2"
    short_label: str  # "Mon, Mar 2"
    long_label: str  # "Monday, March 2, 2026"
    url: str
    is_today: bool
    is_weekend: bool
    holiday: str | None
    in_month: bool = True
    chips: list[Chip] = field(default_factory=list)

    @property
    def marks(self) -> list[tuple[str, str]]:
        """(kind, words) that say what colour also shows: today, weekend, holiday."""
        marks = []
        if self.is_today:
            marks.append(("today", _("Today")))
        marks.extend(day_marks(self.day, self.holiday))
        return marks

    @property
    def continuing(self) -> list[Chip]:
        """Shifts that began on an earlier day and are still running (the day view lists them first)."""
        return [c for c in self.chips if c.continues]

    @property
    def starting(self) -> list[Chip]:
        return [c for c in self.chips if not c.continues]

    @property
    def css(self) -> str:
        classes = ["rota-day"]
        if self.is_today:
            classes.append("is-today")
        if self.is_weekend:
            classes.append("is-weekend")
        if self.holiday:
            classes.append("is-holiday")
        if not self.in_month:
            classes.append("is-outside")
        if not self.chips:
            classes.append("is-empty")
        return " ".join(classes)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False
    aria_label: str | None = None


@dataclass
class FilterOptions:
    locations: list[tuple[str, str]]
    shifts: list[tuple[str, str]]
    members: list[tuple[str, str]]  # managers pick anyone; others get a "My shifts" toggle
    my_shifts: bool  # whether the reader can filter to their own shifts


@dataclass
class CalendarView:
    view: str
    anchor: date
    title: str
    start: date
    end: date
    days: list[Day]
    weeks: list[list[Day]]
    weekday_names: list[str]
    filters: Filters
    options: FilterOptions
    self_url: str
    form_action: str
    prev: Link
    today: Link
    next: Link
    views: list[Link]
    can_manage: bool
    has_shift_types: bool
    empty_message: str | None = None
    setup_url: str | None = None

    @property
    def total_chips(self) -> int:
        return sum(len(d.chips) for d in self.days)


def _step(view: str, day: date, direction: int) -> date:
    if view == "week":
        return week_bounds(day)[0] + timedelta(days=7 * direction)
    if view == "month":
        first, last = month_bounds(day)
        return (last + timedelta(days=1)) if direction > 0 else month_bounds(first - timedelta(days=1))[0]
    return day + timedelta(days=direction)


def _filter_options(*, locations: Iterable[Location], shift_types: Iterable[ShiftType],
                    members: Iterable[Membership], can_manage: bool, me: int | None) -> FilterOptions:
    return FilterOptions(
        locations=[(str(loc.id), loc.name) for loc in locations],
        shifts=[(s.code, f"{s.name} ({s.code})") for s in shift_types],
        members=[(str(m.id), m.user.name) for m in members if m.active and m.in_schedule and m.role != "viewer"]
        if can_manage else [],
        my_shifts=me is not None,
    )


def build_calendar(
    view: str,
    anchor: date,
    *,
    slots: list[Slot],
    tz: ZoneInfo,
    today: date,
    holidays: Iterable[Holiday],
    filters: Filters,
    locations: Iterable[Location] = (),
    shift_types: Iterable[ShiftType] = (),
    members: Iterable[Membership] = (),
    can_manage: bool = False,
    me: int | None = None,
) -> CalendarView:
    """The day, week or month around ``anchor`` as days holding chips, with its toolbar's links."""
    first, last = calendar_range(view, anchor)
    month_first, month_last = month_bounds(anchor)
    holiday_names = {h.date: h.name for h in holidays}
    query = filters.query()
    suffix = f"?{query}" if query else ""
    days = []
    by_day: dict[date, Day] = {}
    for offset in range((last - first).days + 1):
        d = first + timedelta(days=offset)
        cell = Day(day=d, iso=d.isoformat(), weekday=format_date(d, "EEE", locale=DEFAULT_LOCALE),
                   number=str(d.day), short_label=_fmt(d, "MMMEd"), long_label=format_date(d, "full",
                                                                                          locale=DEFAULT_LOCALE),
                   url=f"/rota/day/{d.isoformat()}{suffix}", is_today=d == today, is_weekend=is_weekend(d),
                   holiday=holiday_names.get(d), in_month=view != "month" or month_first <= d <= month_last)
        days.append(cell)
        by_day[d] = cell
    shift_list = list(shift_types)
    for slot in slots:
        for chip in chips_for(slot, tz, first=first, last=last, can_manage=can_manage, me=me):
            if view == "month" and chip.continues and chip.shown_on.day != 1:
                # The month shows each shift once, on the day it starts ("19:00 → 07:00 (+1)"), except
                # where it crosses into a new month: there the 1st shows it too ("until 07:00").
                continue
            by_day[chip.shown_on].chips.append(chip)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)] if view != "day" else [days]
    self_path = _anchor_path(view, anchor) if view != "week" else f"/rota/week/{anchor.isoformat()}"
    views = [
        Link(_("Day"), calendar_url("day", anchor, filters), current=view == "day"),
        Link(_("Week"), calendar_url("week", anchor, filters), current=view == "week"),
        Link(_("Month"), calendar_url("month", anchor, filters), current=view == "month"),
    ]
    unit = {"day": _("day"), "week": _("week"), "month": _("month")}[view]
    empty = None
    if not shift_list:
        empty = _("No shift types yet.")
    elif not any(d.chips for d in days):
        empty = _("No shifts match these filters.") if filters.active else _("No shifts in this period.")
    return CalendarView(
        view=view, anchor=anchor, title=_title(view, anchor), start=first, end=last, days=days, weeks=weeks,
        weekday_names=[format_date(d.day, "EEE", locale=DEFAULT_LOCALE) for d in days[:7]] if view == "month"
        else [],
        filters=filters,
        options=_filter_options(locations=locations, shift_types=shift_list, members=members,
                                can_manage=can_manage, me=me),
        self_url=self_path + suffix, form_action=self_path,
        prev=Link(_("Previous"), calendar_url(view, _step(view, anchor, -1), filters),
                  aria_label=_("Previous %(unit)s", unit=unit)),
        today=Link(_("Today"), calendar_url(view, today, filters), current=first <= today <= last),
        next=Link(_("Next"), calendar_url(view, _step(view, anchor, 1), filters),
                  aria_label=_("Next %(unit)s", unit=unit)),
        views=views, can_manage=can_manage, has_shift_types=bool(shift_list), empty_message=empty,
        setup_url="/rota/setup" if can_manage and not shift_list else None,
    )


# -- colours ---------------------------------------------------------------------------------------------


def shift_colors_css(shift_types: Iterable[Any]) -> str:
    """A stylesheet giving each shift type its colour (the page's CSP allows no inline styles)."""
    lines = []
    for s in shift_types:
        color = s.color if isinstance(s.color, str) and COLOR_RE.match(s.color) else "#0d6e6e"
        lines.append(f".shift-{int(s.id)} {{ --shift: {color}; }}")
    return "\n".join(lines) + "\n"
