"""The dynamic-programming pricing against CP-SAT's: the same cheapest row on real contracts, every row it
returns valid by the independent evaluator, and an honest "cannot tell" where it does not track a maximum."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.services.rota.nrp import evaluate, load_instance
from app.services.rota.solver import Problem, pricing
from app.services.rota.solver.colgen import ColumnGeneration
from app.services.rota.solver.pricing import RowDP

SHARED = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "nrp"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared benchmark files not present")


def _single(problem: Problem, e: int) -> Problem:
    return Problem(name="one", num_days=problem.num_days, shifts=problem.shifts, employees=[problem.employees[e]],
                   weekends=problem.weekends)


def _valid(problem: Problem, e: int, row) -> bool:
    ids = [None if s is None else problem.shifts[s].id for s in row]
    return evaluate(_single(problem, e), [ids]).feasible


def _costs(problem: Problem, rng: random.Random) -> dict[tuple[int, int], float]:
    # mostly attractive cells, as under the duals of a master short of cover
    return {(d, s): rng.uniform(-60, 20) for d in range(problem.num_days) for s in range(len(problem.shifts))}


def _agrees_with_cp_sat(problem: Problem, employees, trials: int, seed: int) -> None:
    """Under random costs, the DP's cheapest row costs what CP-SAT's proven optimum does, and every row it
    returns (one to three, all different) keeps the employee's rules by the evaluator."""
    exact = ColumnGeneration(problem)
    exact.use_dp = False
    rng = random.Random(seed)
    for e in employees:
        dp = RowDP(_single(problem, e), 0)
        pr = exact.pricers[e]
        for _ in range(trials):
            extra = _costs(problem, rng)
            cost = [[pr.cell_cost[d][s] + extra[(d, s)] for s in range(len(problem.shifts))]
                    for d in range(problem.num_days)]
            answer = dp.best(cost)
            assert answer is not None
            rows, value = answer
            found, bound = exact.best_rows(e, extra, seconds=30)
            assert bound is not None  # CP-SAT proved its row optimal
            cp_value = sum(cost[d][s] for d, s in enumerate(found[-1]) if s is not None)
            assert value == pytest.approx(cp_value, abs=0.02)
            assert sum(cost[d][s] for d, s in enumerate(rows[-1]) if s is not None) == pytest.approx(value)
            assert 1 <= len(rows) <= 3 and len(set(rows)) == len(rows)
            assert all(_valid(problem, e, row) for row in rows)


@needs_shared
@pytest.mark.parametrize("name", ["Instance3", "Instance7", "Instance10", "Instance18"])
def test_the_dp_finds_cp_sats_cheapest_row(name: str) -> None:
    # 3: per-shift maxima of 2 and 5; 7: weekends, days off; 10: shifts of 480 and 600 minutes; 18: 84 days,
    # 6 weekends of 12, a maximum of 40 late shifts too large to track
    problem = load_instance(SHARED / f"{name}.txt")
    _agrees_with_cp_sat(problem, range(0, len(problem.employees), 3), trials=2, seed=5)


@needs_shared
def test_a_maximum_the_dp_does_not_track_sends_the_pricing_back_to_cp_sat(monkeypatch) -> None:
    problem = load_instance(SHARED / "Instance3.txt")
    monkeypatch.setattr(pricing, "MAX_TRACKED", 1)  # track nothing beyond minutes and weekends
    e = next(i for i, emp in enumerate(problem.employees) if emp.max_shifts.get("L") == 2)
    single = _single(problem, e)
    dp = RowDP(single, 0)
    late = problem.shift_index()["L"]
    assert (late, 2) in dp.relaxed
    # late shifts far cheaper than anything else: the untracked maximum of 2 is what stops the cheapest row
    cost = [[-100.0 if s == late else 1.0 for s in range(len(problem.shifts))] for _ in range(problem.num_days)]
    assert dp.best(cost) is None
    cg = ColumnGeneration(problem)
    cg.pricers[e].dp = dp
    extra = {(d, s): cost[d][s] - cg.pricers[e].cell_cost[d][s] for d in range(problem.num_days)
             for s in range(len(problem.shifts))}
    found, bound = cg.best_rows(e, extra, seconds=30)
    assert bound is not None and found
    assert found[-1].count(late) == 2 and _valid(problem, e, found[-1])


@needs_shared
def test_an_employee_with_no_valid_row_is_reported_as_such() -> None:
    problem = load_instance(SHARED / "Instance1.txt")
    emp = problem.employees[0]
    emp.days_off = frozenset(range(problem.num_days))  # never available, yet a minimum of minutes
    assert emp.min_minutes
    dp = RowDP(_single(problem, 0), 0)
    assert dp.best([[0.0] * len(problem.shifts) for _ in range(problem.num_days)]) == ([], float("inf"))


def test_minima_longer_than_the_horizon_bind_as_the_horizon_does() -> None:
    from app.services.rota.solver import Employee, ShiftType, weekends_from_monday

    problem = Problem(name="long", num_days=10, shifts=[ShiftType("D", 480), ShiftType("N", 600, frozenset({"D"}))],
                      employees=[Employee("A", min_days_off=10**6, max_minutes=3000),
                                 Employee("B", min_consecutive=10**6, max_weekends=1)],
                      weekends=weekends_from_monday(10))
    _agrees_with_cp_sat(problem, range(len(problem.employees)), trials=1, seed=11)


def test_a_shift_of_no_minutes_counts_towards_no_minimum_or_maximum() -> None:
    from app.services.rota.solver import Employee, ShiftType, weekends_from_monday

    problem = Problem(name="zero", num_days=14, shifts=[ShiftType("Z", 0), ShiftType("D", 480)],
                      employees=[Employee("A", max_minutes=960, min_minutes=480, max_consecutive=4)],
                      weekends=weekends_from_monday(14))
    _agrees_with_cp_sat(problem, range(len(problem.employees)), trials=1, seed=12)


def test_a_year_of_many_shift_types_is_left_to_cp_sat_rather_than_filling_memory() -> None:
    from app.services.rota.solver import Employee, ShiftType, weekends_from_monday

    shifts = [ShiftType(f"S{i}", 480 + 60 * (i % 3)) for i in range(32)]
    problem = Problem(name="year", num_days=364, shifts=shifts,
                      employees=[Employee("A", max_minutes=120_000, min_minutes=100_000, max_consecutive=6,
                                          min_consecutive=2, min_days_off=2, max_weekends=30)],
                      weekends=weekends_from_monday(364))
    dp = RowDP(problem, 0)
    assert dp.best([[0.0] * 32 for _ in range(364)]) is None  # declined at once, not gigabytes of arrays
