"""Column generation's pieces: the one-employee pricing against brute force, the dive and the single-employee
moves, each schedule checked by the independent evaluator."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from app.services.rota.nrp import evaluate, parse_instance
from app.services.rota.solver.colgen import ColumnGeneration
from app.services.rota.solver.dive import dive, improve, schedule_cost

# 8 days from a Monday, two shifts (N may not be followed by D), three people with different contracts,
# requests both ways and soft cover that cannot all be met.
SMALL = """
SECTION_HORIZON
8
SECTION_SHIFTS
D,480,
N,600,D
SECTION_STAFF
A,D=8|N=2,2880,1440,4,2,2,1
B,D=8|N=0,2400,960,3,1,1,2
C,D=3|N=3,3000,1920,5,2,2,1
SECTION_DAYS_OFF
B,3
SECTION_SHIFT_ON_REQUESTS
A,0,D,3
C,6,N,2
SECTION_SHIFT_OFF_REQUESTS
A,4,D,2
B,1,D,4
SECTION_COVER
0,D,1,100,1
0,N,1,100,1
1,D,2,100,1
1,N,0,100,1
2,D,1,100,1
2,N,1,100,1
3,D,2,100,1
3,N,1,100,1
4,D,1,100,1
4,N,0,100,1
5,D,1,100,1
5,N,1,100,1
6,D,2,100,1
6,N,1,100,1
7,D,1,100,1
7,N,0,100,1
"""


def _ids(problem, schedule):
    return [[None if s is None else problem.shifts[s].id for s in row] for row in schedule]


@pytest.fixture(scope="module")
def small():
    return parse_instance(SMALL)


def _brute_rows(problem, e):
    """Every row that keeps employee e's rules, by enumeration and the evaluator."""
    from app.services.rota.solver import Problem

    single = Problem(name="one", num_days=problem.num_days, shifts=problem.shifts,
                     employees=[problem.employees[e]], weekends=problem.weekends)
    options = [None, *range(len(problem.shifts))]
    return [row for row in itertools.product(options, repeat=problem.num_days)
            if evaluate(single, _ids(problem, [row])).feasible]


def test_pricing_finds_the_cheapest_row_under_random_cell_costs(small) -> None:
    cg = ColumnGeneration(small)
    rng = random.Random(7)
    for e in range(len(small.employees)):
        rows = _brute_rows(small, e)
        pr = cg.pricers[e]
        for _ in range(3):
            extra = {(d, s): rng.uniform(-150, 150) for d in range(small.num_days) for s in range(len(small.shifts))}

            def cost(row, extra=extra, pr=pr):
                return sum(pr.cell_cost[d][s] + extra[(d, s)] for d, s in enumerate(row) if s is not None)

            found, bound = cg.best_rows(e, extra, seconds=10)
            assert found and bound is not None
            best = min(cost(row) for row in rows)
            assert tuple(found[-1]) in set(rows)  # the pricing's row keeps every rule
            assert cost(found[-1]) == pytest.approx(best, abs=0.01)
            assert bound <= best + 1e-6


def test_the_dive_gives_a_valid_schedule_priced_like_the_evaluator(small) -> None:
    cg = ColumnGeneration(small)
    cg.run(time.monotonic() + 20)
    schedule = dive(cg, time.monotonic() + 20)
    assert schedule is not None
    ev = evaluate(small, _ids(small, schedule))
    assert ev.violations == []
    assert schedule_cost(cg, schedule) == ev.objective
    assert ev.objective >= cg.bound()


def test_single_employee_moves_never_worsen_and_end_in_a_local_optimum(small) -> None:
    cg = ColumnGeneration(small)
    cg.run(time.monotonic() + 20)
    # start from the first (zero-dual) column of each employee: valid, but blind to cover
    start = [list(next(c.cells for c in cg.columns if c.employee == e)) for e in range(cg.ne)]
    before = evaluate(small, _ids(small, start))
    assert before.violations == []
    seen = []
    better = improve(cg, start, time.monotonic() + 20, on_improve=lambda s, c: seen.append(c))
    after = evaluate(small, _ids(small, better))
    assert after.violations == []
    assert after.objective == schedule_cost(cg, better) <= before.objective
    assert seen == sorted(seen, reverse=True)
    # no single employee can do better on their own any more: brute force over each employee's rows
    for e in range(cg.ne):
        for row in _brute_rows(small, e):
            trial = [list(r) for r in better]
            trial[e] = list(row)
            assert evaluate(small, _ids(small, trial)).objective >= after.objective


def test_the_lagrangian_bound_stays_below_the_optimum_at_any_duals(small) -> None:
    from app.services.rota.solver import SolveOptions, solve

    optimum = solve(small, SolveOptions(seconds=20, column_generation=False))
    assert optimum.status == "OPTIMAL"
    cg = ColumnGeneration(small)
    rows = [_brute_rows(small, e) for e in range(cg.ne)]
    rng = random.Random(3)
    for _ in range(5):
        duals = {key: rng.uniform(-120, 120) for key in cg.cover}
        least = [min(cg.pricers[e].constant + sum(cg.pricers[e].cell_cost[d][s] - duals.get((d, s), 0.0)
                                                 for d, s in enumerate(row) if s is not None) for row in rows[e])
                 for e in range(cg.ne)]
        assert cg.lagrangian_bound(duals, least) <= optimum.objective + 1e-6
    # column generation to the end: its bound is the LP's and no higher than the optimum
    cg.run(time.monotonic() + 20)
    assert cg.bound() <= optimum.objective
    assert cg.lagrangian == pytest.approx(cg.lp_value, abs=1e-6)


