"""A :class:`~app.services.rota.solver.problem.Problem` as a CP-SAT model.

Variables: ``x[e][d][s]`` (employee ``e`` works shift ``s`` on day ``d``; absent where it can never be
true: a day off, a shift the employee may work 0 times), ``w[e][d]`` (works at all that day, the
sum of the ``x``), ``weekend`` literals, and cover slack integers.

Formulation choices (each measured on the Curtois & Qu instances, see benchmarks/nrp_results.md):

- forbidden successions are aggregated per shift: ``x[e,d,s] + sum(x[e,d+1,t] for t forbidden after s) <= 1``
  (valid because at most one shift is worked a day, and tighter than pairwise clauses);
- minimum run lengths are implications over windows rather than automata: a run of work that starts
  on day ``d`` after a day off must go on for ``k-1`` more days or until the horizon ends
  (``w[d-1] or not w[d] or w[d+j]``), the same for days off; runs touching the first day are exempt
  because no clause is written for ``d = 0``, runs touching the last day because ``j`` stops there;
- maximum run lengths are sliding-window sums; total minutes and per-shift maxima are linear;
- a weekend is worked when any of its days is (``weekend >= w[d]`` and ``weekend <= sum w[d]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from app.services.rota.solver.problem import Problem
from app.services.rota.solver.runs import add_run_flow

__all__ = ("BuiltModel", "ModelOptions", "build_model")


@dataclass(slots=True)
class ModelOptions:
    symmetry_breaking: bool = True
    redundant_work_counts: bool = True
    run_flow: bool = False
    """Also state the run-length rules as a layered flow, see :mod:`runs`. Off by default: measured on the
    Curtois & Qu instances it did not raise the bound and kept CP-SAT from finding a first schedule."""


@dataclass(slots=True)
class BuiltModel:
    problem: Problem
    model: cp_model.CpModel
    x: list[list[list[cp_model.IntVar | None]]]
    w: list[list[cp_model.IntVar | None]]
    objective_terms: list[tuple[int, cp_model.IntVar]] = field(default_factory=list)
    objective_offset: int = 0

    def x_indices(self) -> list[tuple[int, int, int, int]]:
        """(employee, day, shift, proto variable index) of every existing assignment literal."""
        out = []
        for e, rows in enumerate(self.x):
            for d, cell in enumerate(rows):
                for s, var in enumerate(cell):
                    if var is not None:
                        out.append((e, d, s, var.Index()))
        return out

    def schedule_from(self, value) -> list[list[int | None]]:  # value: callable var -> int
        sched: list[list[int | None]] = []
        for rows in self.x:
            line: list[int | None] = []
            for cell in rows:
                chosen = None
                for s, var in enumerate(cell):
                    if var is not None and value(var):
                        chosen = s
                        break
                line.append(chosen)
            sched.append(line)
        return sched

    def add_hint(self, schedule: list[list[int | None]]) -> None:
        self.model.clear_hints()
        for e, rows in enumerate(self.x):
            for d, cell in enumerate(rows):
                for s, var in enumerate(cell):
                    if var is not None:
                        self.model.add_hint(var, 1 if schedule[e][d] == s else 0)


def build_model(problem: Problem, options: ModelOptions | None = None) -> BuiltModel:
    opts = options or ModelOptions()
    m = cp_model.CpModel()
    nd, ns = problem.num_days, len(problem.shifts)
    sidx = problem.shift_index()
    eidx = problem.employee_index()
    emps = problem.employees

    forced: dict[tuple[int, int], int | None] = {}
    for lock in problem.locks:
        forced[(eidx[lock.employee], lock.day)] = None if lock.shift is None else sidx[lock.shift]

    x: list[list[list[cp_model.IntVar | None]]] = []
    w: list[list[cp_model.IntVar | None]] = []
    for e, emp in enumerate(emps):
        xe: list[list[cp_model.IntVar | None]] = []
        we: list[cp_model.IntVar | None] = []
        for d in range(nd):
            cell: list[cp_model.IntVar | None] = []
            for s, sh in enumerate(problem.shifts):
                allowed = d not in emp.days_off and emp.max_shifts.get(sh.id, 1) > 0
                if (e, d) in forced:
                    if forced[(e, d)] == s and not allowed:
                        m.add(m.new_constant(0) == 1)  # a lock against a hard rule: infeasible, never silently dropped
                    allowed = allowed and forced[(e, d)] == s
                cell.append(m.new_bool_var(f"x_{emp.id}_{d}_{sh.id}") if allowed else None)
            lits = [v for v in cell if v is not None]
            if (e, d) in forced and forced[(e, d)] is not None:
                m.add(sum(lits) == 1)
            if not lits:
                wv = None
            elif len(lits) == 1:
                wv = lits[0]
            else:
                wv = m.new_bool_var(f"w_{emp.id}_{d}")
                m.add(sum(lits) == wv)
            xe.append(cell)
            we.append(wv)
        x.append(xe)
        w.append(we)

    built = BuiltModel(problem, m, x, w)
    terms = built.objective_terms

    for e, emp in enumerate(emps):
        # forbidden successions
        for d in range(nd - 1):
            for s, sh in enumerate(problem.shifts):
                if x[e][d][s] is None or not sh.forbidden_next:
                    continue
                nxt = [x[e][d + 1][sidx[t]] for t in sh.forbidden_next if t in sidx]
                nxt = [v for v in nxt if v is not None]
                if nxt:
                    m.add(x[e][d][s] + sum(nxt) <= 1)
        # per-shift maxima
        for s, sh in enumerate(problem.shifts):
            cap = emp.max_shifts.get(sh.id)
            lits = [x[e][d][s] for d in range(nd) if x[e][d][s] is not None]
            if cap is not None and len(lits) > cap:
                m.add(sum(lits) <= cap)
        # total minutes
        minutes = [(problem.shifts[s].minutes, x[e][d][s]) for d in range(nd) for s in range(ns)
                   if x[e][d][s] is not None]
        total = sum(c * v for c, v in minutes)
        if emp.max_minutes is not None:
            m.add(total <= emp.max_minutes)
        if emp.min_minutes:
            m.add(total >= emp.min_minutes)
        if opts.redundant_work_counts and minutes:
            lengths = {c for c, _ in minutes}
            days_worked = sum(v for v in w[e] if v is not None)
            if emp.max_minutes is not None and min(lengths) > 0:  # a shift of no minutes leaves days unbounded
                m.add(days_worked <= emp.max_minutes // min(lengths))
            if emp.min_minutes and max(lengths) > 0:
                m.add(days_worked >= -(-emp.min_minutes // max(lengths)))
        # maximum consecutive working days: every window of k+1 days has a day off
        k = emp.max_consecutive
        if k and k < nd:
            for d in range(nd - k):
                lits = [w[e][t] for t in range(d, d + k + 1) if w[e][t] is not None]
                if len(lits) > k:
                    m.add(sum(lits) <= k)
        # minimum consecutive working days (runs touching either end exempt)
        k = emp.min_consecutive
        if k and k > 1:
            for d in range(1, nd):
                start = w[e][d]
                if start is None:
                    continue
                prev = w[e][d - 1]
                for j in range(1, k):
                    if d + j >= nd:
                        break
                    nxt = w[e][d + j]
                    # prev off and d on -> d+j on
                    clause = [start.Not()]
                    if prev is not None:
                        clause.append(prev)
                    if nxt is not None:
                        clause.append(nxt)
                    m.add_bool_or(clause)
        # minimum consecutive days off (runs touching either end exempt)
        k = emp.min_days_off
        if k and k > 1:
            for d in range(1, nd):
                prev = w[e][d - 1]
                if prev is None:
                    continue  # cannot work on d-1: no run of days off starts on d
                cur = w[e][d]
                for j in range(1, k):
                    if d + j >= nd:
                        break
                    nxt = w[e][d + j]
                    if nxt is None:
                        continue  # day d+j is off anyway
                    # prev on and d off -> d+j off
                    clause = [prev.Not(), nxt.Not()]
                    if cur is not None:
                        clause.append(cur)
                    m.add_bool_or(clause)
        if opts.run_flow and (emp.min_consecutive or emp.max_consecutive or emp.min_days_off):
            add_run_flow(m, emp.id, w[e], emp.min_consecutive or 0, emp.max_consecutive or 0, emp.min_days_off or 0)
        # windowed limits (the app's calendar rules)
        for lim in emp.limits:
            lits = []
            extra = dict(lim.weights)
            for d in lim.days:
                if not 0 <= d < nd:
                    continue
                if lim.shifts is None and not extra:
                    if w[e][d] is not None:
                        lits.append((1, w[e][d]))
                else:
                    lits.extend((extra.get(t, 1), x[e][d][sidx[t]]) for t in (lim.shifts or sidx)
                                if t in sidx and x[e][d][sidx[t]] is not None)
            if sum(k for k, _ in lits) > lim.most:
                m.add(sum(k * v for k, v in lits) <= max(0, lim.most))
        # weekends
        if emp.max_weekends is not None or emp.weekend_limits:
            wk_lits = []
            by_weekend = {}
            for wi, days in enumerate(problem.weekends):
                lits = [w[e][d] for d in days if w[e][d] is not None]
                if not lits:
                    continue
                if len(lits) == 1:
                    wk_lits.append(lits[0])
                    by_weekend[wi] = lits[0]
                    continue
                wk = m.new_bool_var(f"wk_{emp.id}_{days[0]}")
                for lit in lits:
                    m.add_implication(lit, wk)
                m.add_bool_or([*lits, wk.Not()])
                wk_lits.append(wk)
                by_weekend[wi] = wk
            if emp.max_weekends is not None and len(wk_lits) > emp.max_weekends:
                m.add(sum(wk_lits) <= emp.max_weekends)
            for indices, most in emp.weekend_limits:
                chosen = [by_weekend[i] for i in indices if i in by_weekend]
                if len(chosen) > most:
                    m.add(sum(chosen) <= max(0, most))

    # cover
    for c in problem.cover:
        lits = [x[e][c.day][sidx[t]] for t in (c.shift, *sorted(c.also)) if t in sidx
                for e in range(len(emps)) if x[e][c.day][sidx[t]] is not None]
        count = sum(lits)
        if c.hard:
            m.add(count == c.requirement)
            continue
        if c.under_weight > 0 and c.requirement > 0:
            under = m.new_int_var(0, c.requirement, f"under_{c.day}_{c.shift}")
            m.add(count + under >= c.requirement)
            terms.append((c.under_weight, under))
        if c.over_weight > 0 and len(lits) > c.requirement:
            over = m.new_int_var(0, len(lits) - c.requirement, f"over_{c.day}_{c.shift}")
            m.add(count - over <= c.requirement)
            terms.append((c.over_weight, over))

    # requests
    for r in problem.requests:
        var = x[eidx[r.employee]][r.day][sidx[r.shift]]
        if r.on:
            built.objective_offset += r.weight
            if var is not None:
                terms.append((-r.weight, var))
        elif var is not None:
            terms.append((r.weight, var))

    if problem.fairness is not None:
        _add_fairness(built, problem.fairness, "")
        for i, extra in enumerate(problem.extra_fairness):
            _add_fairness(built, extra, f"x{i}_")

    if opts.symmetry_breaking:
        _break_symmetry(built)

    m.minimize(sum(c * v for c, v in terms) + built.objective_offset)
    return built


def _add_fairness(built: BuiltModel, f, tag: str) -> None:  # f: Fairness
    problem, m = built.problem, built.model
    sidx = problem.shift_index()
    devs = []
    for e, emp in enumerate(problem.employees):
        load_terms = []
        top = 0
        for (d, sid), pts in f.points.items():
            var = built.x[e][d][sidx[sid]] if 0 <= d < problem.num_days and sid in sidx else None
            if var is not None and pts:
                load_terms.append(pts * var)
                top += abs(pts)
        base = f.history.get(emp.id, 0) - f.target.get(emp.id, 0)
        k = f.scale.get(emp.id, 1)
        bound = (top + abs(base)) * k
        dev = m.new_int_var(0, bound, f"{tag}dev_{emp.id}")
        load = sum(load_terms) + base
        m.add(dev >= k * load)
        m.add(dev >= -k * load)
        devs.append((dev, bound))
    if not devs:
        return
    if f.mode == "sum":
        for dev, _ in devs:
            built.objective_terms.append((f.weight, dev))
    else:
        worst = m.new_int_var(0, max(b for _, b in devs), f"{tag}fair_max_dev")
        for dev, _ in devs:
            m.add(worst >= dev)
        built.objective_terms.append((f.weight, worst))


def _signature(problem: Problem, e: int) -> tuple:
    emp = problem.employees[e]
    reqs = sorted((r.day, r.shift, r.weight, r.on) for r in problem.requests if r.employee == emp.id)
    locks = sorted((lk.day, lk.shift or "") for lk in problem.locks if lk.employee == emp.id)
    return (tuple(sorted(emp.max_shifts.items())), emp.max_minutes, emp.min_minutes, emp.max_consecutive,
            emp.min_consecutive, emp.min_days_off, emp.max_weekends, tuple(sorted(emp.days_off)),
            tuple(reqs), tuple(locks), tuple(emp.limits), tuple(emp.weekend_limits))


def _break_symmetry(built: BuiltModel) -> None:
    """Interchangeable employees (same contract, days off, requests, locks; no fairness term): order them by
    their work pattern (day-major, then shift), lexicographically, with a weighted sum on a short prefix."""
    problem = built.problem
    if problem.fairness is not None:
        return
    groups: dict[tuple, list[int]] = {}
    for e in range(len(problem.employees)):
        groups.setdefault(_signature(problem, e), []).append(e)
    for members in groups.values():
        for a, b in pairwise(members):
            # compare the first up-to-20 assignment literals as binary numbers: a >= b
            la = [v for row in built.x[a] for v in row]
            lb = [v for row in built.x[b] for v in row]
            pairs = [(va, vb) for va, vb in zip(la, lb, strict=True) if va is not None and vb is not None][:20]
            n = len(pairs)
            if n:
                built.model.add(sum((1 << (n - 1 - i)) * va for i, (va, _) in enumerate(pairs))
                                >= sum((1 << (n - 1 - i)) * vb for i, (_, vb) in enumerate(pairs)))
