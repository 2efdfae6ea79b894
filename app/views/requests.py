"""View models of the requests area: request rows and detail, my shifts, the swap form, open shifts,
preferences, the cover choices of a time-off approval. Pure functions over what the services loaded;
the handler says who is looking (``me``, ``is_manager``); templates only loop over what is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from app.i18n import _, ngettext
from app.services.rota.dates import occurrence
from app.services.rota.decided import settled_at
from app.services.rota.request_support import day_label, describe, range_label
from app.services.rota.requests import MAX_AHEAD_DAYS
from app.services.rota.rules import format_points

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from app.models import Assignment, Membership, Preference, RotaRequest, ShiftType
    from app.services.rota.decided import DecidedPage
    from app.services.rota.request_support import ChangePreview
    from app.services.rota.requests import CoverChoice, CoverOption, OpenShift

__all__ = (
    "cover_view",
    "decided_rows",
    "notice_text",
    "open_shift_row",
    "preference_row",
    "preview_view",
    "request_detail",
    "request_row",
    "shift_row",
)

def _kind_label(kind: str) -> str:
    return {"time_off": _("Time off"), "swap": _("Swap"), "giveaway": _("Give-away"),
            "volunteer": _("Volunteering")}.get(kind, kind)


def notice_text(key: str | None) -> str | None:
    """The one-line confirmations of this area (``?notice=<key>``)."""
    if not key:
        return None
    return {
        "time-off-sent": _("Your time off request is sent; a manager will answer it."),
        "time-off-approved": _("Your time off is approved."),
        "swap-sent": _("Your swap offer is sent; your colleague is asked by email."),
        "given-away": _("Your shift is in the open shifts list. You keep it until a colleague takes it."),
        "claimed": _("The shift is yours. The schedule has changed."),
        "claim-sent": _("Thank you: a manager will confirm that the shift is yours."),
        "volunteered": _("The shift is yours. The schedule has changed."),
        "volunteer-sent": _("Thank you for volunteering: a manager will confirm."),
        "accepted": _("Swap accepted. The schedule has changed."),
        "accepted-pending": _("Swap accepted; a manager will approve it."),
        "refused": _("You declined the swap."),
        "approved": _("Request approved."),
        "declined": _("Request declined."),
        "cancelled": _("Request withdrawn."),
        "preference-added": _("Preference saved."),
        "preference-removed": _("Preference removed."),
        "rules-saved": _("Rules saved. They apply to requests and swaps from now on."),
    }.get(key)


def _day(day: date) -> str:
    return day_label(day)


def _ago(then: datetime, now: datetime) -> str:
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", int(seconds // 60))
    if seconds < 86400:
        return ngettext("%(num)d hour ago", "%(num)d hours ago", int(seconds // 3600))
    return ngettext("%(num)d day ago", "%(num)d days ago", int(seconds // 86400))


def _times(shift: ShiftType, day: date, tz: ZoneInfo) -> str:
    when = occurrence(day, shift.start_time, shift.duration_minutes, tz)
    start, end = when.starts_at.astimezone(tz), when.ends_at.astimezone(tz)
    later = (end.date() - start.date()).days
    if end.time() == time(0, 0) and later:
        text = f"{start:%H:%M}\u201324:00"
        later -= 1
    else:
        text = f"{start:%H:%M}\u2013{end:%H:%M}"
    return text + (f" (+{later})" if later else "")


def shift_label(shift: ShiftType, day: date, tz: ZoneInfo) -> str:
    """E.g. "Night call, Sat, May 9, 19:00-07:00 (+1)"."""
    return _("%(shift)s, %(day)s, %(times)s", shift=shift.name, day=_day(day), times=_times(shift, day, tz))


# -- status ----------------------------------------------------------------------------------------------


def status_label(req: RotaRequest, *, me: int | None = None) -> tuple[str, str]:
    """(css tone, text) of a request's status as the people involved read it (``me``: who is reading)."""
    if req.status == "pending":
        if req.kind == "swap" and req.target_membership is not None:
            if me is not None and me == req.target_membership_id:
                return "pending", _("Waiting for your answer")
            return "pending", _("Waiting for %(name)s", name=req.target_membership.user.name)
        return "pending", _("Waiting for a manager")
    if req.status == "accepted":
        return "pending", _("Waiting for a manager")
    if req.status == "open":
        return "open", _("Open to volunteers")
    if req.status == "approved":
        return "ok", _("Approved automatically") if req.auto_reason and req.decided_by_id is None else _("Approved")
    if req.status == "declined":
        return "no", _("Declined")
    return "muted", _("Withdrawn")


