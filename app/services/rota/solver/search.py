"""Solving a rota :class:`~app.services.rota.solver.problem.Problem`, in up to three phases.

1. "cg" (problems without a fairness term): column generation (:mod:`colgen`) gives a lower bound (often
   the optimum) and an LP solution. With soft cover the LP is dived on ("dive": fix the likeliest employees,
   re-solve and re-price, see :mod:`dive`; or, with ``dive_share=0``, rounded at once: "round"), completed by
   CP-SAT over the LP's support and each employee's cheapest columns ("pool") and polished by exact
   single-employee moves ("improve"); with hard cover CP-SAT over the generated columns ("master") gives a
   first schedule.
2. "full": CP-SAT on the whole cell model, hinted with the best schedule so far, for a share of the time
   (a short one after phase 1 gave a schedule; without a schedule yet it runs until it finds one). Small
   problems are proven optimal here, and infeasible ones reported as such.
3. "lns": repeatedly frees a part of the current schedule (a few employees over the whole horizon, every
   employee over one to three windows of days, a block of both, at random or around a day that costs more than
   it does in the column generation's LP, or the cells where that LP is fractional or disagrees) and lets CP-SAT
   re-optimise that part with the rest fixed and the current schedule as a hint; a result at least as good replaces it.
   Sizes adapt: a part proven optimal quickly grows the next one of its kind, a part that ran out of time
   shrinks it; kinds that improved the schedule more often are chosen more often.

A problem too large for the cell model in its time (:func:`_large`) skips phases 1-3: each employee takes their
best row in turn, then exact single-employee moves use the rest of the time.

The search stops as soon as the objective meets the proven bound. Progress (objective so far, bound,
elapsed, phase) goes to the caller's callback after every improvement.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from app.services.rota.solver.colgen import ColumnGeneration
from app.services.rota.solver.dive import all_cover_soft, construct, dive, improve, round_lp, schedule_cost
from app.services.rota.solver.model import BuiltModel, ModelOptions, build_model
from app.services.rota.solver.problem import Problem, Progress, Solution

__all__ = ("SolveOptions", "solve")

_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass(slots=True)
class SolveOptions:
    seconds: float = 10.0
    num_workers: int = 2
    seed: int = 0
    first_phase: float = 0.1
    """Share of the time given to the full model (hinted with the best schedule so far) before the
    neighbourhood search starts; without a schedule yet it runs until it finds one."""
    lns: bool = True
    column_generation: bool = True
    """Start with column generation (bound + first schedule); skipped when the problem has a fairness term."""
    cg_share: float = 0.4
    """Most of the time for column generation; it ends sooner when the LP converges (Instances 7, 8, 10 within
    about 15 s). Measured: 0.25 beat 0.15 on Instances 7 and 8; on Instance18 (not converged) 0.4 beat 0.25."""
    dive_share: float = 0.2
    """Most of the time for diving on the column generation's LP (soft cover only), see :mod:`dive`; 0 rounds the
    LP at once instead. With CP-SAT pricing rounding measured better (a dive step could not re-price in time); with
    the DP pricing of :mod:`pricing` the dive won every paired run on Instance18 (seeds 0-2: 4560, 4568, 4478
    against 4567, 4663, 4568) and tied on 6, 7 and 8 (benchmarks/nrp_results.md, step 26)."""
    large_cells: int = 50_000
    """Above this many (employee, day, shift) assignments the cell model is not built (see :func:`_large`);
    0 never skips it. Measured on synthetic files of the published set's larger sizes (60 s): 28 days for 120
    people and 18 shift types (51,000 cells) 49885 this way against 56607 with the cell model; half a year
    for 100 people and 8 shift types (120,000) 238253 against 383860; a year for 50 people and 10 shift types
    (154,000) 356107 against 673138. The shared instances have at most 10,000 and gain from the cell model."""
    pool_share: float = 0.05
    """Most of the time for CP-SAT over the LP's support and each employee's cheapest columns (soft cover), which
    completes the LP's near-integral structure to a schedule far better than rounding each employee alone."""
    pool_columns: int = 10
    improve_share: float = 0.05
    """Most of the time for single-employee moves after the dive or rounding (soft cover only)."""
    master_share: float = 0.15
    """Share of the time for CP-SAT over the generated columns; used when some cover is hard (no rounding)."""
    full_after_cg: float = 0.03
    """Share of the time for the full model when the column generation phases gave a schedule: short, since the
    neighbourhood search makes more of the time on the Curtois & Qu instances, but enough to prove small ones
    optimal (Instance1: the LP bound is 558, CP-SAT proves 607 in a fraction of a second); 0 skips it."""
    lns_workers: int = 1
    """CP-SAT workers per neighbourhood solve."""
    lns_threads: int = 2
    """Neighbourhoods solved at once (each in its own thread; CP-SAT releases the GIL)."""
    sub_seconds: float = 2.0
    neighbourhoods: tuple[str, ...] = ()
    """Kinds of neighbourhood to use (default: all of employees, days, block, cost and, after column generation,
    lp)."""
    lns_growth: float = 1.05
    """Factor by which a kind of neighbourhood grows after a part proven optimal quickly."""
    hint: list[list[int | None]] | None = None
    progress: Callable[[Progress], None] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    """CP-SAT parameters of the full-model phase."""
    sub_parameters: dict[str, Any] = field(default_factory=lambda: {"linearization_level": 2})
    """CP-SAT parameters of each neighbourhood solve (measured: level 2 proves small parts optimal far faster)."""
    model: ModelOptions = field(default_factory=ModelOptions)
    log: bool = False


