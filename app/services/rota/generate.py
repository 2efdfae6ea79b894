"""Fair schedule generation: the solver's :class:`Problem` for an organization's range, and solving it.

Three steps, each testable on its own:

1. :func:`app.services.rota.generate_inputs.load_inputs` reads what the generator needs into plain
   :class:`~app.services.rota.generate_inputs.Inputs`;
2. :func:`build_problem` maps them to the solver's :class:`Problem` (pure): the hard constraints here, the
   objective (fairness per FTE, weekend spread, preferences) in :mod:`app.services.rota.objective`;
3. :func:`app.services.rota.draft_runs.run_draft` (the worker's job) solves it with a time limit, streams
   progress, and writes the result as the draft's assignments, or an explanation a manager can act on.

What is kept, and how (the solver allows one shift per member and day):

- published assignments in the range stay as they are; a member's single shift on a day becomes a
  solver lock, a day on which they already work two or more shifts is closed to the solver and its
  points count as already earned. The draft holds only what the generator adds;
- the draft's locked cells (a manager's "keep this") are solver locks too: a lock that breaks a hard
  rule makes the month infeasible, and the explanation says which lock.

Rules are hard constraints, counted as :func:`app.services.rota.rules.check_change` counts them: rest
between shifts in real hours in the organization's time zone (one hour less across the night the clocks
spring forward, one more in autumn), against published shifts just outside the range too
(:mod:`app.services.rota.clashes`).
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from app.services.rota.clashes import Clashes, allowed_pairs
from app.services.rota.dates import is_weekend
from app.services.rota.objective import add_objective
from app.services.rota.solver import (
    Cover,
    Employee,
    Lock,
    Problem,
    Progress,
    SolveOptions,
    solve,
)
from app.services.rota.solver import ShiftType as SolverShift
from app.services.rota.solver.problem import Limit

if TYPE_CHECKING:
    from app.services.rota.generate_inputs import Inputs
    from app.services.rota.solver import Solution

__all__ = (
    "DEFAULT_SECONDS",
    "MAX_DAYS",
    "MAX_SECONDS",
    "RELAX_GROUPS",
    "Built",
    "build_problem",
    "could_pair",
    "greedy_hint",
    "needs_pairs",
    "solve_inputs",
    "solve_options",
)

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 10
MAX_SECONDS = 120
MAX_DAYS = 62
RELAX_GROUPS = ("locks", "leave", "fixed_days_off", "successions", "max_consecutive_days", "max_shifts_per_week",
                "max_weekends_per_month", "min_days_between_calls")


# -- inputs -> problem -----------------------------------------------------------------------------------


@dataclass
class Built:
    """The problem and what is needed to read its solution back.

    The solver allows one shift per member and day; two shift types that may be worked on one day
    (they do not overlap, and the rules allow the pair) become a combined *unit* ("clinic-am+night-call")
    when the range needs them. ``units[s]`` are the shift type ids of the solver's shift ``s``: first one
    per unit, then the units' *versions* (see :func:`build_problem`), which stand for the same shift types
    on some days only.
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
    base_units: int = 0  # units[:base_units] are the units; the rest their day versions

    @property
    def shift_ids(self) -> list[int]:
        return [u[0] for u in self.units[: self.base_units or len(self.units)] if len(u) == 1]

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


