"""From the column generation's LP to schedules: a diving heuristic and single-employee re-optimisation.

Both rest on a property of problems whose cover is soft: any choice of one feasible column (a whole
schedule that keeps every rule of its employee) per employee is a feasible schedule. So

- :func:`dive` fixes, step by step, the employee whose best column has the largest LP value, re-solves
  the restricted master and prices new columns for the employees still free, until everyone is fixed;
- :func:`improve` re-optimises one employee at a time with everyone else fixed. With the others fixed,
  the cover cost that employee ``e`` adds on a cell is known exactly (the under-cover weight saved while
  the cell is short, the over-cover weight paid once it is full), so the best row for ``e`` is the
  pricing problem with those costs in place of the duals: an exact best move, found by CP-SAT.

Neither applies to hard cover (the app's generator), where a row cannot be changed on its own.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from app.services.rota.solver.colgen import ColumnGeneration

__all__ = ("all_cover_soft", "construct", "dive", "improve", "round_lp", "schedule_cost")

Schedule = list[list[int | None]]


def all_cover_soft(cg: ColumnGeneration) -> bool:
    return not any(c.hard for c in cg.cover.values())


def _counts(cg: ColumnGeneration, schedule: Schedule) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for row in schedule:
        for d, s in enumerate(row):
            if s is not None:
                counts[(d, s)] = counts.get((d, s), 0) + 1
    return counts


def row_cost(cg: ColumnGeneration, e: int, row: tuple[int | None, ...] | list[int | None]) -> int:
    pr = cg.pricers[e]
    return pr.constant + sum(pr.cell_cost[d][s] for d, s in enumerate(row) if s is not None)


def schedule_cost(cg: ColumnGeneration, schedule: Schedule) -> int:
    """The objective of ``schedule`` (requests and soft cover), computed from the column data."""
    total = sum(row_cost(cg, e, row) for e, row in enumerate(schedule))
    counts = _counts(cg, schedule)
    for key, c in cg.cover.items():
        n = counts.get(key, 0)
        total += max(0, c.requirement - n) * c.under_weight + max(0, n - c.requirement) * c.over_weight
    return total


def round_lp(cg: ColumnGeneration) -> Schedule | None:
    """Each employee's column with the largest value in the master LP (solved now): the cheapest rounding.

    Measured against :func:`dive` on Instances 7, 8 and 10: as good a start for the single-employee moves and
    the neighbourhood search, and it leaves them the dive's time. None if the LP cannot be solved.
    """
    try:
        cg.solve_lp()
    except RuntimeError:
        return None
    best: dict[int, tuple[float, tuple[int | None, ...]]] = {}
    for col in cg.columns:
        value = col.var.solution_value() if col.var is not None else 0.0
        if col.employee not in best or value > best[col.employee][0]:
            best[col.employee] = (value, col.cells)
    if len(best) < cg.ne:
        return None
    return [list(best[e][1]) for e in range(cg.ne)]


def dive(cg: ColumnGeneration, deadline: float, threads: int = 2, price_seconds: float = 0.5,
         fix_at: float = 0.99, rounds: int = 1) -> Schedule | None:
    """A schedule by diving on the restricted master (see the module doc); None if no LP could be solved.

    Each step fixes every free employee whose best column has LP value ``>= fix_at`` (at least the one with
    the largest value), re-solves and prices one round for the employees still free. When ``deadline``
    passes, the free employees take their best columns as they stand.
    """
    fixed: dict[int, object] = {}
    chosen: dict[int, tuple[int | None, ...]] = {}
    try:
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            alpha, pi = cg.solve_lp()
            while len(fixed) < cg.ne:
                best: dict[int, tuple[float, object]] = {}
                for col in cg.columns:
                    if col.employee in fixed or col.var is None:
                        continue
                    value = col.var.solution_value()
                    if col.employee not in best or value > best[col.employee][0]:
                        best[col.employee] = (value, col)
                ranked = sorted(best.items(), key=lambda item: -item[1][0])
                if time.monotonic() >= deadline:
                    picks = ranked
                else:
                    picks = [item for item in ranked if item[1][0] >= fix_at] or ranked[:1]
                for e, (_, col) in picks:
                    for other in cg.columns:  # close the employee's other columns
                        if other.employee == e and other is not col and other.var is not None:
                            other.var.SetUb(0)
                    fixed[e] = col
                    chosen[e] = col.cells  # type: ignore[attr-defined]
                free = [e for e in range(cg.ne) if e not in fixed]
                if not free:
                    break
                alpha, pi = cg.solve_lp()
                for _ in range(rounds):
                    if time.monotonic() >= deadline:
                        break
                    per = min(price_seconds, max(0.05, deadline - time.monotonic()))
                    added = sum(a for a, _ in pool.map(lambda e, a=alpha, p=pi, t=per: cg._price(e, a[e], p, t), free))
                    if not added:
                        break
                    alpha, pi = cg.solve_lp()
    except RuntimeError:
        return None
    finally:
        for col in cg.columns:
            if col.employee in fixed and col.var is not None:
                col.var.SetUb(1)
    return [list(chosen[e]) for e in range(cg.ne)]


def _marginal(cg: ColumnGeneration, counts: dict[tuple[int, int], int], row) -> dict[tuple[int, int], float]:
    """Cover cost per cell for an employee whose own row is ``row``, everyone else as counted."""
    out: dict[tuple[int, int], float] = {}
    for key, c in cg.cover.items():
        others = counts.get(key, 0) - (1 if row[key[0]] == key[1] else 0)
        out[key] = float(c.over_weight if others >= c.requirement else -c.under_weight)
    return out


def improve(cg: ColumnGeneration, schedule: Schedule, deadline: float, threads: int = 2,
            seconds: float = 1.0, on_improve=None) -> Schedule:
    """Re-optimise one employee at a time (everyone else fixed) until a full pass changes nothing.

    Two employees are re-optimised at once from the same schedule; the second move is re-priced after the
    first is applied and kept only if it still gains. ``on_improve(schedule, cost)`` hears every gain.
    """
    schedule = [list(row) for row in schedule]
    cost = schedule_cost(cg, schedule)
    order = list(range(cg.ne))
    stale = 0
    i = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        while stale < cg.ne and time.monotonic() < deadline:
            batch = [order[(i + k) % cg.ne] for k in range(min(threads, cg.ne))]
            i += len(batch)
            counts = _counts(cg, schedule)

            def best(e: int, counts=counts, current=schedule) -> tuple[int | None, ...] | None:
                per = min(seconds, max(0.05, deadline - time.monotonic()))
                found, _ = cg.best_rows(e, _marginal(cg, counts, current[e]), per, hint=tuple(current[e]))
                return found[-1] if found else None

            for e, row in zip(batch, pool.map(best, batch), strict=True):
                stale += 1
                if row is None or tuple(row) == tuple(schedule[e]):
                    continue
                trial = [*schedule[:e], list(row), *schedule[e + 1:]]
                new = schedule_cost(cg, trial)
                cg.add_column(e, tuple(row))
                if new < cost:
                    schedule, cost, stale = trial, new, 0
                    if on_improve is not None:
                        on_improve(schedule, cost)
    return schedule


def construct(cg: ColumnGeneration, deadline: float, threads: int = 2,
              give_up: float | None = None) -> Schedule | str:
    """A first schedule without column generation: each employee in turn takes their best row under the cover
    costs the employees before them leave (an open seat saves its under-cover weight, a full one costs its
    over-cover weight). For inputs too large to price every employee many times (a year for 150 people).

    Two employees are placed at once from the same counts, each solve with its share of the time until
    ``deadline``, but never less than the longest solve that a row needed so far (from 0.5 s: a year of 32
    shift types takes CP-SAT 1-1.7 s to a first row). A solve that finds no row in its time is tried again
    with twice as long. Returns the schedule, or "infeasible" (an employee has no row that keeps their rules)
    or "unknown" (no row found by ``give_up``).
    """
    empty: list[int | None] = [None] * cg.nd
    schedule: Schedule = [list(empty) for _ in range(cg.ne)]
    counts: dict[tuple[int, int], int] = {}
    typical = 0.5  # how long the last rows took to find: no solve is given less
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        i = 0
        while i < cg.ne:
            batch = list(range(i, min(cg.ne, i + max(1, threads))))
            share = max(typical, (deadline - time.monotonic()) / (cg.ne - i) * max(1, threads))
            marginal = _marginal(cg, counts, empty)

            def best(e: int, marginal=marginal, share=share) -> tuple[tuple[int | None, ...] | str, float]:
                seconds = share
                while True:
                    found, bound = cg.best_rows(e, marginal, seconds)
                    if found:
                        return found[-1], seconds
                    if bound == float("inf"):
                        return "infeasible", seconds
                    if give_up is not None and time.monotonic() >= give_up:
                        return "unknown", seconds
                    seconds *= 2

            for e, (row, seconds) in zip(batch, pool.map(best, batch), strict=True):
                if isinstance(row, str):
                    return row
                typical = max(typical, seconds)
                schedule[e] = list(row)
                cg.add_column(e, row)
                for d, s in enumerate(row):
                    if s is not None:
                        counts[(d, s)] = counts.get((d, s), 0) + 1
            i += len(batch)
    return schedule