class _Full(cp_model.CpSolverSolutionCallback):
    def __init__(self, built: BuiltModel, state: _State) -> None:
        super().__init__()
        self.built, self.state = built, state

    def on_solution_callback(self) -> None:
        obj = round(self.objective_value)
        sched = self.built.schedule_from(self.boolean_value)
        self.state.offer(sched, obj, round(self.best_objective_bound), "full")
        if obj <= self.state.bound:
            self.stop_search()


class _State:
    def __init__(self, opts: SolveOptions, started: float) -> None:
        self.opts, self.started = opts, started
        self.lock = threading.Lock()
        self.schedule: list[list[int | None]] | None = None
        self.objective: int | None = None
        self.bound: int = -(10**18)
        self.log: list[Progress] = []
        self.stats: dict[str, int] = {}

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def offer(self, sched: list[list[int | None]], obj: int, bound: int | None, phase: str) -> bool:
        with self.lock:
            if bound is not None and bound > self.bound:
                self.bound = bound
            if self.objective is not None and obj > self.objective:
                return False
            improved = self.objective is None or obj < self.objective
            self.schedule, self.objective = sched, obj
            if improved:
                p = Progress(obj, self.bound, round(self.elapsed(), 3), phase)
                self.log.append(p)
                if self.opts.progress is not None:
                    self.opts.progress(p)
            return True


def _params(solver: cp_model.CpSolver, opts: SolveOptions, seconds: float, workers: int, seed: int,
            extra: dict[str, Any]) -> None:
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = opts.log
    for key, value in extra.items():
        setattr(solver.parameters, key, value)


def solve(problem: Problem, options: SolveOptions | None = None) -> Solution:
    opts = options or SolveOptions()
    started = time.monotonic()
    state = _State(opts, started)
    plain = problem.fairness is None and not any(c.also for c in problem.cover)
    if (plain and opts.large_cells and opts.hint is None and not any(c.hard for c in problem.cover)
            and _cells(problem) > opts.large_cells):
        return _large(problem, state, opts)
    built = build_model(problem, opts.model)
    if opts.hint is not None:
        built.add_hint(opts.hint)
        _offer_hint(built, state, opts)
    lp_cells = None
    if opts.column_generation and plain:
        lp_cells = _column_generation(problem, state, opts)
        if _proven(state):
            return _finish(state, "OPTIMAL")
    from_cg = lp_cells is not None and state.schedule is not None
    if state.schedule is not None:
        built.add_hint(state.schedule)
    name = "FEASIBLE"
    if not (from_cg and opts.lns and opts.full_after_cg <= 0):
        name = _full(built, state, opts, opts.full_after_cg if from_cg else opts.first_phase)
    if name in ("OPTIMAL", "INFEASIBLE", "MODEL_INVALID") or state.schedule is None:
        return _finish(state, name)
    if opts.lns and not _proven(state):
        _lns(built, state, opts, lp_cells)
    return _finish(state, "OPTIMAL" if _proven(state) else "FEASIBLE")