def build_problem(inputs: Inputs, *, relax: frozenset[str] = frozenset(), feasibility_only: bool = False,
                  pairs: bool | None = None) -> Built:
    """The solver's problem for ``inputs``; ``relax`` leaves constraint groups out (the explanation's search).

    ``pairs``: whether a member may be given two shift types on one day (those :func:`allowed_pairs` lists);
    by default only when some day has more seats than members free (:func:`needs_pairs`), or the rules list
    pairs. A range that is impossible without them may still be possible with them (the one member qualified
    for two shifts of a day): :func:`app.services.rota.draft_runs.run_draft` then tries again with ``pairs=True``.

    Rest rules are stated on real instants (:class:`Clashes`). The solver knows one "forbidden next day"
    relation per shift for the whole range, so where a day's relation differs from the usual one (the
    night the clocks change) the units worked that day get a *day version*: a solver shift of their own,
    open on that day only, with that day's successions. Clashes two or more days apart (48-hour shifts,
    long minimum rests) become per-member limits "at most one of these two cells"; where such a limit
    would also forbid a harmless pair, its units get *residue versions* (one per day index modulo a
    period longer than the gap), so that each of the two cells can only be the one it names. A version
    closed on a day is closed by an exact cover of 0.
    """
    rules = inputs.rules
    days = inputs.days
    nd = len(days)
    index_of = {d: i for i, d in enumerate(days)}
    shifts = [s for s in inputs.shifts if s.active]
    by_id = {s.id: s for s in inputs.shifts}
    solver_ids = {s.id for s in shifts}
    members = list(inputs.members)
    member_ids = {m.id for m in members}
    clashes = Clashes(inputs, rules="successions" not in relax)
    reach = clashes.reach()

    # The units: each shift type, then the pairs a member may combine on one day (when needed, or when the
    # rules list them explicitly).
    base: list[tuple[int, ...]] = [(s.id,) for s in shifts]
    if pairs if pairs is not None else (needs_pairs(inputs) or (rules.limit_same_day and rules.combinable)):
        base += [(a.id, b.id) for a, b in allowed_pairs(inputs)]
    nb = len(base)
    base_of = {frozenset(u): j for j, u in enumerate(base)}
    containing: dict[int, list[int]] = defaultdict(list)  # shift type -> units with it
    for j, u in enumerate(base):
        for sid in u:
            containing[sid].append(j)

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
        unit = base_of.get(frozenset(sid for sid, _lock in cells))
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

    # Seats: every cell of every shift type has an exact headcount (0 where it does not run), so the solver
    # never adds a seat to even out the points.
    requirement: dict[tuple[int, date], int] = {}
    pre_by_slot: dict[tuple[int, date], int] = defaultdict(int)
    for _mid, sid, day in prefilled:
        pre_by_slot[(sid, day)] += 1
    single_by_slot: dict[tuple[int, date], int] = defaultdict(int)
    for _mid, sid, day in singles:
        single_by_slot[(sid, day)] += 1
    for day in days:
        for s in shifts:
            seats = s.headcount if s.runs_on(day) else 0
            requirement[(s.id, day)] = max(seats - pre_by_slot[(s.id, day)], single_by_slot[(s.id, day)])

    open_cell = [[all(requirement[(x, day)] > 0 for x in u) and (len(u) == 1 or not clashes.overlap(u[0], u[1], day))
                  for j, u in enumerate(base)] for day in days]  # [day][unit]: may be worked that day

    # Successions to the next day, shift type by shift type: the usual relation (by majority over the range),
    # and the days on which a unit's differs from it (the night the clocks change): a day version each.
    usual: dict[tuple[int, int], bool] = {}
    for x in shifts:
        for y in shifts:
            votes = [clashes.clash(x.id, days[i], y.id, days[i + 1]) for i in range(nd - 1)
                     if requirement[(x.id, days[i])] > 0 and requirement[(y.id, days[i + 1])] > 0]
            usual[(x.id, y.id)] = sum(votes) * 2 > len(votes) if votes else False
    odd_days: set[tuple[int, int]] = set()  # (unit, day index)
    for i in range(nd - 1):
        for x in shifts:
            if requirement[(x.id, days[i])] > 0 and any(
                    requirement[(y.id, days[i + 1])] > 0
                    and clashes.clash(x.id, days[i], y.id, days[i + 1]) != usual[(x.id, y.id)] for y in shifts):
                odd_days.update((j, i) for j in containing[x.id] if open_cell[i][j])

    # Clashes two or more days apart: each a per-member limit "at most one of these two cells". The limit
    # counts both solver shifts on both days, so it is exact only if every other pair it catches clashes too;
    # where not, both units get *residue versions*: one solver shift per day index modulo ``period`` (longer
    # than any such gap), so that neither can be worked on the other's day.
    far: list[tuple[int, int, int, int]] = []  # (unit, day, unit, later day)
    for gap in range(2, reach + 1):
        for i in range(nd - gap):
            for x in shifts:
                if requirement[(x.id, days[i])] <= 0:
                    continue
                for y in shifts:
                    if requirement[(y.id, days[i + gap])] > 0 and clashes.clash(x.id, days[i], y.id, days[i + gap]):
                        far.extend((j, i, k, i + gap) for j in containing[x.id] if open_cell[i][j]
                                   for k in containing[y.id] if open_cell[i + gap][k])
    far = sorted(set(far))
    period = max((i2 - i for _j, i, _k, i2 in far), default=0) + 1

    def plain_open(j: int, i: int) -> bool:  # unit j's plain solver shift on day i, before any version
        return open_cell[i][j] and (j, i) not in odd_days

    classed: set[int] = set()
    for j, i, k, i2 in far:
        if any(plain_open(p, pi) and plain_open(q, qi) and not clashes.units(base[p], days[pi], base[q], days[qi])
               for p, pi, q, qi in ((j, i, j, i2), (k, i, k, i2), (k, i, j, i2))):
            classed.update((j, k))
    # A combined unit's versions need its parts' (the greedy fill combines solver shifts by their index).
    classed.update(base_of[frozenset((x,))] for j in list(classed) if len(base[j]) > 1 for x in base[j])
    odd_days.update((base_of[frozenset((x,))], i) for j, i in list(odd_days) if len(base[j]) > 1 for x in base[j])

    unit_base: list[int] = list(range(nb))  # solver shift -> unit
    labels = ["+".join(str(x) for x in u) for u in base]
    residue_index: dict[tuple[int, int], int] = {}  # (unit, day index % period) -> solver shift
    for j in sorted(classed):
        for r in range(period):
            residue_index[(j, r)] = len(unit_base)
            unit_base.append(j)
            labels.append(f"{labels[j]}%{r}")
    day_index: dict[tuple[int, int], int] = {}  # (unit, day index) -> solver shift
    for j, i in sorted(odd_days):
        day_index[(j, i)] = len(unit_base)
        unit_base.append(j)
        labels.append(f"{labels[j]}@{i}")
    units = [base[j] for j in unit_base]
    uid = labels
    single_day = {s for s in day_index.values()}

    def sid_of(j: int, i: int) -> int:
        """The solver shift of unit ``j`` on day ``i``."""
        s = day_index.get((j, i))
        if s is None:
            s = residue_index.get((j, i % period), j)
        return s

    # Successions between solver shifts on consecutive days: the usual relation, except from or to a day version.
    usual_unit = [[any(usual[(a, b)] for a in base[j] for b in base[k]) for k in range(nb)] for j in range(nb)]
    following: list[set[str]] = [set() for _ in units]
    for i in range(nd - 1):
        for j in range(nb):
            if not open_cell[i][j]:
                continue
            s = sid_of(j, i)
            for k in range(nb):
                if not open_cell[i + 1][k]:
                    continue
                t = sid_of(k, i + 1)
                if s in single_day or t in single_day:
                    if clashes.units(base[j], days[i], base[k], days[i + 1]):
                        following[s].add(uid[t])
                elif usual_unit[j][k]:
                    following[s].add(uid[t])
    solver_shifts = [SolverShift(uid[s], sum(by_id[x].minutes for x in u), frozenset(following[s]))
                     for s, u in enumerate(units)]
    far_limits = [Limit((i, i2), 1, frozenset({uid[sid_of(j, i)], uid[sid_of(k, i2)]})) for j, i, k, i2 in far]

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
    call_units = frozenset(uid[s] for s, u in enumerate(units) if call_ids & set(u))
    two_calls = tuple((uid[s], 2) for s, u in enumerate(units) if len(call_ids & set(u)) > 1)
    doubles = tuple((uid[s], len(u)) for s, u in enumerate(units) if len(u) > 1)
    near_first, near_last = inputs.start - timedelta(days=reach), inputs.end + timedelta(days=reach)

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
        for s, u in enumerate(units):
            if any(by_id[x].qualification and by_id[x].qualification not in m.qualifications for x in u):
                emp.max_shifts[uid[s]] = 0
        fixed_counts: dict[date, int] = defaultdict(int)  # shifts on days the solver does not decide
        for _sid, day in outside + pre:
            fixed_counts[day] += 1
        # Shifts the solver does not decide (published outside the range, or on a day closed to it): the cells
        # near them that would clash.
        banned: dict[int, set[str]] = defaultdict(set)
        for sid, day in outside + pre:
            if sid not in by_id or not near_first <= day <= near_last:
                continue
            for i, cell_day in enumerate(days):
                if cell_day == day or abs((cell_day - day).days) > reach:
                    continue
                banned[i].update(uid[sid_of(j, i)] for j in range(nb)
                                 if open_cell[i][j] and clashes.units((sid,), day, base[j], cell_day))
        emp.limits.extend(Limit((i,), 0, frozenset(ids)) for i, ids in sorted(banned.items()) if ids)
        emp.limits.extend(far_limits)
        if rules.max_consecutive_days and "max_consecutive_days" not in relax:
            k = rules.max_consecutive_days
            emp.max_consecutive = k
            # Every k + 1 days in a row need a day off, counting the days the solver does not decide (published
            # right before or after the range, or on a day closed to it) as worked.
            worked = {day for day, n in fixed_counts.items() if n}
            for t in range(-k, nd):
                window = [inputs.start + timedelta(days=t + j) for j in range(k + 1)]
                already = sum(1 for d in window if d in worked)
                inside = tuple(index_of[d] for d in window if d in index_of and (mid, d) not in prefill_days)
                if already and inside:
                    emp.limits.append(Limit(inside, max(0, k - already)))
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
                    # a day of two calls counts twice: the rules checker calls that "two calls on one day"
                    emp.limits.append(Limit(inside, max(0, 1 - sum(1 for d in window if d in fixed_calls)),
                                            call_units, weights=two_calls))
        if rules.max_weekends_per_month is not None and "max_weekends_per_month" not in relax:
            months = sorted({(y, mo) for y, mo, _sat in weekend_keys})
            for y, mo in months:
                idx = tuple(i for i, key in enumerate(weekend_keys) if key[:2] == (y, mo))
                taken = {day - timedelta(days=day.weekday() - 5) for _sid, day in outside + pre
                         if is_weekend(day) and (day.year, day.month) == (y, mo)}
                emp.weekend_limits.append((idx, max(0, rules.max_weekends_per_month - len(taken))))
        employees.append(emp)

    locks = [Lock(str(mid), index_of[day], uid[sid_of(j, index_of[day])])
             for mid, j, day in sorted(lock_units, key=lambda c: (c[2], c[0]))]

    # Cover: each shift type's seats, filled by its unit of the day or a combined unit of the day with it; every
    # other solver shift is closed that day (a day version outside its day, a unit on a day it has a version).
    cover = []
    combine: dict[tuple[int, int], int] = {}
    for i, day in enumerate(days):
        counted: set[str] = set()
        for s in shifts:
            main = uid[sid_of(base_of[frozenset((s.id,))], i)]
            also = frozenset(uid[sid_of(j, i)] for j in containing[s.id] if len(base[j]) > 1 and open_cell[i][j])
            counted.add(main)
            counted.update(also)
            cover.append(Cover(i, main, requirement[(s.id, day)], hard=True, also=also))
        cover.extend(Cover(i, name, 0, hard=True) for name in uid if name not in counted)
        for j, u in enumerate(base):
            if len(u) == 2 and open_cell[i][j]:
                a, b = (sid_of(base_of[frozenset((x,))], i) for x in u)
                combine[(a, b)] = combine[(b, a)] = sid_of(j, i)

    built = Built(problem=Problem(name=f"{inputs.start}..{inputs.end}", num_days=nd, shifts=solver_shifts,
                                  employees=employees, cover=cover, weekends=weekends, locks=locks),
                  inputs=inputs, days=days, units=units, member_ids=[m.id for m in members], w1=1, w2=1,
                  negative=0, fixed_singles=singles, requirement=requirement, combine=combine, base_units=nb)
    if feasibility_only or not members:
        return built

    add_objective(built, open_cell=open_cell, name_of=lambda j, i: uid[sid_of(j, i)], prefilled=prefilled)
    return built


def solve_inputs(inputs: Inputs, *, seconds: float, progress: Callable[[Progress], None] | None = None,
                 workers: int = 2) -> tuple[Built, Solution]:
    """Build and solve; a range proven impossible without two shifts a day for anyone is tried with them."""
    began = clock.monotonic()
    built = build_problem(inputs)
    solution = solve(built.problem, solve_options(built, seconds=seconds, progress=progress, workers=workers))
    if could_pair(built, solution):
        left = max(1.0, seconds - (clock.monotonic() - began))
        built = build_problem(inputs, pairs=True)
        solution = solve(built.problem, solve_options(built, seconds=left, progress=progress, workers=workers))
    return built, solution


def could_pair(built: Built, solution: Solution) -> bool:
    """Whether ``solution`` proved the range impossible without the shift pairs the rules would allow."""
    return solution.status == "INFEASIBLE" and built.base_units == len([s for s in built.inputs.shifts if s.active]) \
        and bool(allowed_pairs(built.inputs))


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