@dataclass(frozen=True)
class RequestRow:
    id: int
    href: str
    kind: str
    summary: str
    tone: str
    status: str
    emergency: bool
    age: str
    note: str


def request_row(req: RotaRequest, now: datetime, *, me: int | None = None) -> RequestRow:
    tone, status = status_label(req, me=me)
    return RequestRow(id=req.id, href=f"/requests/{req.id}", kind=_kind_label(req.kind), summary=describe(req),
                      tone=tone, status=status, emergency=req.urgency == "emergency", age=_ago(req.created_at, now),
                      note=req.note)


# -- decided (managers) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecidedRow:
    id: int
    href: str
    kind: str
    summary: str
    tone: str
    status: str  # "Approved", "Approved automatically", "Declined", "Withdrawn"
    by: str  # "by Mona Manager", "by Olga Owner, who was offered the swap"; empty when nobody is named
    when: str  # "Mon, May 4 at 14:05", in the practice's timezone
    when_iso: str
    emergency: bool
    comment: str  # the decider's comment (or the colleague's answer to a refused swap)
    reason: str  # why a rule approved it, when no one had to


def _decided_by(req: RotaRequest, page: DecidedPage) -> tuple[str, str]:
    """(who, comment) of a settled request, as the manager reads the list."""
    if req.status == "cancelled":
        uid = page.withdrawn_by.get(req.id)
        return (_("by %(name)s", name=page.names[uid]) if uid in page.names else "", "")
    if req.decided_by_id and req.decided_by_id in page.names:
        return _("by %(name)s", name=page.names[req.decided_by_id]), req.decision_comment
    if req.status == "declined" and req.decided_at is None and req.target_membership is not None:
        # A swap the colleague turned down: no manager was asked.
        return (_("by %(name)s, who was offered the swap", name=req.target_membership.user.name),
                req.response_comment)
    return "", req.decision_comment


def decided_rows(page: DecidedPage, tz: ZoneInfo) -> list[DecidedRow]:
    rows = []
    for req in page.requests:
        tone, status = status_label(req)
        by, comment = _decided_by(req, page)
        at = settled_at(req).astimezone(tz)
        rows.append(DecidedRow(
            id=req.id, href=f"/requests/{req.id}", kind=_kind_label(req.kind), summary=describe(req), tone=tone,
            status=status, by=by, when=_("%(day)s at %(time)s", day=_day(at.date()), time=f"{at:%H:%M}"),
            when_iso=at.isoformat(), emergency=req.urgency == "emergency", comment=comment,
            reason=(req.auto_reason or "") if req.decided_by_id is None and req.status == "approved" else ""))
    return rows


# -- shifts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftRow:
    assignment_id: int
    day: str
    name: str
    times: str
    location: str
    label: str  # e.g. "Night call, Sat, May 9, 19:00-07:00 (+1)"
    swap_href: str
    giveaway_href: str
    offered: bool


def shift_row(a: Assignment, tz: ZoneInfo, *, offered: bool = False) -> ShiftRow:
    times = _times(a.shift_type, a.date, tz)
    location = a.shift_type.location.name if a.shift_type.location else ""
    return ShiftRow(assignment_id=a.id, day=_day(a.date), name=a.shift_type.name, times=times, location=location,
                    label=_("%(shift)s, %(day)s, %(times)s", shift=a.shift_type.name, day=_day(a.date), times=times),
                    swap_href=f"/requests/swap?assignment={a.id}",
                    giveaway_href=f"/requests/giveaway?assignment={a.id}",
                    offered=offered)


# -- previews --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonCheck:
    name: str
    breaches: list[tuple[str, bool]]  # (sentence, hard)
    effect: str


@dataclass(frozen=True)
class PreviewView:
    people: list[PersonCheck]
    breaks_nothing: bool
    blocked: bool
    effect: str
    approval_note: str
    lines: list[tuple[str, str]]  # (name, change) when one sentence would not read well