def _cells(problem: Problem) -> int:
    """How many (employee, day, shift) assignments the model would have: its size."""
    total = 0
    for emp in problem.employees:
        shifts = sum(1 for sh in problem.shifts if emp.max_shifts.get(sh.id, 1) > 0)
        total += shifts * (problem.num_days - len({d for d in emp.days_off if 0 <= d < problem.num_days}))
    return total


def _large(problem: Problem, state: _State, opts: SolveOptions) -> Solution:
    """A problem too large for the cell model and column generation in the time (a year for 150 people and
    32 shift types builds 1.5 million variables in about 30 s): each employee's best row in turn
    (:func:`dive.construct`), then exact single-employee moves until the time is up. A schedule is returned
    even when that takes longer than the limit, since one schedule late is worth more than none."""
    cg = ColumnGeneration(problem, opts.model)
    sched = construct(cg, state.started + opts.seconds * 0.7, threads=opts.num_workers,
                      give_up=state.started + 10 * opts.seconds)
    if isinstance(sched, str):
        return _finish(state, sched.upper())
    state.offer(sched, schedule_cost(cg, sched), None, "construct")
    improve(cg, sched, state.started + opts.seconds, threads=opts.num_workers,
            on_improve=lambda s, c: state.offer(s, c, None, "improve"))
    return _finish(state, "FEASIBLE")


def _offer_hint(built: BuiltModel, state: _State, opts: SolveOptions) -> None:
    """A hint that is a complete schedule keeping every hard constraint becomes the first solution at once
    (the app's generator hints with a rules-aware greedy fill); any other hint only guides the search."""
    hint = opts.hint
    assert hint is not None
    sub = built.model.clone()
    sub.clear_hints()
    fixed = []
    for e, d, s, i in built.x_indices():
        var = sub.get_bool_var_from_proto_index(i)
        fixed.append(var if hint[e][d] == s else var.Not())
    covered = {(e, d) for e, d, _s, _i in built.x_indices()}
    if any(hint[e][d] is not None and (e, d) not in covered
           for e in range(len(hint)) for d in range(len(hint[e]))):
        return  # the hint puts someone where they can never work
    sub.add_bool_and(fixed)
    solver = cp_model.CpSolver()
    _params(solver, opts, min(1.0, max(0.1, opts.seconds / 10)), 1, opts.seed, {})
    solver.parameters.log_search_progress = False
    status = solver.solve(sub)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        state.offer(built.schedule_from(solver.boolean_value), round(solver.objective_value), None, "hint")


def _proven(state: _State) -> bool:
    return state.objective is not None and state.objective <= state.bound


