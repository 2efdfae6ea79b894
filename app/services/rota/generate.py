"""Fair schedule generation: the organization's data as a solver :class:`Problem`, and the result as a draft.

Three steps, each testable on its own:

1. :func:`load_inputs` reads what the generator needs (shift types, members with FTE and
   qualifications, approved time off, fixed days off, rules, holidays, preferences, the published
   schedule around the range and the draft's locked cells) into plain :class:`Inputs`;
2. :func:`build_problem` maps :class:`Inputs` to the solver's :class:`Problem` (pure);
3. :func:`app.services.rota.drafts.run_draft` (the worker's job) solves it with a time limit, streams
   progress, and writes the result as the draft's assignments, or an explanation a manager can act on.

What is kept, and how (the solver allows one shift per member and day):

- published assignments in the range stay as they are; a member's single shift on a day becomes a
  solver lock, a day on which they already work two or more shifts is closed to the solver and its
  points count as already earned. The draft holds only what the generator adds;
- the draft's locked cells (a manager's "keep this") are solver locks too: a lock that breaks a hard
  rule makes the month infeasible, and the explanation says which lock.

The objective, in this order (lexicographic through weights that no lower term can outweigh):

1. fairness: the largest deviation, over members, of weighted load *per FTE* from the member's fair
   share. Load counts the history window (published shifts of earlier months), each shift at its
   weight, weekend weight on Saturdays and Sundays, holiday weight on holidays. The fair share of a
   member is the whole load (history plus every seat of the range) times their FTE over the sum of FTEs;
2. the same for weekend and holiday points only (their spread);
3. preferences: each avoided shift worked costs its strength (1-3), each wanted one earns it.

Points are scaled by :data:`POINTS_SCALE` and per-FTE deviations by :data:`FTE_SCALE` (the model is
integral); :func:`decode` turns objective values back into "points per FTE".
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from app.models import Assignment, Holiday, Membership, Preference, ShiftType
from app.services.rota.dates import is_weekend
from app.services.rota.load import points_of
from app.services.rota.rules import Rules, load_rules
from app.services.rota.solver import (
    Cover,
    Employee,
    Fairness,
    Lock,
    Problem,
    Progress,
    Request,
    SolveOptions,
    solve,
)
from app.services.rota.solver import ShiftType as SolverShift
from app.services.rota.solver.problem import Limit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.rota.solver import Solution

__all__ = (
    "DEFAULT_HISTORY_MONTHS",
    "DEFAULT_SECONDS",
    "FTE_SCALE",
    "POINTS_SCALE",
    "Built",
    "Inputs",
    "MemberSpec",
    "ShiftSpec",
    "Wish",
    "allowed_pairs",
    "build_problem",
    "decode",
    "greedy_hint",
    "load_inputs",
    "needs_pairs",
    "reset_draft",
    "solve_inputs",
    "solve_options",
)

log = logging.getLogger(__name__)

POINTS_SCALE = 20  # 0.05-point resolution: weights such as 1.5, 1.25, 0.2 are exact
FTE_SCALE = 20  # deviation x 20/FTE: 1.0 -> 20, 0.5 -> 40, 0.8 -> 25
DEFAULT_SECONDS = 10
MAX_SECONDS = 120
DEFAULT_HISTORY_MONTHS = 3
MAX_DAYS = 62
RELAX_GROUPS = ("locks", "leave", "fixed_days_off", "successions", "max_consecutive_days", "max_shifts_per_week",
                "max_weekends_per_month", "min_days_between_calls")


# -- plain inputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSpec:
    id: int
    code: str
    name: str
    start_time: time
    minutes: int
    days_of_week: tuple[int, ...]
    headcount: int = 1
    weight: float = 1.0
    weekend_weight: float = 1.5
    holiday_weight: float = 2.0
    qualification: str | None = None
    active: bool = True

    def runs_on(self, day: date) -> bool:
        return self.active and day.weekday() in self.days_of_week


@dataclass(frozen=True)
class MemberSpec:
    id: int
    name: str
    fte: float = 1.0
    qualifications: frozenset[str] = frozenset()
    leave: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Wish:
    """A preference: ``kind`` want | avoid, on a date and/or a shift type, strength 1-3."""

    membership_id: int
    kind: str
    day: date | None = None
    shift_type_id: int | None = None
    strength: int = 2


@dataclass
class Inputs:
    start: date
    end: date
    shifts: list[ShiftSpec]
    members: list[MemberSpec]
    rules: Rules = field(default_factory=Rules)
    holidays: frozenset[date] = frozenset()
    holiday_names: dict[date, str] = field(default_factory=dict)
    # (membership id, shift type id, day): published around the range (history window to a month after)
    published: list[tuple[int, int, date]] = field(default_factory=list)
    # the draft's locked cells, same shape
    locks: list[tuple[int, int, date]] = field(default_factory=list)
    wishes: list[Wish] = field(default_factory=list)
    history_start: date | None = None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def scaled_points(shift: Any, day: date, holidays: Iterable[date]) -> tuple[str, int]:
    p = points_of(shift, day, holidays)
    return p.category, round(p.value * POINTS_SCALE)


def fte_scale(fte: float) -> int:
    return max(1, round(FTE_SCALE / (fte if fte and fte > 0 else 1.0)))


# -- inputs -> problem -----------------------------------------------------------------------------------


@dataclass
class Built:
    """The problem and what is needed to read its solution back.

    The solver allows one shift per member and day; two shift types that may be worked on one day
    (they do not overlap, and the rules allow the pair) become a combined *unit* ("clinic-am+night-call")
    when the range needs them. ``units[s]`` are the shift type ids of the solver's shift ``s``.
    """

    problem: Problem
    inputs: Inputs
    days: list[date]
    units: list[tuple[int, ...]]
    member_ids: list[int]
    w1: int
    w2: int
    negative: int  # the most the preference term can go below zero
    fixed_singles: set[tuple[int, int, date]] = field(default_factory=set)  # locked/published cells kept as locks
    requirement: dict[tuple[int, date], int] = field(default_factory=dict)  # seats the solver fills (incl. locks)
    combine: dict[tuple[int, int], int] = field(default_factory=dict)  # (unit a, unit b) -> combined unit

    @property
    def shift_ids(self) -> list[int]:
        return [u[0] for u in self.units if len(u) == 1]

    def assignments(self, solution: Solution) -> list[tuple[int, int, date]]:
        """(membership, shift type, day) of every cell the solver chose that is not already fixed."""
        out: list[tuple[int, int, date]] = []
        if solution.schedule is None:
            return out
        for e, row in enumerate(solution.schedule):
            for d, s in enumerate(row):
                if s is None:
                    continue
                for sid in self.units[s]:
                    cell = (self.member_ids[e], sid, self.days[d])
                    if cell not in self.fixed_singles:
                        out.append(cell)
        return out


def _minutes(s: ShiftSpec) -> tuple[int, int]:
    start = s.start_time.hour * 60 + s.start_time.minute
    return start, start + s.minutes


def _gap_minutes(a: ShiftSpec, b: ShiftSpec) -> int:
    """Minutes from the end of ``a`` on one day to the start of ``b`` the next day (negative: they overlap)."""
    return 24 * 60 + _minutes(b)[0] - _minutes(a)[1]


def allowed_pairs(inputs: Inputs) -> list[tuple[ShiftSpec, ShiftSpec]]:
    """Pairs of shift types one member may work on the same day: they do not overlap and the rules allow it."""
    shifts = [s for s in inputs.shifts if s.active]
    rules = inputs.rules
    pairs = []
    for i, a in enumerate(shifts):
        for b in shifts[i + 1:]:
            (a0, a1), (b0, b1) = _minutes(a), _minutes(b)
            if a0 < b1 and b0 < a1:
                continue
            if rules.limit_same_day and frozenset((a.id, b.id)) not in rules.combinable:
                continue
            pairs.append((a, b) if a0 <= b0 else (b, a))
    return pairs


def needs_pairs(inputs: Inputs) -> bool:
    """Whether some day has more seats than members free to take them one shift each."""
    fixed_off = inputs.rules.fixed_days_off
    for day in inputs.days:
        seats = sum(s.headcount for s in inputs.shifts if s.runs_on(day))
        free = sum(1 for m in inputs.members
                   if day not in m.leave and day.weekday() not in fixed_off.get(m.id, frozenset()))
        if seats > free:
            return True
    return False


def build_problem(inputs: Inputs, *, relax: frozenset[str] = frozenset(), feasibility_only: bool = False) -> Built:
    """The solver's problem for ``inputs``; ``relax`` leaves constraint groups out (the explanation's search)."""
    rules = inputs.rules
    days = inputs.days
    nd = len(days)
    index_of = {d: i for i, d in enumerate(days)}
    shifts = [s for s in inputs.shifts if s.active]
    by_id = {s.id: s for s in inputs.shifts}
    solver_ids = {s.id for s in shifts}
    members = list(inputs.members)
    member_ids = {m.id for m in members}
    holidays = inputs.holidays

    # The solver's shifts: each shift type, then the pairs a member may combine on one day (when needed,
    # or when the rules list them explicitly).
    units: list[tuple[int, ...]] = [(s.id,) for s in shifts]
    if needs_pairs(inputs) or (rules.limit_same_day and rules.combinable):
        units += [(a.id, b.id) for a, b in allowed_pairs(inputs)]
    uid = ["+".join(str(x) for x in u) for u in units]
    unit_of = {frozenset(u): i for i, u in enumerate(units)}
    combine = {(unit_of[frozenset((u[0],))], unit_of[frozenset((u[1],))]): i
               for i, u in enumerate(units) if len(u) == 2}
    combine.update({(b, a): c for (a, b), c in list(combine.items())})
    containing: dict[int, list[int]] = defaultdict(list)  # shift type -> units with it
    for i, u in enumerate(units):
        for sid in u:
            containing[sid].append(i)

    # Fixed cells in the range: published, plus the draft's locks.
    fixed: dict[tuple[int, date], list[tuple[int, bool]]] = defaultdict(list)  # (member, day) -> [(shift, lock)]
    for mid, sid, day in inputs.published:
        if inputs.start <= day <= inputs.end:
            fixed[(mid, day)].append((sid, False))
    if "locks" not in relax:
        for mid, sid, day in inputs.locks:
            if inputs.start <= day <= inputs.end:
                fixed[(mid, day)].append((sid, True))

    # Fixed shifts that form a unit the solver knows become a lock; anything else closes the day ("prefilled").
    singles: set[tuple[int, int, date]] = set()
    lock_units: list[tuple[int, int, date]] = []  # (member, unit, day)
    prefilled: list[tuple[int, int, date]] = []
    members_by_id = {m.id: m for m in members}
    for (mid, day), cells in fixed.items():
        unit = unit_of.get(frozenset(sid for sid, _lock in cells))
        if mid in member_ids and unit is not None and len({sid for sid, _l in cells}) == len(cells):
            m = members_by_id[mid]
            closed = (day in m.leave and "leave" not in relax) or (
                "fixed_days_off" not in relax and day.weekday() in rules.fixed_days_off.get(mid, frozenset()))
            if closed and not any(lock for _sid, lock in cells):
                prefilled.extend((mid, sid, day) for sid, _l in cells)  # published before the leave: kept as it is
            else:
                singles.update((mid, sid, day) for sid, _l in cells)
                lock_units.append((mid, unit, day))
        else:
            prefilled.extend((mid, sid, day) for sid, _lock in cells)
    prefill_days = {(mid, day) for mid, _sid, day in prefilled}

    # Successions between units on consecutive days: the rules', and any pair too close in time.
    def forbidden(a: ShiftSpec, b: ShiftSpec) -> bool:
        gap = _gap_minutes(a, b)
        if gap < 0:
            return True  # overlap: never both
        if "successions" in relax:
            return False
        too_soon = rules.min_rest_hours is not None and gap < rules.min_rest_hours * 60
        return (a.id, b.id) in rules.forbidden_successions or too_soon

    solver_shifts = []
    for i, u in enumerate(units):
        nxt = {uid[j] for j, v in enumerate(units) if any(forbidden(by_id[a], by_id[b]) for a in u for b in v)}
        solver_shifts.append(SolverShift(uid[i], sum(by_id[x].minutes for x in u), frozenset(nxt)))

    # Weekends: Saturday and the following Sunday, split at a month end (a weekend counts in each month).
    weekend_groups: dict[tuple[int, int, date], list[int]] = {}
    for i, day in enumerate(days):
        if is_weekend(day):
            saturday = day - timedelta(days=day.weekday() - 5)
            weekend_groups.setdefault((day.year, day.month, saturday), []).append(i)
    weekend_keys = list(weekend_groups)
    weekends = [tuple(weekend_groups[k]) for k in weekend_keys]

    published_by_member: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for mid, sid, day in inputs.published:
        published_by_member[mid].append((sid, day))
    call_ids = {s for s in rules.call_shift_types if s in solver_ids}
    call_units = frozenset(uid[i] for i, u in enumerate(units) if call_ids & set(u))
    doubles = tuple((uid[i], len(u)) for i, u in enumerate(units) if len(u) > 1)

    employees = []
    for m in members:
        mid = m.id
        outside = [(sid, day) for sid, day in published_by_member.get(mid, []) if not inputs.start <= day <= inputs.end]
        pre = [(sid, day) for pmid, sid, day in prefilled if pmid == mid]
        off: set[int] = set()
        if "leave" not in relax:
            off.update(index_of[d] for d in m.leave if d in index_of)
        if "fixed_days_off" not in relax:
            wd = rules.fixed_days_off.get(mid, frozenset())
            off.update(i for i, d in enumerate(days) if d.weekday() in wd)
        off.update(index_of[d] for pmid, d in prefill_days if pmid == mid and d in index_of)
        # A draft's lock on a closed day stays a lock: the model is then infeasible and the explanation says so.
        emp = Employee(id=str(mid), days_off=frozenset(off))
        for i, u in enumerate(units):
            if any(by_id[x].qualification and by_id[x].qualification not in m.qualifications for x in u):
                emp.max_shifts[uid[i]] = 0
        fixed_counts: dict[date, int] = defaultdict(int)  # shifts on days the solver does not decide
        for _sid, day in outside + pre:
            fixed_counts[day] += 1
        # Published shifts right outside the range: what may follow the day before, precede the day after.
        before_first = [by_id[sid] for sid, day in outside if day == inputs.start - timedelta(days=1) and sid in by_id]
        after_last = [by_id[sid] for sid, day in outside if day == inputs.end + timedelta(days=1) and sid in by_id]
        if before_first:
            banned = frozenset(uid[j] for j, u in enumerate(units)
                               if any(forbidden(a, by_id[x]) for a in before_first for x in u))
            if banned:
                emp.limits.append(Limit((0,), 0, banned))
        if after_last:
            banned = frozenset(uid[j] for j, u in enumerate(units)
                               if any(forbidden(by_id[x], b) for b in after_last for x in u))
            if banned:
                emp.limits.append(Limit((nd - 1,), 0, banned))
        if rules.max_consecutive_days and "max_consecutive_days" not in relax:
            k = rules.max_consecutive_days
            emp.max_consecutive = k
            before = 0
            day = inputs.start - timedelta(days=1)
            while fixed_counts.get(day):
                before += 1
                day -= timedelta(days=1)
            if before:
                window = tuple(range(0, max(0, k - before) + 1))
                emp.limits.append(Limit(window, max(0, k - before)))
        if rules.max_shifts_per_week and "max_shifts_per_week" not in relax:
            monday = inputs.start - timedelta(days=inputs.start.weekday())
            while monday <= inputs.end:
                week = [monday + timedelta(days=i) for i in range(7)]
                inside = tuple(index_of[d] for d in week if d in index_of and (mid, d) not in prefill_days)
                already = sum(fixed_counts.get(d, 0) for d in week)
                emp.limits.append(Limit(inside, max(0, rules.max_shifts_per_week - already), weights=doubles))
                monday += timedelta(days=7)
        if rules.min_days_between_calls and call_units and "min_days_between_calls" not in relax:
            k = rules.min_days_between_calls
            fixed_calls = {day for sid, day in outside + pre if sid in call_ids}
            for first in range(-(k - 1), nd):
                window = [inputs.start + timedelta(days=first + j) for j in range(k)]
                inside = tuple(index_of[d] for d in window if d in index_of)
                if inside:
                    emp.limits.append(Limit(inside, max(0, 1 - sum(1 for d in window if d in fixed_calls)),
                                            call_units))
        if rules.max_weekends_per_month is not None and "max_weekends_per_month" not in relax:
            months = sorted({(y, mo) for y, mo, _sat in weekend_keys})
            for y, mo in months:
                idx = tuple(i for i, key in enumerate(weekend_keys) if key[:2] == (y, mo))
                taken = {day - timedelta(days=day.weekday() - 5) for _sid, day in outside + pre
                         if is_weekend(day) and (day.year, day.month) == (y, mo)}
                emp.weekend_limits.append((idx, max(0, rules.max_weekends_per_month - len(taken))))
        employees.append(emp)

    locks = [Lock(str(mid), index_of[day], uid[u]) for mid, u, day in sorted(lock_units, key=lambda c: (c[2], c[0]))]

    # Cover: every cell of every shift type has an exact headcount (0 where it does not run), so the
    # solver never adds a seat to even out the points. Combined units fill both their shift types.
    cover = []
    requirement: dict[tuple[int, date], int] = {}
    pre_by_slot: dict[tuple[int, date], int] = defaultdict(int)
    for _mid, sid, day in prefilled:
        pre_by_slot[(sid, day)] += 1
    single_by_slot: dict[tuple[int, date], int] = defaultdict(int)
    for _mid, sid, day in singles:
        single_by_slot[(sid, day)] += 1
    for i, day in enumerate(days):
        for s in shifts:
            seats = s.headcount if s.runs_on(day) else 0
            need = max(seats - pre_by_slot[(s.id, day)], single_by_slot[(s.id, day)])
            requirement[(s.id, day)] = need
            also = frozenset(uid[j] for j in containing[s.id] if len(units[j]) > 1)
            cover.append(Cover(i, str(s.id), need, hard=True, also=also))

    built = Built(problem=Problem(name=f"{inputs.start}..{inputs.end}", num_days=nd, shifts=solver_shifts,
                                  employees=employees, cover=cover, weekends=weekends, locks=locks),
                  inputs=inputs, days=days, units=units, member_ids=[m.id for m in members], w1=1, w2=1,
                  negative=0, fixed_singles=singles, requirement=requirement, combine=combine)
    if feasibility_only or not members:
        return built

    # Fairness: points per cell, history per member, fair share per member.
    points: dict[tuple[int, str], int] = {}
    wk_points: dict[tuple[int, str], int] = {}
    total = total_wk = 0
    for i, day in enumerate(days):
        for j, u in enumerate(units):
            parts = [scaled_points(by_id[x], day, holidays) for x in u]
            points[(i, uid[j])] = sum(p for _c, p in parts)
            weekendish = sum(p for c, p in parts if c != "weekday")
            if weekendish:
                wk_points[(i, uid[j])] = weekendish
        for s in shifts:
            cat, pts = scaled_points(s, day, holidays)
            seats = requirement[(s.id, day)]
            total += seats * pts
            if cat != "weekday":
                total_wk += seats * pts
    history: dict[str, int] = defaultdict(int)
    history_wk: dict[str, int] = defaultdict(int)
    window_start = inputs.history_start or inputs.start
    counted = [(mid, sid, day) for mid, sid, day in inputs.published
               if window_start <= day < inputs.start and mid in member_ids] + \
              [c for c in prefilled if c[0] in member_ids]
    for mid, sid, day in counted:
        shift = by_id.get(sid)
        if shift is None:
            continue
        cat, pts = scaled_points(shift, day, holidays)
        history[str(mid)] += pts
        total += pts
        if cat != "weekday":
            history_wk[str(mid)] += pts
            total_wk += pts
    fte_sum = sum(m.fte or 1.0 for m in members)
    target = {str(m.id): round(total * (m.fte or 1.0) / fte_sum) for m in members}
    target_wk = {str(m.id): round(total_wk * (m.fte or 1.0) / fte_sum) for m in members}
    scale = {str(m.id): fte_scale(m.fte) for m in members}

    requests: list[Request] = []
    for wish in inputs.wishes:
        if wish.membership_id not in member_ids:
            continue
        strength = max(1, min(3, wish.strength))
        for i, day in enumerate(days):
            if wish.day is not None and wish.day != day:
                continue
            for j, u in enumerate(units):
                if not all(by_id[x].runs_on(day) for x in u):
                    continue
                if wish.shift_type_id is not None and wish.shift_type_id not in u:
                    continue
                # avoid: costs its strength when worked; want: earns it (a negative cost, no constant offset)
                weight = strength if wish.kind == "avoid" else -strength
                requests.append(Request(str(wish.membership_id), i, uid[j], weight, on=False))
    # Two shifts on one day only when needed: each combined day costs like a mild "avoid".
    for m in members:
        for i, day in enumerate(days):
            for j, u in enumerate(units):
                if len(u) > 1 and all(by_id[x].runs_on(day) for x in u):
                    requests.append(Request(str(m.id), i, uid[j], 1, on=False))
    positive = sum(r.weight for r in requests if r.weight > 0)
    negative = -sum(r.weight for r in requests if r.weight < 0)
    spread = positive + negative
    top_wk = sum(wk_points.values())
    b2 = max((scale[str(m.id)] * (top_wk + abs(history_wk[str(m.id)] - target_wk[str(m.id)])) for m in members),
             default=0)
    w2 = spread + 1
    w1 = w2 * (b2 + 1) + spread + 1
    built.problem.requests = requests
    built.problem.fairness = Fairness(points=points, target=target, history=dict(history), weight=w1, scale=scale)
    built.problem.extra_fairness = [Fairness(points=wk_points, target=target_wk, history=dict(history_wk), weight=w2,
                                             scale=scale)]
    built.w1, built.w2, built.negative = w1, w2, negative
    return built


def decode(built: Built, objective: float | None) -> float | None:
    """The largest deviation from fair share, in points per FTE, that an objective value stands for."""
    if objective is None or objective + built.negative < 0:
        return None  # no bound proven yet
    main = (int(objective) + built.negative) // built.w1
    return round(main / (POINTS_SCALE * FTE_SCALE), 2)


def solve_inputs(inputs: Inputs, *, seconds: float, progress: Callable[[Progress], None] | None = None,
                 workers: int = 2) -> tuple[Built, Solution]:
    built = build_problem(inputs)
    return built, solve(built.problem, solve_options(built, seconds=seconds, progress=progress, workers=workers))


def greedy_hint(problem: Problem, **kw: Any) -> list[list[int | None]]:
    """See :func:`app.services.rota.hint.greedy_hint`."""
    from app.services.rota.hint import greedy_hint as fill

    return fill(problem, **kw)


def solve_options(built: Built, *, seconds: float, progress: Callable[[Progress], None] | None = None,
                  workers: int = 2) -> SolveOptions:
    """The generator's search: hinted with :func:`greedy_hint`, short neighbourhood solves."""
    from app.services.rota.hint import best_hint

    began = clock.monotonic()
    hint = best_hint(built.problem, combine=built.combine, budget=min(0.6, seconds / 10))
    seconds = max(0.5, seconds - (clock.monotonic() - began))  # the hint's time counts against the limit
    return SolveOptions(seconds=seconds, num_workers=workers, progress=progress, hint=hint,
                        sub_seconds=max(0.3, min(2.0, seconds / 5)))