def preview_view(check: ChangePreview, *, after: str = "") -> PreviewView:
    """What a change does, for the "before you confirm" box. ``after`` names who confirms next, for the note."""
    people = [PersonCheck(s.name, [(b.message, b.hard) for b in s.breaches], s.effect) for s in check.sides]
    if check.blocked:
        note = _("This cannot go ahead: fix the conflict first.")
    elif check.breaches:
        note = _("Because it breaks a rule, a manager decides whether it goes ahead.")
    elif check.approval_setting:
        note = _("The practice asks a manager to approve this.")
    else:
        note = after or _("No manager's approval is needed.")
    lines = [] if check.simple_effect else [(s.name, s.effect_with_net) for s in check.sides if s.delta]
    return PreviewView(people=people, breaks_nothing=not check.breaches, blocked=check.blocked, effect=check.effect,
                       approval_note=note, lines=lines)


# -- detail ----------------------------------------------------------------------------------------------


@dataclass
class RequestDetail:
    id: int
    title: str
    summary: str
    tone: str
    status: str
    emergency: bool
    note: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    can_answer: bool = False
    can_decide: bool = False
    can_cancel: bool = False
    can_claim: bool = False
    approve_blocked: str | None = None  # why a manager cannot approve yet


def request_detail(req: RotaRequest, tz: ZoneInfo, now: datetime, *, me: int | None, is_manager: bool,
                   decider_names: dict[int, str]) -> RequestDetail:
    tone, status = status_label(req, me=me)
    facts: list[tuple[str, str]] = []
    created = req.created_at.astimezone(tz)
    facts.append((_("Asked"), _("%(day)s at %(time)s (%(ago)s)", day=_day(created.date()), time=f"{created:%H:%M}",
                                ago=_ago(req.created_at, now))))
    if req.kind == "time_off" and req.start_date and req.end_date:
        days = (req.end_date - req.start_date).days + 1
        facts.append((_("Days"), ngettext("%(num)d day: %(range)s", "%(num)d days: %(range)s", days,
                                          range=range_label(req.start_date, req.end_date))))
        facts.append((_("Kind"), _("Emergency") if req.urgency == "emergency" else _("Planned in advance")))
    if req.assignment is not None:
        a = req.assignment
        facts.append((_("Shift offered"), _("%(shift)s, %(day)s, %(times)s", shift=a.shift_type.name, day=_day(a.date),
                                             times=_times(a.shift_type, a.date, tz))))
    if req.counter_assignment is not None:
        a = req.counter_assignment
        facts.append((_("Shift taken back"), _("%(shift)s, %(day)s, %(times)s", shift=a.shift_type.name,
                                                day=_day(a.date), times=_times(a.shift_type, a.date, tz))))
    if req.kind == "volunteer" and req.shift_type and req.shift_date:
        facts.append((_("Shift"), shift_label(req.shift_type, req.shift_date, tz)))
    if req.response_comment:
        facts.append((_("Answer"), req.response_comment))
    if req.auto_reason:
        facts.append((_("Why"), req.auto_reason))
    if req.decided_by_id and req.decided_by_id in decider_names:
        facts.append((_("Decided by"), decider_names[req.decided_by_id]))
    if req.decision_comment:
        facts.append((_("Manager's comment"), req.decision_comment))
    is_mine = me is not None and me == req.membership_id
    is_target = me is not None and me == req.target_membership_id
    open_ = req.status in {"pending", "accepted", "open"}
    detail = RequestDetail(id=req.id, title=_kind_label(req.kind), summary=describe(req), tone=tone, status=status,
                           emergency=req.urgency == "emergency", note=req.note, facts=facts)
    detail.can_answer = req.kind == "swap" and req.status == "pending" and is_target
    detail.can_cancel = open_ and is_mine
    detail.can_claim = req.kind == "giveaway" and req.status == "open" and me is not None and not is_mine
    if is_manager and open_:
        detail.can_decide = True
        if req.kind == "swap" and req.status == "pending":
            detail.approve_blocked = _("%(name)s has not answered yet; you can approve once they accept.",
                                       name=req.target_membership.user.name if req.target_membership else "")
        elif req.kind == "giveaway" and req.status == "open":
            detail.approve_blocked = _("Nobody has taken this shift yet.")
    return detail