def test_rounding_the_lp_gives_a_valid_schedule(small) -> None:
    from app.services.rota.solver.dive import round_lp

    cg = ColumnGeneration(small)
    cg.run(time.monotonic() + 20)
    schedule = round_lp(cg)
    ev = evaluate(small, _ids(small, schedule))
    assert ev.violations == []
    assert schedule_cost(cg, schedule) == ev.objective >= cg.bound()


@pytest.mark.parametrize(("dive_share", "first"), [(0.2, "dive"), (0.0, "round")])
def test_solve_starts_from_the_dive_or_the_rounded_lp_and_ends_optimal(small, dive_share, first) -> None:
    from app.services.rota.solver import SolveOptions, solve

    seen = []
    solution = solve(small, SolveOptions(seconds=20, dive_share=dive_share, progress=seen.append))
    assert solution.status == "OPTIMAL"
    assert seen[0].phase == first
    ev = evaluate(small, solution.shift_ids(small))
    assert ev.violations == []
    assert solution.objective == ev.objective == solution.bound


def test_the_master_over_the_lps_support_completes_it_no_worse_than_rounding(small) -> None:
    from app.services.rota.solver.dive import round_lp

    cg = ColumnGeneration(small)
    cg.run(time.monotonic() + 20)
    rounded = round_lp(cg)
    pool = cg.support(per_employee=2)
    assert {c.employee for c in pool} == set(range(cg.ne))
    schedule, cost = cg.integer_master(10, 1, hint=rounded, columns=pool)
    ev = evaluate(small, _ids(small, schedule))
    assert ev.violations == []
    assert cost == ev.objective == schedule_cost(cg, schedule)
    assert cg.bound() <= cost <= schedule_cost(cg, rounded)


def test_an_employee_without_any_schedule_stops_column_generation_at_once() -> None:
    # B must work at least 5 days of 8 but at most 2 in a row with 2 days off between runs: impossible
    text = SMALL.replace("B,D=8|N=0,2400,960,3,1,1,2", "B,D=8|N=0,2400,2400,2,1,2,2")
    cg = ColumnGeneration(parse_instance(text))
    with pytest.raises(RuntimeError, match="no schedule that keeps their rules"):  # not "in time"
        cg.run(time.monotonic() + 30)


def test_the_costly_day_neighbourhood_aims_at_costs_the_lp_does_not_pay(small) -> None:
    import random as _random

    from app.services.rota.solver.dive import round_lp
    from app.services.rota.solver.model import build_model
    from app.services.rota.solver.search import _Neighbourhoods

    cg = ColumnGeneration(small)
    cg.run(time.monotonic() + 20)
    lp_like = round_lp(cg)
    lp_cells = [[[1.0 if row[d] == s else 0.0 for s in range(cg.ns)] for d in range(cg.nd)] for row in lp_like]
    worse = [list(row) for row in lp_like]
    e = next(e for e, row in enumerate(worse) if row[5] is not None)
    worse[e][5] = None  # one seat of day 5 left empty: 100 more than the "LP" pays there
    hoods = _Neighbourhoods(build_model(small), _random.Random(0), lp_cells)
    assert {hoods._costly_day(worse) for _ in range(200)} == {5}
    assert schedule_cost(cg, lp_like) > 0  # the other days cost something too, and are never drawn


def test_inputs_too_large_for_the_cell_model_still_get_a_valid_schedule(small) -> None:
    from app.services.rota.solver import SolveOptions, solve

    seen = []
    solution = solve(small, SolveOptions(seconds=5, large_cells=1, progress=seen.append))
    assert solution.status == "FEASIBLE"
    assert seen[0].phase == "construct"
    ev = evaluate(small, solution.shift_ids(small))
    assert ev.violations == []
    assert solution.objective == ev.objective


def test_the_row_by_row_construction_reports_an_employee_without_any_row() -> None:
    from app.services.rota.solver.dive import construct

    text = SMALL.replace("B,D=8|N=0,2400,960,3,1,1,2", "B,D=8|N=0,2400,2400,2,1,2,2")
    assert construct(ColumnGeneration(parse_instance(text)), time.monotonic() + 5) == "infeasible"


def test_the_days_neighbourhood_frees_everyone_on_windows_far_apart(small) -> None:
    # A weekend given up early in the month and one taken up late are one move only if both windows are free
    # together: the days neighbourhood frees every employee on one to three windows, not always one.
    import random as _random

    from app.services.rota.solver.model import build_model
    from app.services.rota.solver.search import _Neighbourhoods

    hoods = _Neighbourhoods(build_model(small), _random.Random(1), kinds=("days",))
    hoods.size["days"] = 0.5
    schedule = [[None] * small.num_days for _ in small.employees]
    split = 0
    for _ in range(60):
        kind, cells = hoods.pick(schedule)
        assert kind == "days"
        days = sorted({d for _, d in cells})
        assert cells == {(e, d) for e in range(len(small.employees)) for d in days}  # everyone on those days
        assert 1 <= len(days) <= small.num_days // 2 + 1
        split += any(b - a > 1 for a, b in itertools.pairwise(days))
    assert split > 0  # some parts are two or three windows with days between them
