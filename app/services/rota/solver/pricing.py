"""One employee's cheapest rows by dynamic programming over the days: the exact pricing of column generation.

Given a cost per worked cell (the requests plus the master's duals, or the cover cost the other employees
leave, see :mod:`dive`), the cheapest schedule that keeps every rule of one employee is a shortest path through
the days. The path's state is the run it is in: the last shift worked and the length of the current run of
work (for successions and the run maxima and minima), or the length of the run of days off (for the minimum
of days off); a run that began on the first day carries a flag, as it is exempt from the minima. Beside the
state, the path counts what the rules cap over the whole horizon: minutes worked (in units of the shift
lengths' greatest common divisor), weekends worked, and the shifts whose maximum can bind. For each state and
each count the DP keeps the cheapest partial row, as one NumPy array per state, so a day is a few array
operations per state.

Counts whose product would make the arrays too large are not tracked; the rows found are then checked against
those maxima, and :meth:`RowDP.best` returns None when the cheapest row breaks one (the caller falls back to
CP-SAT). It also returns None for rules it does not model (the app's windowed limits, weekends of more than two
days). Measured against CP-SAT pricing on the Curtois & Qu instances: the same optimum on every employee
(``tests/unit/solver/test_pricing.py``), in a fraction of the time (``benchmarks/nrp_results.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np

from app.services.rota.solver.problem import Problem

__all__ = ("RowDP",)

MAX_TRACKED = 4096
"""The most count combinations tracked per state; shift maxima beyond it are checked on the rows found."""

MAX_CELLS = 20_000_000
"""The most values (days x states x counts, 8 bytes each) one pricing keeps; Instance18 needs 570,000."""

_OFF = -1


@dataclass(frozen=True, slots=True)
class _Group:
    """The states reached on a day by one action with one move of the counts, each from its possible sources."""

    action: int  # shift index, or _OFF
    move: tuple[int, ...]  # how far the counts move, per axis
    targets: np.ndarray  # (n,) state indices
    sources: np.ndarray  # (n, k) state indices, padded with the always-unreachable state
    src: tuple[slice, ...]
    dst: tuple[slice, ...]


@dataclass(frozen=True, slots=True)
class _Day:
    groups: list[_Group]
    where: dict[int, tuple[int, int]]  # target state -> (group, row)


class RowDP:
    """The rules of employee ``e`` of ``problem`` as a layered graph; :meth:`best` prices one cost matrix."""

    def __init__(self, problem: Problem, e: int) -> None:
        emp = problem.employees[e]
        self.nd, self.ns = problem.num_days, len(problem.shifts)
        sidx = problem.shift_index()
        nd, ns = self.nd, self.ns
        self.ok = not emp.limits and not emp.weekend_limits
        usable = [emp.max_shifts.get(sh.id, 1) > 0 for sh in problem.shifts]
        forced: dict[int, int | None] = {}
        for lock in problem.locks:
            if lock.employee == emp.id:
                forced[lock.day] = None if lock.shift is None else sidx[lock.shift]
        self.actions: list[list[int]] = []  # per day: the shifts that may be worked, and _OFF if a day off may be
        for d in range(nd):
            shifts = [s for s in range(ns) if usable[s] and d not in emp.days_off]
            if d in forced:
                want = forced[d]
                shifts = [s for s in shifts if s == want]
                if want is not None and not shifts:
                    self.ok = False  # a lock against a hard rule: let CP-SAT report it
                self.actions.append(shifts if want is not None else [_OFF])
            else:
                self.actions.append([*shifts, _OFF])

        # the counts: minutes, weekends, shift maxima
        lengths = {problem.shifts[s].minutes for s in range(ns) if usable[s]}
        unit = reduce(math.gcd, [m for m in lengths if m > 0], 0) or 1
        top = max(lengths, default=0) // unit
        sizes: list[int] = []
        self.min_level = 0
        if emp.max_minutes is not None or emp.min_minutes:
            most = emp.max_minutes // unit if emp.max_minutes is not None else nd * top
            sizes.append(most + 1)
            self.min_level = -(-(emp.min_minutes or 0) // unit)
            self.units = [[problem.shifts[s].minutes // unit, 0] for s in range(ns)]  # minutes, weekends, ...
        else:
            sizes.append(1)
            self.units = [[0, 0] for _ in range(ns)]
        self.weekend_first: dict[int, bool] = {}  # day -> whether it opens its weekend
        for days in problem.weekends:
            if len(days) > 2 or (len(days) == 2 and days[1] != days[0] + 1):
                self.ok = False
            for i, d in enumerate(days):
                self.weekend_first[d] = i == 0
        workable = sum(any(self.actions[d] != [_OFF] for d in days if d < nd) for days in problem.weekends)
        self.track_weekends = emp.max_weekends is not None and emp.max_weekends < workable
        sizes.append(emp.max_weekends + 1 if self.track_weekends else 1)
        self.relaxed: list[tuple[int, int]] = []  # (shift, maximum) not tracked: checked on the rows found
        caps = []
        for s, sh in enumerate(problem.shifts):
            cap = emp.max_shifts.get(sh.id)
            days = sum(s in acts for acts in self.actions)
            by_minutes = emp.max_minutes // sh.minutes if emp.max_minutes is not None and sh.minutes else days
            if usable[s] and cap is not None and cap < min(days, by_minutes):
                caps.append((cap, s))
        for cap, s in sorted(caps):
            if math.prod(sizes) * (cap + 1) <= MAX_TRACKED:
                sizes.append(cap + 1)
                for t in range(ns):
                    self.units[t].append(1 if t == s else 0)
            else:
                self.relaxed.append((s, cap))
        self.shape = tuple(sizes)
        # a minimum longer than the horizon binds as the horizon does (a run that long touches an end)
        self.min_work = min(emp.min_consecutive or 0, nd)
        self.max_work = emp.max_consecutive if emp.max_consecutive and emp.max_consecutive < nd else 0
        self.min_off = min(max(emp.min_days_off or 1, 1), nd)
        self.forbidden = [{sidx[t] for t in sh.forbidden_next if t in sidx} for sh in problem.shifts]
        self._build_states()
        # every day's values are kept for tracing the rows back: above this many cells CP-SAT prices instead
        if self.nd * (len(self.states) + 1) * math.prod(self.shape) > MAX_CELLS:
            self.ok = False

    # ------------------------------------------------------------------------------------------- the automaton

    def _build_states(self) -> None:
        """States: ("W", shift, run length, began on day 0) and ("O", run length) / ("OE",) for days off."""
        cap = self.max_work or max(self.min_work, 2)  # a run length of 1 must mean "began today" (weekends)
        states: list[tuple] = [("OE",)] + [("O", j) for j in range(1, self.min_off + 1)]
        for s in range(self.ns):
            for i in range(1, cap + 1):
                states.append(("W", s, i, False))
                if i < self.min_work:
                    states.append(("W", s, i, True))
        self.states = states
        self.index = {st: i for i, st in enumerate(states)}
        self._days: dict[tuple, _Day] = {}

    def _next(self, state: tuple | None, action: int) -> tuple | None:
        """The state after ``action`` from ``state`` (None: the first day), or None if a rule forbids it."""
        if state is None:
            if action == _OFF:
                return ("OE",)
            return ("W", action, 1, self.min_work > 1)
        kind = state[0]
        if kind == "OE":
            return ("OE",) if action == _OFF else ("W", action, 1, False)
        if kind == "O":
            if action == _OFF:
                return ("O", min(state[1] + 1, self.min_off))
            return ("W", action, 1, False) if state[1] >= self.min_off else None
        _, s, i, edge = state
        if action == _OFF:
            return ("O", 1) if edge or i >= self.min_work else None
        if action in self.forbidden[s]:
            return None
        i += 1
        if self.max_work and i > self.max_work:
            return None
        if not self.max_work:
            i = min(i, max(self.min_work, 2))
        return ("W", action, i, edge and i < self.min_work)

    # ---------------------------------------------------------------------------------------------- pricing

    def _day(self, d: int) -> _Day:
        """The transitions into day ``d`` (cached: they depend only on the day's allowed actions and weekend role)."""
        first = self.weekend_first.get(d) if self.track_weekends else None
        key = (d == 0, tuple(self.actions[d]), first)
        day = self._days.get(key)
        if day is not None:
            return day
        shape = self.shape
        by_target: dict[int, tuple[list[int], int]] = {}
        for a, state in ([(-1, None)] if d == 0 else list(enumerate(self.states))):
            for act in self.actions[d]:
                nxt = self._next(state, act)
                if nxt is not None:
                    by_target.setdefault(self.index[nxt], ([], act))[0].append(a)
        grouped: dict[tuple[int, tuple[int, ...]], list[int]] = {}
        for b, (_, act) in by_target.items():
            move = [0] * len(shape)
            if act != _OFF:
                move = list(self.units[act])
                # a weekend counts once: on its first day, or on its second after a day off
                if first is not None and (first or self.states[b][2] == 1):
                    move[1] = 1
            if all(m < n for m, n in zip(move, shape, strict=True)):
                grouped.setdefault((act, tuple(move)), []).append(b)
        groups: list[_Group] = []
        where: dict[int, tuple[int, int]] = {}
        pad = len(self.states)
        for (act, move), targets in grouped.items():
            width = max(len(by_target[b][0]) for b in targets)
            sources = np.full((len(targets), width), pad, dtype=np.intp)
            for row, b in enumerate(targets):
                srcs = by_target[b][0]
                sources[row, : len(srcs)] = srcs
                where[b] = (len(groups), row)
            groups.append(_Group(act, move, np.array(targets, dtype=np.intp), sources,
                                 tuple(slice(0, n - m) for m, n in zip(move, shape, strict=True)),
                                 tuple(slice(m, n) for m, n in zip(move, shape, strict=True))))
        day = self._days[key] = _Day(groups, where)
        return day

    def best(self, cost, k: int = 3) -> tuple[list[tuple[int | None, ...]], float] | None:
        """Up to ``k`` cheapest rows under ``cost[d][s]`` (cheapest last) and the cheapest row's exact cost.

        ``([], inf)`` when the employee has no row at all; None when the DP cannot answer exactly (a rule it
        does not model, or the cheapest row breaks a shift maximum it did not track).
        """
        if not self.ok:
            return None
        shape, nstates = self.shape, len(self.states)
        value = np.full((nstates + 1, *shape), math.inf)  # the last state is never reached: the sources' padding
        days: list[_Day] = []
        values: list[np.ndarray] = []
        for d in range(self.nd):
            day = self._day(d)
            new = np.full_like(value, math.inf)
            for g in day.groups:
                c = 0.0 if g.action == _OFF else float(cost[d][g.action])
                if d == 0:
                    new[(g.targets, *g.move)] = c
                    continue
                block = value[(g.sources, *g.src)]  # (targets, sources, *counts)
                best = block[:, 0]
                for j in range(1, g.sources.shape[1]):
                    best = np.minimum(best, block[:, j])
                new[(g.targets, *g.dst)] = best + c
            value = new
            days.append(day)
            values.append(value)
        # a row may end in any state (a run touching the last day is exempt from the minima), with enough minutes
        last = value.copy()
        last[:, : self.min_level] = math.inf
        flat = last.reshape(-1)
        rows: list[tuple[int | None, ...]] = []
        for pos in np.argpartition(flat, k)[:k] if flat.size > k else range(flat.size):
            if math.isfinite(flat[pos]):
                rows.append(self._trace(days, values, int(pos)))
        if not rows:
            return [], math.inf
        row_cost = {row: sum(float(cost[d][s]) for d, s in enumerate(row) if s is not None) for row in rows}
        rows.sort(key=lambda row: -row_cost[row])
        cheapest = row_cost[rows[-1]]
        if self.relaxed:
            fits = [all(row.count(s) <= cap for s, cap in self.relaxed) for row in rows]
            if not fits[-1]:
                return None
            rows = [row for row, ok in zip(rows, fits, strict=True) if ok]
        return rows, cheapest

    def _trace(self, days: list[_Day], values: list[np.ndarray], pos: int) -> tuple[int | None, ...]:
        """The row that ends at flat position ``pos`` of the last day's values, followed back day by day."""
        b, *counts = (int(i) for i in np.unravel_index(pos, (len(self.states) + 1, *self.shape)))
        row: list[int | None] = [None] * self.nd
        for d in range(self.nd - 1, -1, -1):
            gi, r = days[d].where[b]
            g = days[d].groups[gi]
            row[d] = None if g.action == _OFF else g.action
            counts = [i - m for i, m in zip(counts, g.move, strict=True)]
            if d:
                sources = g.sources[r]
                b = int(sources[int(np.argmin(values[d - 1][(sources, *counts)]))])
        return tuple(row)