def _column_generation(problem: Problem, state: _State, opts: SolveOptions) -> list[list[list[float]]] | None:
    """Column generation for a bound, then a dive and single-employee moves (soft cover) or the integer
    master (hard cover) for a first schedule; None (and no schedule) if it cannot start."""
    try:
        cg = ColumnGeneration(problem, opts.model)
        if opts.hint is not None:
            cg.add_schedule(opts.hint)

        def on_bound(b: int) -> None:
            with state.lock:
                state.bound = max(state.bound, b)

        cg.run(state.started + opts.seconds * opts.cg_share, threads=opts.num_workers, on_bound=on_bound)
    except RuntimeError:  # an employee without any feasible schedule, or an unsolvable master LP
        return None
    state.stats["cg:columns"] = len(cg.columns)
    state.stats["cg:seconds"] = round(state.elapsed(), 2)  # type: ignore[assignment]
    if _proven(state):
        return None
    lp_cells = cg.cell_values()
    if all_cover_soft(cg):
        end = state.started + opts.seconds * (opts.cg_share + opts.dive_share)
        sched = dive(cg, end, threads=opts.num_workers) if opts.dive_share > 0 else round_lp(cg)
        if sched is not None:
            state.offer(sched, schedule_cost(cg, sched), None, "dive" if opts.dive_share > 0 else "round")
        if opts.pool_share > 0:
            pool = cg.support(opts.pool_columns)
            state.stats["pool:columns"] = len(pool)
            found, _ = cg.integer_master(opts.seconds * opts.pool_share, opts.num_workers, hint=sched,
                                         target=state.bound, columns=pool,
                                         on_solution=lambda s, c: state.offer(s, c, None, "pool"))
            state.stats["pool:seconds"] = round(state.elapsed(), 2)  # type: ignore[assignment]
            if found is not None and state.schedule is not None:
                sched = state.schedule
        if sched is not None:
            sched = improve(cg, sched, max(end, time.monotonic()) + opts.seconds * opts.improve_share,
                            threads=opts.num_workers, on_improve=lambda s, c: state.offer(s, c, None, "improve"))
            state.stats["improve:seconds"] = round(state.elapsed(), 2)  # type: ignore[assignment]
    elif opts.master_share > 0 and not _proven(state):
        end = state.elapsed() + opts.seconds * opts.master_share
        seconds = max(0.5, end - state.elapsed())
        cg.integer_master(seconds, opts.num_workers, hint=state.schedule or opts.hint, target=state.bound,
                          on_solution=lambda sched, obj: state.offer(sched, obj, None, "master"))
    return lp_cells


def _full(built: BuiltModel, state: _State, opts: SolveOptions, share: float) -> str:
    """The full model, until a first schedule exists and the phase's share of time has passed."""
    solver = cp_model.CpSolver()
    _params(solver, opts, opts.seconds - state.elapsed(), opts.num_workers, opts.seed, opts.parameters)
    phase_end = state.elapsed() + opts.seconds * share if opts.lns else opts.seconds
    done = threading.Event()

    def watchdog() -> None:
        while not done.wait(0.05):
            if state.elapsed() >= phase_end and state.schedule is not None:
                solver.stop_search()
                return

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    status = solver.solve(built.model, _Full(built, state))
    done.set()
    guard.join()
    name = _STATUS.get(status, "UNKNOWN")
    if status == cp_model.UNKNOWN and state.schedule is not None and math.isfinite(solver.best_objective_bound):
        # Stopped at the phase's end before finding a schedule of its own (the hint's schedule is already the
        # incumbent): the bound it proved still holds, and the caller shows it beside the schedule.
        state.bound = max(state.bound, math.ceil(solver.best_objective_bound - 1e-6))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        state.bound = max(state.bound, round(solver.best_objective_bound))
        state.offer(built.schedule_from(solver.boolean_value), round(solver.objective_value), None, "full")
        if status == cp_model.FEASIBLE:
            name = "FEASIBLE"
    return name


def _finish(state: _State, status: str) -> Solution:
    bound = state.bound if state.bound > -(10**18) else None
    if status == "OPTIMAL" and state.objective is not None:
        bound = state.objective
    return Solution(status=status, schedule=state.schedule, objective=state.objective, bound=bound,
                    seconds=round(state.elapsed(), 3), log=state.log, stats=state.stats)


# ------------------------------------------------------------------------------------------ neighbourhoods


