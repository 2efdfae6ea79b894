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

Rules are hard constraints, counted as :func:`app.services.rota.rules.check_change` counts them: rest
between shifts in real hours in the organization's time zone (one hour less across the night the clocks
spring forward, one more in autumn), against published shifts just outside the range too.

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
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from app.models import Assignment, Holiday, Membership, Organization, Preference, ShiftType
from app.services.rota.dates import is_weekend, occurrence
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
    "Clashes",
    "Inputs",
    "MemberSpec",
    "ShiftSpec",
    "Wish",
    "allowed_pairs",
    "build_problem",
    "could_pair",
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
    timezone: str = "UTC"  # the organization's: rest between shifts is counted in real hours

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


def _minutes(s: ShiftSpec) -> tuple[int, int]:
    start = s.start_time.hour * 60 + s.start_time.minute
    return start, start + s.minutes


def allowed_pairs(inputs: Inputs) -> list[tuple[ShiftSpec, ShiftSpec]]:
    """Pairs of shift types one member may work on the same day: they do not overlap and the rules allow it.

    By the wall clock; :class:`Clashes` also closes a pair on a day its real instants overlap (a shift in the
    hour a spring-forward skips)."""
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


class Clashes:
    """Which two shifts (a shift type on a local date each) one member may not both work.

    The arithmetic of :func:`app.services.rota.rules.check_change`, on the real instants of
    :func:`app.services.rota.dates.occurrence` in the organization's time zone, so that the generator
    never makes an assignment the rules checker refuses, nor refuses one it allows: shifts on different
    days clash when they overlap, when the second follows the first the next day as a forbidden
    succession, or when the rest between them is under the minimum rest (real hours: the night clocks
    spring forward has one hour less, the night they fall back one more). With ``rules=False`` (the
    explanation's search relaxing "successions") only overlaps clash.
    """

    def __init__(self, inputs: Inputs, *, rules: bool = True) -> None:
        self.tz = ZoneInfo(inputs.timezone or "UTC")
        self.by_id = {s.id: s for s in inputs.shifts}
        self.forbidden = inputs.rules.forbidden_successions if rules else frozenset()
        self.rest = inputs.rules.min_rest_hours if rules else None
        self._when: dict[tuple[int, date], tuple[datetime, datetime]] = {}
        self._clash: dict[tuple[int, date, int, date], bool] = {}

    def when(self, sid: int, day: date) -> tuple[datetime, datetime]:
        key = (sid, day)
        found = self._when.get(key)
        if found is None:
            s = self.by_id[sid]
            o = occurrence(day, s.start_time, s.minutes, self.tz)
            found = self._when[key] = (o.starts_at, o.ends_at)
        return found

    def reach(self) -> int:
        """The most days apart two shifts can be and still clash (a 48-hour shift, a long minimum rest)."""
        if not self.by_id:
            return 1
        latest_end = max(_minutes(s)[1] for s in self.by_id.values())
        earliest = min(_minutes(s)[0] for s in self.by_id.values())
        rest = round((self.rest or 0) * 60)
        return max(1, (latest_end - earliest + rest + 120) // (24 * 60) + 1)

    def overlap(self, a: int, b: int, day: date) -> bool:
        """Whether shift types ``a`` and ``b`` overlap in real time on ``day`` (both starting that day)."""
        (a0, a1), (b0, b1) = self.when(a, day), self.when(b, day)
        return a0 < b1 and b0 < a1

    def clash(self, a: int, day_a: date, b: int, day_b: date) -> bool:
        """Whether ``a`` on ``day_a`` and ``b`` on ``day_b`` (different days) cannot both be worked."""
        if day_b < day_a:
            a, day_a, b, day_b = b, day_b, a, day_a
        key = (a, day_a, b, day_b)
        found = self._clash.get(key)
        if found is None:
            found = self._clash[key] = self._decide(a, day_a, b, day_b)
        return found

    def _decide(self, a: int, day_a: date, b: int, day_b: date) -> bool:
        (a0, a1), (b0, b1) = self.when(a, day_a), self.when(b, day_b)
        if a0 < b1 and b0 < a1:
            return True
        if (day_b - day_a).days == 1 and (a, b) in self.forbidden:
            return True
        if self.rest is None:
            return False
        rest = (b0 - a1) if b0 >= a1 else (a0 - b1)
        return rest.total_seconds() / 3600 < self.rest

    def units(self, u: tuple[int, ...], day_u: date, v: tuple[int, ...], day_v: date) -> bool:
        return any(self.clash(a, day_u, b, day_v) for a in u for b in v)


def build_problem(inputs: Inputs, *, relax: frozenset[str] = frozenset(), feasibility_only: bool = False,
                  pairs: bool | None = None) -> Built:
    """The solver's problem for ``inputs``; ``relax`` leaves constraint groups out (the explanation's search).

    ``pairs``: whether a member may be given two shift types on one day (those :func:`allowed_pairs` lists);
    by default only when some day has more seats than members free (:func:`needs_pairs`), or the rules list
    pairs. A range that is impossible without them may still be possible with them (the one member qualified
    for two shifts of a day): :func:`app.services.rota.drafts.run_draft` then tries again with ``pairs=True``.

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
    holidays = inputs.holidays
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

    # Fairness: points per cell, history per member, fair share per member.
    points: dict[tuple[int, str], int] = {}
    wk_points: dict[tuple[int, str], int] = {}
    total = total_wk = 0
    for i, day in enumerate(days):
        for j, u in enumerate(base):
            if not open_cell[i][j]:
                continue
            parts = [scaled_points(by_id[x], day, holidays) for x in u]
            name = uid[sid_of(j, i)]
            points[(i, name)] = sum(p for _c, p in parts)
            weekendish = sum(p for c, p in parts if c != "weekday")
            if weekendish:
                wk_points[(i, name)] = weekendish
        for s in shifts:
            cat, pts = scaled_points(s, day, holidays)
            seats = requirement[(s.id, day)]
            total += seats * pts
            if cat != "weekday":
                total_wk += seats * pts
    history: dict[str, int] = defaultdict(int)
    history_wk: dict[str, int] = defaultdict(int)
    window_start = inputs.history_start or inputs.start
    counted_cells = [(mid, sid, day) for mid, sid, day in inputs.published
                     if window_start <= day < inputs.start and mid in member_ids] + \
                    [c for c in prefilled if c[0] in member_ids]
    for mid, sid, day in counted_cells:
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
            for j, u in enumerate(base):
                if not open_cell[i][j] or not all(by_id[x].runs_on(day) for x in u):
                    continue
                if wish.shift_type_id is not None and wish.shift_type_id not in u:
                    continue
                # avoid: costs its strength when worked; want: earns it (a negative cost, no constant offset)
                weight = strength if wish.kind == "avoid" else -strength
                requests.append(Request(str(wish.membership_id), i, uid[sid_of(j, i)], weight, on=False))
    # Two shifts on one day only when needed: each combined day costs like a mild "avoid".
    for m in members:
        for i, day in enumerate(days):
            for j, u in enumerate(base):
                if len(u) > 1 and open_cell[i][j] and all(by_id[x].runs_on(day) for x in u):
                    requests.append(Request(str(m.id), i, uid[sid_of(j, i)], 1, on=False))
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
    org = await session.get(Organization, organization_id)
    return Inputs(start=start, end=end, shifts=shifts, members=members, rules=rules,
                  holidays=frozenset(holiday_names), holiday_names=holiday_names, published=published, locks=locks,
                  wishes=wishes, history_start=history_start, timezone=org.timezone if org else "UTC")


async def reset_draft(session: AsyncSession, draft_id: int) -> None:
    """Drop a draft's unlocked assignments (before regenerating around its locks)."""
    await session.execute(delete(Assignment).where(Assignment.draft_id == draft_id, Assignment.locked.is_(False)))