# -- cover choices of a time-off approval ----------------------------------------------------------------


@dataclass(frozen=True)
class CoverOptionView:
    membership_id: int
    name: str
    load: str
    fairest: bool


@dataclass(frozen=True)
class CoverView:
    field: str
    label: str
    options: list[CoverOptionView]
    others: list[tuple[str, str]]  # (name, first reason)


def _cover_load(option: CoverOption) -> str:
    points = format_points(option.points)
    if option.membership.fte == 1:  # per FTE is the same figure: say it once
        return ngettext("%(points)s point this month", "%(points)s points this month", 1 if points == "1" else 2,
                        points=points)
    return _("%(points)s points this month, %(per)s per FTE (FTE %(fte)s)", points=points,
             per=format_points(round(option.per_fte, 2)), fte=format_points(option.membership.fte))


def cover_view(choices: list[CoverChoice], tz: ZoneInfo) -> list[CoverView]:
    out = []
    for choice in choices:
        a = choice.assignment
        options = [CoverOptionView(o.membership.id, o.name, _cover_load(o), i == 0)
                   for i, o in enumerate(choice.options)]
        others = [(o.name, o.breaches[0].message) for o in choice.others]
        out.append(CoverView(field=f"cover_{a.id}",
                             label=_("%(shift)s, %(day)s, %(times)s", shift=a.shift_type.name, day=_day(a.date),
                                     times=_times(a.shift_type, a.date, tz)),
                             options=options, others=others))
    return out


# -- open shifts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenShiftRow:
    day: str
    name: str
    times: str
    location: str
    origin: str
    href: str | None
    action: str
    mine: bool
    asked: bool
    given_away: bool


def open_shift_row(o: OpenShift, tz: ZoneInfo, *, can_take: bool) -> OpenShiftRow:
    location = o.shift.location.name if o.shift.location else ""
    if o.request is not None:
        origin = _("Given away by %(name)s", name=o.request.membership.user.name)
        href = f"/requests/{o.request.id}"
        action = _("See the give-away") if o.mine else _("Take this shift")
    else:
        origin = ngettext("%(num)d open seat", "%(num)d open seats", o.seats)
        href = f"/requests/open/{o.shift.id}/{o.day.isoformat()}"
        action = _("Volunteer")
    return OpenShiftRow(day=_day(o.day), name=o.shift.name, times=_times(o.shift, o.day, tz), location=location,
                        origin=origin, href=href if (can_take or o.mine) else None, action=action, mine=o.mine,
                        asked=o.asked, given_away=o.request is not None)


# -- preferences -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    id: int
    kind: str
    text: str
    strength: str
    note: str


def strength_label(level: int) -> str:
    return {1: _("a little"), 2: _("quite a lot"), 3: _("very much")}.get(level, str(level))


def preference_row(p: Preference) -> PreferenceRow:
    if p.date and p.shift_type:
        what = _("%(shift)s on %(day)s", shift=p.shift_type.name, day=_day(p.date))
    elif p.date:
        what = _("any shift on %(day)s", day=_day(p.date))
    else:
        assert p.shift_type is not None
        what = _("%(shift)s shifts", shift=p.shift_type.name)
    text = _("Wants %(what)s", what=what) if p.kind == "want" else _("Would rather avoid %(what)s", what=what)
    return PreferenceRow(id=p.id, kind=p.kind, text=text, strength=strength_label(p.strength), note=p.note)


def strength_options() -> list[tuple[str, str]]:
    return [("1", _("1 · a little")), ("2", _("2 · quite a lot")), ("3", _("3 · very much"))]


def shift_options(shift_types: list[ShiftType]) -> list[tuple[str, str]]:
    return [(str(s.id), s.name) for s in shift_types]


def member_options(members: list[Membership]) -> list[tuple[str, str]]:
    return [(str(m.id), m.user.name) for m in members]


def assignment_options(rows: list[ShiftRow]) -> list[tuple[str, str]]:
    return [(str(r.assignment_id), r.label) for r in rows]


def default_dates(today: date) -> dict[str, Any]:
    return {"min": today.isoformat(), "max": (today + timedelta(days=MAX_AHEAD_DAYS)).isoformat()}
