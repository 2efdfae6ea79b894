"""Why a range cannot be scheduled, in sentences a manager can act on.

Two passes, cheapest first:

1. :func:`precheck` (no solver): each locked cell against leave, fixed days off and qualifications;
   each slot's open seats against the members who could take it ("Thu 25 Dec Peds call needs 1 member
   qualified PEDS; both are on approved time off (Ana, Ben)"); each day's open seats against the
   members free that day (a generated schedule gives a member at most one shift a day).
2. :func:`relax` (only when the solver proved the range infeasible and pass 1 found nothing): solve
   again for feasibility with one group of constraints left out at a time; a group whose removal makes
   the range feasible is named as the culprit, with what could be changed.

Each finding is a dict ``{"kind", "message", "hint"}`` (stored in the draft's ``explanation``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_date, format_skeleton

from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.services.rota.clashes import allowed_pairs
from app.services.rota.generate import RELAX_GROUPS, build_problem
from app.services.rota.solver import SolveOptions, solve

if TYPE_CHECKING:
    from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec

__all__ = ("MAX_FINDINGS", "precheck", "relax", "timeout_problem")

MAX_FINDINGS = 12


def _day(day: date) -> str:
    return format_skeleton("MMMEd", day, locale=DEFAULT_LOCALE)


def _names(members: list[MemberSpec], limit: int = 4) -> str:
    names = [m.name for m in members[:limit]]
    more = len(members) - len(names)
    text = ", ".join(names)
    return text + (_(" and %(n)d more", n=more) if more > 0 else "")


def _finding(kind: str, message: str, hint: str = "") -> dict[str, str]:
    return {"kind": kind, "message": message, "hint": hint}


def precheck(inputs: Inputs) -> list[dict[str, str]]:
    """Findings that need no solver: impossible locks, slots and days short of available members."""
    rules = inputs.rules
    members = {m.id: m for m in inputs.members}
    shifts = {s.id: s for s in inputs.shifts}
    found: list[dict[str, str]] = []

    def fixed_off(m: MemberSpec, day: date) -> bool:
        return day.weekday() in rules.fixed_days_off.get(m.id, frozenset())

    # 1. The draft's locks.
    for mid, sid, day in sorted(inputs.locks, key=lambda c: (c[2], c[1], c[0])):
        m, s = members.get(mid), shifts.get(sid)
        if m is None or s is None or not inputs.start <= day <= inputs.end:
            continue
        where = _("%(shift)s on %(day)s", shift=s.name, day=_day(day))
        if day in m.leave:
            found.append(_finding("lock", _("%(name)s is locked on %(where)s but has approved time off that day.",
                                            name=m.name, where=where), _("Unlock the cell, or move the lock.")))
        elif fixed_off(m, day):
            found.append(_finding("lock", _("%(name)s is locked on %(where)s, a fixed day off (%(weekday)s).",
                                            name=m.name, where=where,
                                            weekday=format_date(day, "EEEE", locale=DEFAULT_LOCALE)),
                                  _("Unlock the cell, or change the member's fixed days off in the rules.")))
        elif s.qualification and s.qualification not in m.qualifications:
            found.append(_finding("lock", _("%(name)s is locked on %(where)s, which needs the qualification %(q)s.",
                                            name=m.name, where=where, q=s.qualification),
                                  _("Unlock the cell, or add the qualification to the member.")))

    # Who is already fixed on which day (published or locked): a generated shift cannot be added there.
    busy: dict[date, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    seated: dict[tuple[int, date], int] = defaultdict(int)
    for mid, sid, day in [*inputs.published, *inputs.locks]:
        if inputs.start <= day <= inputs.end:
            busy[day][mid].append(sid)
            seated[(sid, day)] += 1

    # 2. Each slot's open seats against who could take them.
    no_qualified: dict[tuple[int, str], list[date]] = defaultdict(list)
    for day in inputs.days:
        for s in inputs.shifts:
            if not s.runs_on(day):
                continue
            open_seats = s.headcount - seated[(s.id, day)]
            if open_seats <= 0:
                continue
            qualified = [m for m in inputs.members if not s.qualification or s.qualification in m.qualifications]
            if not qualified:
                no_qualified[(s.id, s.qualification or "")].append(day)
                continue
            on_leave = [m for m in qualified if day in m.leave]
            day_off = [m for m in qualified if m not in on_leave and fixed_off(m, day)]
            working = [m for m in qualified if m not in on_leave and m not in day_off and m.id in busy[day]]
            free = [m for m in qualified if m not in on_leave and m not in day_off and m not in working]
            if len(free) >= open_seats:
                continue
            found.append(_finding("slot", _slot_sentence(s, day, open_seats, qualified, free, on_leave, day_off,
                                                         working),
                                  _("Find cover for the time off, add a qualified member, or lower the headcount of "
                                    "%(shift)s.", shift=s.name)))
    for (sid, q), days in no_qualified.items():
        s = shifts[sid]
        found.append(_finding("qualification", ngettext(
            "%(shift)s needs a member qualified %(q)s on %(num)d day (%(first)s); no member in the schedule holds it.",
            "%(shift)s needs a member qualified %(q)s on %(num)d days (from %(first)s); no member in the schedule "
            "holds it.", len(days), shift=s.name, q=q, first=_day(days[0])),
            _("Add the qualification %(q)s to the members who have it, under Members' details.", q=q)))

    # 3. Each day's open seats against the members free that day (one generated shift per member a day).
    per_member = 2 if allowed_pairs(inputs) else 1
    if not any(f["kind"] == "slot" for f in found):
        for day in inputs.days:
            seats = sum(max(0, s.headcount - seated[(s.id, day)]) for s in inputs.shifts if s.runs_on(day))
            if not seats:
                continue
            free = [m for m in inputs.members if day not in m.leave and not fixed_off(m, day) and m.id not in busy[day]]
            if len(free) * per_member < seats:
                found.append(_finding("day", ngettext(
                    "On %(day)s %(seats)d seats need filling but only %(num)d member is free.",
                    "On %(day)s %(seats)d seats need filling but only %(num)d members are free.", len(free),
                    day=_day(day), seats=seats),
                    _("A generated schedule gives each member at most one shift a day, or two that may be "
                      "combined. Lower headcounts, or review the time off and fixed days off of that day.")))
    if not inputs.members:
        found.insert(0, _finding("members", _("Nobody takes shifts yet."),
                                 _("Add members and tick 'takes shifts' under Members' details.")))
    if len(found) > MAX_FINDINGS:
        extra = len(found) - MAX_FINDINGS
        found = [*found[:MAX_FINDINGS], _finding("more", ngettext("And %(num)d more finding like these.",
                                                                  "And %(num)d more findings like these.", extra))]
    return found


def _slot_sentence(s: ShiftSpec, day: date, seats: int, qualified: list[MemberSpec], free: list[MemberSpec],
                   on_leave: list[MemberSpec], day_off: list[MemberSpec], working: list[MemberSpec]) -> str:
    who = (ngettext("%(num)d member qualified %(q)s", "%(num)d members qualified %(q)s", seats, q=s.qualification)
           if s.qualification else ngettext("%(num)d member", "%(num)d members", seats))
    head = _("%(day)s %(shift)s needs %(who)s", day=_day(day), shift=s.name, who=who)
    reasons = []
    if on_leave:
        reasons.append(_("on approved time off: %(names)s", names=_names(on_leave)))
    if day_off:
        reasons.append(_("fixed day off: %(names)s", names=_names(day_off)))
    if working:
        reasons.append(_("already working that day: %(names)s", names=_names(working)))
    if not free and len(qualified) == len(on_leave) and qualified:
        everyone = _("both are on approved time off") if len(qualified) == 2 else (
            _("the only one is on approved time off") if len(qualified) == 1 else
            _("all %(n)d are on approved time off", n=len(qualified)))
        return _("%(head)s; %(everyone)s (%(names)s).", head=head, everyone=everyone, names=_names(on_leave))
    free_text = ngettext("only %(num)d is free", "only %(num)d are free", len(free)) if free else \
        _("none is free")
    return _("%(head)s; %(free)s (%(reasons)s).", head=head, free=free_text, reasons="; ".join(reasons))


_GROUP_TEXT = {
    "locks": (lambda r: _("The locked cells cannot all be kept under the rules."),
              lambda r: _("Unlock some cells and regenerate.")),
    "leave": (lambda r: _("Approved time off leaves too few members on some days."),
              lambda r: _("Arrange cover for the time off, or lower headcounts on those days.")),
    "fixed_days_off": (lambda r: _("Members' fixed days off leave too few members on some days."),
                       lambda r: _("Review the fixed days off in the rules.")),
    "successions": (lambda r: _("The rules on which shifts may follow each other (forbidden successions, minimum "
                                "rest) cannot be kept."),
                    lambda r: _("Relax a forbidden succession or the minimum rest in the rules.")),
    "max_consecutive_days": (lambda r: _("The limit of %(n)s working days in a row cannot be kept.",
                                         n=r.max_consecutive_days),
                             lambda r: _("Raise the limit in the rules, or add members.")),
    "max_shifts_per_week": (lambda r: _("The limit of %(n)s shifts a week cannot be kept.", n=r.max_shifts_per_week),
                            lambda r: _("Raise the limit in the rules, or add members.")),
    "max_weekends_per_month": (lambda r: _("The limit of %(n)s weekends a month cannot be kept.",
                                           n=r.max_weekends_per_month),
                               lambda r: _("Raise the limit in the rules, or add members.")),
    "min_days_between_calls": (lambda r: _("Calls at least %(n)s days apart cannot be kept.",
                                           n=r.min_days_between_calls),
                               lambda r: _("Lower the minimum in the rules, or add members who take calls.")),
}


def _active_groups(inputs: Inputs) -> list[str]:
    r = inputs.rules
    present = {
        "locks": bool(inputs.locks),
        "leave": any(m.leave for m in inputs.members),
        "fixed_days_off": bool(r.fixed_days_off),
        "successions": bool(r.forbidden_successions) or r.min_rest_hours is not None,
        "max_consecutive_days": bool(r.max_consecutive_days),
        "max_shifts_per_week": bool(r.max_shifts_per_week),
        "max_weekends_per_month": r.max_weekends_per_month is not None,
        "min_days_between_calls": bool(r.min_days_between_calls and r.call_shift_types),
    }
    return [g for g in RELAX_GROUPS if present[g]]


def _feasible(inputs: Inputs, relax_groups: frozenset[str], seconds: float) -> bool | None:
    # Two shifts a day where the rules allow: the explanation names what no schedule at all could keep.
    built = build_problem(inputs, relax=relax_groups, feasibility_only=True, pairs=bool(allowed_pairs(inputs)))
    solution = solve(built.problem, SolveOptions(seconds=seconds, num_workers=2, lns=False, column_generation=False))
    if solution.schedule is not None:
        return True
    return False if solution.status == "INFEASIBLE" else None


def relax(inputs: Inputs, seconds: float = 1.5) -> list[dict[str, str]]:
    """Name the constraint groups whose removal alone makes the range feasible."""
    groups = _active_groups(inputs)
    found = []
    for group in groups:
        if _feasible(inputs, frozenset({group}), seconds):
            message, hint = _GROUP_TEXT[group]
            found.append(_finding(group, message(inputs.rules), hint(inputs.rules)))
    if found:
        return found
    if groups and _feasible(inputs, frozenset(groups), seconds):
        return [_finding("combination", _("No single rule is to blame: the rules together (%(rules)s) make this range "
                                          "impossible with the members available.",
                                          rules=", ".join(_GROUP_TEXT[g][0](inputs.rules).rstrip(".") for g in groups)),
                         _("Relax one or two of them, or add members, and generate again."))]
    seats = sum(s.headcount for d in inputs.days for s in inputs.shifts if s.runs_on(d))
    return [_finding("capacity", _("The shifts of this range (%(seats)d seats) cannot be covered by the members "
                                   "available, even ignoring the rules.", seats=seats),
                     _("Check qualifications and headcounts, or add members."))]


def timeout_problem(seconds: float) -> dict[str, str]:
    return _finding("timeout", _("No schedule was found within %(s)s seconds; the range may still be possible.",
                                 s=round(seconds)),
                    _("Generate again with more time, or relax a rule."))