class _Neighbourhoods:
    """Chooses which cells to free, and adapts each kind's size to how the last solves went."""

    def __init__(self, built: BuiltModel, rng: random.Random, lp_cells: list | None = None,
                 kinds: tuple[str, ...] = ()) -> None:
        self.built, self.rng, self.lp = built, rng, lp_cells
        self.lp_costs: list[float] | None = None
        p = built.problem
        self.ne, self.nd = len(p.employees), p.num_days
        self.kinds = ("employees", "days", "block", "cost") + (("lp",) if lp_cells is not None else ())
        if kinds:
            self.kinds = tuple(k for k in self.kinds if k in kinds)
        self.size = dict.fromkeys(self.kinds, 0.15)
        self.growth = 1.05
        self.tries = dict.fromkeys(self.kinds, 0)
        self.gains = dict.fromkeys(self.kinds, 0)
        self.lock = threading.Lock()

    def pick(self, schedule: list[list[int | None]]) -> tuple[str, set[tuple[int, int]]]:
        with self.lock:
            return self._pick(schedule)

    def _pick(self, schedule: list[list[int | None]]) -> tuple[str, set[tuple[int, int]]]:
        rng = self.rng
        # kinds that improved the schedule more often are picked more often (never less than a fair share / 3)
        rates = [(self.gains[k] + 1) / (self.tries[k] + 2) for k in self.kinds]
        floor = sum(rates) / len(rates) / 3
        kind = rng.choices(self.kinds, weights=[max(r, floor) for r in rates])[0]
        f = self.size[kind]
        ne, nd = self.ne, self.nd
        cells: set[tuple[int, int]] = set()
        if kind == "employees":
            k = min(ne, max(2, round(f * ne)))
            for e in rng.sample(range(ne), k):
                cells.update((e, d) for d in range(nd))
        elif kind == "days":
            # every employee on one to three windows of days: with more than one, work can move between distant
            # parts of the horizon (a weekend given up here, taken up there) without freeing the days between
            count = rng.choice((1, 2, 3))
            length = max(1, round(f * nd / count))
            starts = [self._costly_day(schedule) if self.lp is not None else rng.randrange(nd)]
            starts += [rng.randrange(nd) for _ in range(count - 1)]
            for a in starts:
                a = max(0, min(nd - length, a - length // 2))
                cells.update((e, d) for e in range(ne) for d in range(a, a + length))
        elif kind == "lp":
            return kind, self._lp_cells(schedule, f)
        else:
            r = math.sqrt(f)
            k = min(ne, max(2, round(r * ne * 1.4)))
            length = min(nd, max(3, round(r * nd / 1.4)))
            if kind == "cost":
                day = self._costly_day(schedule)
                a = max(0, min(nd - length, day - rng.randrange(0, length)))
            else:
                a = rng.randrange(0, nd - length + 1)
            for e in rng.sample(range(ne), k):
                cells.update((e, d) for d in range(a, a + length))
        return kind, cells

    def _lp_cells(self, schedule: list[list[int | None]], f: float) -> set[tuple[int, int]]:
        """Cells where the column generation's LP is fractional or disagrees with the schedule (RINS-like),
        a random share of them, each with its neighbouring days."""
        assert self.lp is not None
        doubt = []
        for e in range(self.ne):
            for d in range(self.nd):
                values = self.lp[e][d]
                cur = schedule[e][d]
                if any(0.02 < v < 0.98 for v in values) or any(
                        (v >= 0.98) != (cur == s) for s, v in enumerate(values)):
                    doubt.append((e, d))
        want = max(4, round(f * self.ne * self.nd))
        cells: set[tuple[int, int]] = set()
        self.rng.shuffle(doubt)
        for e, d in doubt:
            if len(cells) >= want:
                break
            cells.update((e, t) for t in range(max(0, d - 1), min(self.nd, d + 2)))
        if len(cells) < want:
            extra = self.rng.sample(range(self.ne), min(self.ne, 2))
            cells.update((e, d) for e in extra for d in range(self.nd))
        return cells

    def _day_costs(self, count) -> list[float]:
        """Cost per day (cover and requests) of an assignment given as ``count(e, d, s)`` in [0, 1]."""
        p = self.built.problem
        sidx = p.shift_index()
        eidx = p.employee_index()
        costs = [0.0] * self.nd
        for c in p.cover:
            s = sidx[c.shift]
            n = sum(count(e, c.day, s) for e in range(self.ne))
            costs[c.day] += max(0.0, c.requirement - n) * c.under_weight + max(0.0, n - c.requirement) * c.over_weight
        for r in p.requests:
            got = count(eidx[r.employee], r.day, sidx[r.shift])
            costs[r.day] += r.weight * ((1 - got) if r.on else got)
        return costs

    def _costly_day(self, schedule: list[list[int | None]]) -> int:
        """A day drawn in proportion to its cost, or, with the column generation's LP, to how much more it costs
        than in the LP: a cost the LP pays too (e.g. weekends no one may work more of) is mostly structural."""
        costs = self._day_costs(lambda e, d, s: 1.0 if schedule[e][d] == s else 0.0)
        if self.lp is not None:
            if self.lp_costs is None:
                self.lp_costs = self._day_costs(lambda e, d, s: self.lp[e][d][s])  # type: ignore[index]
            excess = [max(0.0, a - b) for a, b in zip(costs, self.lp_costs, strict=True)]
            if sum(excess) > 0:
                costs = excess
        total = sum(costs)
        if total <= 0:
            return self.rng.randrange(self.nd)
        x = self.rng.uniform(0, total)
        for day, w in enumerate(costs):
            x -= w
            if x <= 0:
                return day
        return self.nd - 1

    def feedback(self, kind: str, solved: bool, fast: bool, gained: bool = False) -> None:
        """Grow a kind after a quick proof of optimality, shrink it after a solve that ran out of time."""
        with self.lock:
            self.tries[kind] += 1
            self.gains[kind] += gained
            f = self.size[kind]
            if solved and fast:
                f *= self.growth
            elif not solved:
                f /= 1.1
            self.size[kind] = min(0.9, max(0.02, f))

    def sizes(self) -> dict[str, float]:
        with self.lock:
            return {k: round(v, 3) for k, v in self.size.items()}


def _lns(built: BuiltModel, state: _State, opts: SolveOptions, lp_cells: list | None = None) -> None:
    rng = random.Random(opts.seed)
    hoods = _Neighbourhoods(built, rng, lp_cells, opts.neighbourhoods)
    hoods.growth = opts.lns_growth
    index = built.x_indices()
    model = built.model
    pos = {(e, d, s): model.get_bool_var_from_proto_index(i) for e, d, s, i in index}
    neg = {key: v.Not() for key, v in pos.items()}
    by_cell: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for e, d, s, _ in index:
        by_cell.setdefault((e, d), []).append((e, d, s))
    seeds = iter(range(opts.seed * 1_000_003 + 1, 10**12))
    seed_lock = threading.Lock()

    def one() -> None:
        while True:
            remaining = opts.seconds - state.elapsed()
            with state.lock:
                if state.objective is not None and state.objective <= state.bound:
                    return
                current, cur_obj = state.schedule, state.objective
            if remaining < 0.05 or current is None or cur_obj is None:
                return
            kind, free = hoods.pick(current)
            sub = model.clone()
            sub.clear_hints()
            fixed = []
            for cell, keys in by_cell.items():
                if cell in free:
                    continue
                e, d = cell
                for key in keys:
                    fixed.append(pos[key] if current[e][d] == key[2] else neg[key])
            sub.add_bool_and(fixed)
            for cell in free:
                e, d = cell
                for key in by_cell.get(cell, ()):
                    sub.add_hint(pos[key], 1 if current[e][d] == key[2] else 0)
            solver = cp_model.CpSolver()
            with seed_lock:
                seed = next(seeds) % (2**31 - 1)
            _params(solver, opts, min(opts.sub_seconds, remaining), opts.lns_workers, seed, opts.sub_parameters)
            solver.parameters.log_search_progress = False
            began = time.monotonic()
            status = solver.solve(sub)
            fast = time.monotonic() - began < opts.sub_seconds / 4
            state.count(f"{kind}:{_STATUS.get(status, '?')}")
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                hoods.feedback(kind, status == cp_model.INFEASIBLE, fast)
                continue
            obj = round(solver.objective_value)
            if obj < cur_obj:
                state.count(f"{kind}:improved")
            hoods.feedback(kind, status == cp_model.OPTIMAL, fast, obj < cur_obj)
            if obj <= cur_obj:
                state.offer(built.schedule_from(solver.boolean_value), obj, None, "lns")

    threads = [threading.Thread(target=one, daemon=True) for _ in range(max(1, opts.lns_threads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for kind, size in hoods.sizes().items():
        state.stats[f"size:{kind}"] = size  # type: ignore[assignment]