# -- from the database -----------------------------------------------------------------------------------


def _month_back(day: date, months: int) -> date:
    y, m = day.year, day.month - months
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


async def load_inputs(session: AsyncSession, organization_id: int, start: date, end: date, *,
                      draft_id: int | None = None, history_months: int = DEFAULT_HISTORY_MONTHS) -> Inputs:
    """Everything the generator needs about one organization and range, as plain :class:`Inputs`."""
    history_start = _month_back(start, history_months) if history_months > 0 else start
    shift_rows = (await session.execute(select(ShiftType).where(ShiftType.organization_id == organization_id)
                                        .order_by(ShiftType.position, ShiftType.code))).scalars().unique()
    shifts = [ShiftSpec(s.id, s.code, s.name, s.start_time, s.duration_minutes, tuple(s.days_of_week or ()),
                        s.headcount, s.weight, s.weekend_weight, s.holiday_weight, s.qualification, s.active)
              for s in shift_rows]
    member_rows = list((await session.execute(
        select(Membership).where(Membership.organization_id == organization_id, Membership.active.is_(True),
                                 Membership.in_schedule.is_(True), Membership.role != "viewer")
    )).scalars().unique())
    try:
        from app.services.rota.requests import approved_time_off

        leave = await approved_time_off(session, organization_id, start, end)
    except ImportError:  # the request workflow is not installed
        leave = {}
    members = [MemberSpec(m.id, m.user.name, float(m.fte or 1.0), frozenset(m.qualifications or []),
                          frozenset(leave.get(m.id, ()))) for m in member_rows]
    members.sort(key=lambda m: (m.name.lower(), m.id))
    rules = await load_rules(session, organization_id)
    hol_rows = (await session.execute(select(Holiday).where(
        Holiday.organization_id == organization_id, Holiday.active.is_(True), Holiday.date >= history_start,
        Holiday.date <= end))).scalars()
    holiday_names = {h.date: h.name for h in hol_rows}
    published = [(a.membership_id, a.shift_type_id, a.date) for a in (await session.execute(
        select(Assignment.membership_id, Assignment.shift_type_id, Assignment.date).where(
            Assignment.organization_id == organization_id, Assignment.status == "active",
            Assignment.draft_id.is_(None), Assignment.date >= history_start,
            Assignment.date <= end + timedelta(days=31)))).all()]
    locks = []
    if draft_id is not None:
        locks = [(a.membership_id, a.shift_type_id, a.date) for a in (await session.execute(
            select(Assignment.membership_id, Assignment.shift_type_id, Assignment.date).where(
                Assignment.draft_id == draft_id, Assignment.status == "active", Assignment.locked.is_(True)))).all()]
    wish_rows = (await session.execute(select(Preference).where(Preference.organization_id == organization_id)))
    wishes = [Wish(p.membership_id, p.kind, p.date, p.shift_type_id, p.strength) for p in wish_rows.scalars().unique()
              if p.date is None or start <= p.date <= end]
    return Inputs(start=start, end=end, shifts=shifts, members=members, rules=rules,
                  holidays=frozenset(holiday_names), holiday_names=holiday_names, published=published, locks=locks,
                  wishes=wishes, history_start=history_start)


async def reset_draft(session: AsyncSession, draft_id: int) -> None:
    """Drop a draft's unlocked assignments (before regenerating around its locks)."""
    await session.execute(delete(Assignment).where(Assignment.draft_id == draft_id, Assignment.locked.is_(False)))
