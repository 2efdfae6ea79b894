"""Column generation: a lower bound and good first schedules from whole per-employee schedules ("columns").

The master problem chooses one column per employee and pays for the cover it leaves short or long; its
linear relaxation (GLOP) is far tighter than that of the cell model, because each column already obeys
every rule of one employee (runs, weekends, minutes, successions). New columns come from pricing: for
each employee, the cheapest row under the master's duals, found exactly by the dynamic programme of
:mod:`pricing`, or, where that cannot answer (the app's windowed limits, a maximum too large to track), by a
one-employee CP-SAT model built by the same :func:`build_model`. Then the LP is rounded (soft cover, see
:mod:`dive`) or a CP-SAT model over the generated columns (the restricted master as an integer problem, for
hard cover) yields a schedule, which the neighbourhood search refines.

Pricing uses Wentges-smoothed duals (a mix of the master's duals and those of the best bound so far),
which measured about half the rounds on Instance8 (LP 1300 after 7 s instead of 20 s). The Lagrangian
bound at the priced duals (:meth:`ColumnGeneration.lagrangian_bound`) is a valid lower bound on the optimum
whenever every pricing problem was solved to optimality (the DP's answers are exact; CP-SAT's count when
proven).
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from app.services.rota.solver.model import BuiltModel, ModelOptions, build_model
from app.services.rota.solver.pricing import RowDP
from app.services.rota.solver.problem import Problem

__all__ = ("ColumnGeneration",)

SCALE = 1000
HARD_SLACK = 10**6


@dataclass(slots=True)
class _Column:
    employee: int
    cells: tuple[int | None, ...]  # shift index per day
    cost: int
    var: pywraplp.Variable | None = None


@dataclass(slots=True)
class _Pricer:
    built: BuiltModel
    dp: RowDP
    cell_cost: list[list[int]] = field(default_factory=list)  # [d][s]
    constant: int = 0


class ColumnGeneration:
    def __init__(self, problem: Problem, options: ModelOptions | None = None) -> None:
        self.problem = problem
        self.nd, self.ns, self.ne = problem.num_days, len(problem.shifts), len(problem.employees)
        self.sidx = problem.shift_index()
        self.cover = {(c.day, self.sidx[c.shift]): c for c in problem.cover}
        self.columns: list[_Column] = []
        self.seen: set[tuple[int, tuple]] = set()
        self.pricers: list[_Pricer] = []
        self.lp_value: float | None = None
        self.lagrangian: float = -math.inf
        self.smoothing = 0.5
        self.use_dp = True
        """Price with the DP of :mod:`pricing` where it can answer; False prices every row with CP-SAT (the tests'
        and benchmarks' yardstick)."""
        self.lock = threading.Lock()
        self.pricing_locks = [threading.Lock() for _ in problem.employees]
        opts = options or ModelOptions()
        for emp in problem.employees:
            single = Problem(
                name=f"{problem.name}:{emp.id}", num_days=self.nd, shifts=problem.shifts, employees=[emp],
                requests=[r for r in problem.requests if r.employee == emp.id], weekends=problem.weekends,
                locks=[lk for lk in problem.locks if lk.employee == emp.id],
            )
            pricer = _Pricer(build_model(single, ModelOptions(symmetry_breaking=False, run_flow=opts.run_flow)),
                             RowDP(single, 0))
            pricer.cell_cost = [[0] * self.ns for _ in range(self.nd)]
            for r in single.requests:
                s = self.sidx[r.shift]
                if r.on:
                    pricer.constant += r.weight
                    pricer.cell_cost[r.day][s] -= r.weight
                else:
                    pricer.cell_cost[r.day][s] += r.weight
            self.pricers.append(pricer)
        self._build_master()

    # ----------------------------------------------------------------------------------------------- master

    def _build_master(self) -> None:
        lp = pywraplp.Solver.CreateSolver("GLOP")
        assert lp is not None
        self.lp = lp
        self.convex = [lp.Constraint(1, 1, f"one_{e}") for e in range(self.ne)]
        self.cover_rows: dict[tuple[int, int], pywraplp.Constraint] = {}
        objective = lp.Objective()
        for (d, s), c in self.cover.items():
            row = lp.Constraint(c.requirement, c.requirement, f"cover_{d}_{s}")
            under_w = HARD_SLACK if c.hard else c.under_weight
            over_w = HARD_SLACK if c.hard else c.over_weight
            under = lp.NumVar(0, c.requirement, f"under_{d}_{s}")
            over = lp.NumVar(0, self.ne, f"over_{d}_{s}")
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(under, under_w)
            objective.SetCoefficient(over, over_w)
            self.cover_rows[(d, s)] = row
        objective.SetMinimization()

    def _rebuild_master(self) -> None:
        proto = linear_solver_pb2.MPModelProto()
        self.lp.ExportModelToProto(proto)
        lp = pywraplp.Solver.CreateSolver("GLOP")
        assert lp is not None
        error = lp.LoadModelFromProto(proto)
        if error:
            raise RuntimeError(f"master LP could not be rebuilt: {error}")
        variables, rows = lp.variables(), lp.constraints()
        for col in self.columns:
            if col.var is not None:
                col.var = variables[col.var.index()]
        self.convex = [rows[c.index()] for c in self.convex]
        self.cover_rows = {k: rows[c.index()] for k, c in self.cover_rows.items()}
        self.lp = lp

    def add_column(self, e: int, cells: tuple[int | None, ...]) -> bool:
        key = (e, cells)
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            pr = self.pricers[e]
            cost = pr.constant + sum(pr.cell_cost[d][s] for d, s in enumerate(cells) if s is not None)
            col = _Column(e, cells, cost)
            var = self.lp.NumVar(0, 1, f"col_{len(self.columns)}")
            self.lp.Objective().SetCoefficient(var, cost)
            self.convex[e].SetCoefficient(var, 1)
            for d, s in enumerate(cells):
                if s is not None and (d, s) in self.cover_rows:
                    self.cover_rows[(d, s)].SetCoefficient(var, 1)
            col.var = var
            self.columns.append(col)
            return True

    def add_schedule(self, schedule: list[list[int | None]]) -> None:
        for e, row in enumerate(schedule):
            self.add_column(e, tuple(row))

    def solve_lp(self) -> tuple[list[float], dict[tuple[int, int], float]]:
        status = self.lp.Solve()
        if status == pywraplp.Solver.ABNORMAL:
            # GLOP's warm-started instance can end up in a state it reports as abnormal after many column and bound
            # changes (seen during dives on Instance18; a re-solve with incrementality off did not help), while a
            # fresh GLOP solves the same model at once: rebuild the master from its own export and solve again
            self._rebuild_master()
            status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"master LP status {status}")
        self.lp_value = self.lp.Objective().Value()
        alpha = [c.dual_value() for c in self.convex]
        pi = {k: c.dual_value() for k, c in self.cover_rows.items()}
        return alpha, pi

    # ---------------------------------------------------------------------------------------------- pricing

    def best_rows(self, e: int, extra: dict[tuple[int, int], float], seconds: float,
                  hint: tuple[int | None, ...] | None = None) -> tuple[list[tuple[int | None, ...]], float | None]:
        """Employee ``e``'s cheapest schedules under ``request cost + extra[(day, shift)]`` per worked cell.

        Returns the schedules found (best last; empty when none in time) and a proven lower bound of the
        cheapest one's cost (without the request constant; ``inf`` when the employee has no schedule at all),
        or None when optimality was not proven.
        """
        pr = self.pricers[e]
        if self.use_dp:
            exact = pr.dp.best([[cost + extra.get((d, s), 0.0) for s, cost in enumerate(row)]
                                for d, row in enumerate(pr.cell_cost)])
            if exact is not None:
                return exact
        terms = []
        for d, row in enumerate(pr.built.x[0]):
            for s, var in enumerate(row):
                if var is None:
                    continue
                coef = round(SCALE * (pr.cell_cost[d][s] + extra.get((d, s), 0.0)))
                if coef:
                    terms.append(coef * var)
        with self.pricing_locks[e]:  # one solve per employee model at a time
            model = pr.built.model
            model.minimize(sum(terms))
            model.clear_hints()
            if hint is not None:
                for d, row in enumerate(pr.built.x[0]):
                    for s, var in enumerate(row):
                        if var is not None:
                            model.add_hint(var, 1 if hint[d] == s else 0)
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = max(0.05, seconds)
            solver.parameters.num_workers = 1
            solver.parameters.linearization_level = 2
            found: list[tuple[int | None, ...]] = []

            class Collect(cp_model.CpSolverSolutionCallback):
                def on_solution_callback(cb) -> None:
                    found.append(tuple(pr.built.schedule_from(cb.boolean_value)[0]))

            status = solver.solve(model, Collect())
        if status == cp_model.INFEASIBLE:
            return [], math.inf
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [], None
        # rounding each coefficient moves the objective by at most 0.5 per chosen cell
        slack = 0.5 * self.nd / SCALE
        bound = solver.best_objective_bound / SCALE - slack
        return found, bound if status == cp_model.OPTIMAL else None

    def _price(self, e: int, alpha: float, pi: dict[tuple[int, int], float], seconds: float,
               sep: dict[tuple[int, int], float] | None = None) -> tuple[int, float | None]:
        """Prices employee ``e`` under the duals ``sep`` (default ``pi``) and adds the columns found whose reduced
        cost under the master's duals (``alpha``, ``pi``) is negative.

        Returns (columns added, a proven lower bound of ``min over e's columns of cost - sep . cover`` or None).
        """
        duals = pi if sep is None else sep
        extra = {k: -v for k, v in duals.items()}
        found, bound = self.best_rows(e, extra, seconds)
        if not found:
            return 0, None
        added = 0
        for cells in found[-3:]:
            rc = self.reduced_cost(e, cells, alpha, pi)
            if rc < -1e-6:
                added += self.add_column(e, cells)
        return added, None if bound is None else self.pricers[e].constant + bound

    def _first_column(self, e: int, seconds: float) -> str:
        """Employee ``e``'s first column (least request cost): "added", "timeout" or "infeasible"."""
        found, bound = self.best_rows(e, {}, seconds)
        if found:
            self.add_column(e, found[-1])
            return "added"
        return "infeasible" if bound == math.inf else "timeout"

    def lagrangian_bound(self, duals: dict[tuple[int, int], float], least: list[float]) -> float:
        """The Lagrangian bound at cover duals ``duals`` given each employee's least ``cost - duals . cover``
        (a valid lower bound on the optimum for any duals; at the master's optimal duals it equals the LP)."""
        value = sum(least)
        for key, c in self.cover.items():
            pi = duals.get(key, 0.0)
            under_w = HARD_SLACK if c.hard else c.under_weight
            over_w = HARD_SLACK if c.hard else c.over_weight
            value += pi * c.requirement + c.requirement * min(0.0, under_w - pi) + self.ne * min(0.0, over_w + pi)
        return value

    def reduced_cost(self, e: int, cells: tuple[int | None, ...], alpha: float,
                     pi: dict[tuple[int, int], float]) -> float:
        pr = self.pricers[e]
        value = pr.constant - alpha
        for d, s in enumerate(cells):
            if s is not None:
                value += pr.cell_cost[d][s] - pi.get((d, s), 0.0)
        return value

    def run(self, deadline: float, threads: int = 2, on_bound=None) -> None:
        """Generate columns until none prices out or ``deadline`` (a time.monotonic() value) passes."""
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            # a first column per employee; one whose solve ran out of time (a loaded machine) is tried again with
            # twice the time, so that only an employee proven to have no schedule, or the deadline, stops it
            seconds = 2.0
            while True:
                have = {c.employee for c in self.columns}
                missing = [e for e in range(self.ne) if e not in have]
                if not missing:
                    break
                if time.monotonic() >= deadline:
                    raise RuntimeError("no first schedule for every employee in time")
                per = min(seconds, max(0.1, deadline - time.monotonic()))
                if "infeasible" in pool.map(lambda e, t=per: self._first_column(e, t), missing):
                    raise RuntimeError("an employee has no schedule that keeps their rules")
                seconds *= 2
            # Wentges smoothing: price at a mix of the duals of the best bound so far (the centre) and the master's
            # current duals, which damps the duals' oscillation; a round that finds nothing for the master is
            # repeated with its own duals, and a round at the master's own duals that finds nothing ends it.
            centre: dict[tuple[int, int], float] | None = None
            exact = True
            while time.monotonic() < deadline:
                alpha, pi = self.solve_lp()
                sep = pi if exact or centre is None else {
                    k: self.smoothing * centre.get(k, 0.0) + (1 - self.smoothing) * v for k, v in pi.items()}
                left = deadline - time.monotonic()
                per = min(2.0, max(0.1, left / max(1, self.ne) * threads))
                results = list(pool.map(lambda e, a=alpha, p=pi, s=sep, t=per: self._price(e, a[e], p, t, sep=s),
                                        range(self.ne)))
                added = sum(a for a, _ in results)
                if all(b is not None for _, b in results):
                    lag = self.lagrangian_bound(sep, [b for _, b in results])  # type: ignore[misc]
                    if lag > self.lagrangian:
                        self.lagrangian = lag
                        centre = sep
                        if on_bound is not None:
                            on_bound(math.ceil(lag - 1e-6))
                if added == 0:
                    if sep is pi:
                        if all(b is not None for _, b in results) and self.lp_value > self.lagrangian:  # type: ignore[operator]
                            self.lagrangian = self.lp_value  # type: ignore[assignment]
                            if on_bound is not None:
                                on_bound(math.ceil(self.lagrangian - 1e-6))
                        break
                    exact = True
                else:
                    exact = self.smoothing <= 0

    def cell_values(self) -> list[list[list[float]]]:
        """The LP solution per employee, day and shift (the share of columns that work it)."""
        self.solve_lp()  # columns may have been added since the last solve
        out = [[[0.0] * self.ns for _ in range(self.nd)] for _ in range(self.ne)]
        for col in self.columns:
            value = col.var.solution_value() if col.var is not None else 0.0
            if value > 1e-9:
                for d, s in enumerate(col.cells):
                    if s is not None:
                        out[col.employee][d][s] += value
        return out

    def bound(self) -> int | None:
        return None if self.lagrangian == -math.inf else math.ceil(self.lagrangian - 1e-6)

    # ----------------------------------------------------------------------------------- integer master

    def support(self, per_employee: int = 10) -> list[_Column]:
        """The columns the master LP (solved now) uses, and each employee's ``per_employee`` columns of least
        reduced cost: a small pool in which the LP's near-integral structure can be completed to a schedule."""
        alpha, pi = self.solve_lp()
        by_emp: dict[int, list[tuple[float, int, _Column]]] = {}
        for i, col in enumerate(self.columns):
            value = col.var.solution_value() if col.var is not None else 0.0
            rc = -1.0 if value > 1e-6 else self.reduced_cost(col.employee, col.cells, alpha[col.employee], pi)
            by_emp.setdefault(col.employee, []).append((rc, i, col))
        pool: list[_Column] = []
        for cols in by_emp.values():
            cols.sort(key=lambda item: (item[0], item[1]))
            pool.extend(col for rc, _, col in cols if rc < 0)
            pool.extend(col for rc, _, col in cols[:per_employee] if rc >= 0)
        return pool

    def integer_master(self, seconds: float, workers: int, hint: list[list[int | None]] | None = None,
                       target: int | None = None, on_solution=None,
                       columns: list[_Column] | None = None) -> tuple[list[list[int | None]] | None, int | None]:
        """CP-SAT over the generated columns (or ``columns``): the best choice of one column per employee."""
        m = cp_model.CpModel()
        chosen: list[tuple[_Column, cp_model.IntVar]] = []
        by_emp: dict[int, list] = {}
        cover_terms: dict[tuple[int, int], list] = {}
        for col in self.columns if columns is None else columns:
            v = m.new_bool_var("")
            chosen.append((col, v))
            by_emp.setdefault(col.employee, []).append(v)
            for d, s in enumerate(col.cells):
                if s is not None:
                    cover_terms.setdefault((d, s), []).append(v)
        for e in range(self.ne):
            m.add_exactly_one(by_emp.get(e, []))
        obj = [col.cost * v for col, v in chosen]
        for (d, s), c in self.cover.items():
            count = sum(cover_terms.get((d, s), []))
            if c.hard:
                m.add(count == c.requirement)
                continue
            under = m.new_int_var(0, c.requirement, "")
            over = m.new_int_var(0, self.ne, "")
            m.add(count + under - over == c.requirement)
            obj += [c.under_weight * under, c.over_weight * over]
        m.minimize(sum(obj))
        if hint is not None:
            for col, v in chosen:
                m.add_hint(v, 1 if tuple(hint[col.employee]) == col.cells else 0)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, seconds)
        solver.parameters.num_workers = workers

        def extract(value) -> list[list[int | None]]:
            sched: list[list[int | None]] = [[None] * self.nd for _ in range(self.ne)]
            for col, v in chosen:
                if value(v):
                    sched[col.employee] = list(col.cells)
            return sched

        class Report(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(cb) -> None:
                if on_solution is not None:
                    on_solution(extract(cb.boolean_value), round(cb.objective_value))
                if target is not None and round(cb.objective_value) <= target:
                    cb.stop_search()

        status = solver.solve(m, Report())
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, None
        return extract(solver.boolean_value), round(solver.objective_value)
