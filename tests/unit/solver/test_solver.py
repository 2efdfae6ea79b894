"""The solver engine: Instance1's proven optimum, infeasibility, locks, the fairness hook, progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.rota.nrp import evaluate, load_instance
from app.services.rota.solver import (
    Cover,
    Employee,
    Fairness,
    Lock,
    Problem,
    ShiftType,
    SolveOptions,
    solve,
)

SHARED = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "nrp"


@pytest.mark.skipif(not (SHARED / "Instance1.txt").exists(), reason="shared benchmark files not present")
def test_instance1_reaches_its_proven_optimum() -> None:
    problem = load_instance(SHARED / "Instance1.txt")
    seen = []
    solution = solve(problem, SolveOptions(seconds=20, num_workers=2, progress=seen.append))
    assert solution.objective == 607
    assert solution.status == "OPTIMAL"
    assert solution.bound == 607
    ev = evaluate(problem, solution.shift_ids(problem))
    assert ev.violations == []
    assert ev.objective == 607
    assert seen and seen[-1].objective == 607


def _day_problem(**kw) -> Problem:
    days = kw.pop("days", 3)
    return Problem(name="tiny", num_days=days, shifts=[ShiftType("D", 480)], **kw)


def test_an_impossible_contract_is_infeasible() -> None:
    # A must work at least two shifts but is off every day.
    problem = _day_problem(employees=[Employee("A", min_minutes=960, days_off=frozenset({0, 1, 2}))])
    solution = solve(problem, SolveOptions(seconds=5))
    assert solution.status == "INFEASIBLE"
    assert solution.schedule is None and solution.objective is None


def test_hard_cover_beyond_the_staff_is_infeasible() -> None:
    problem = _day_problem(employees=[Employee("A"), Employee("B")],
                           cover=[Cover(0, "D", 3, hard=True)])
    assert solve(problem, SolveOptions(seconds=5)).status == "INFEASIBLE"


def test_locks_are_kept_and_a_lock_against_a_rule_is_infeasible() -> None:
    base = dict(employees=[Employee("A"), Employee("B")], cover=[Cover(d, "D", 1, hard=True) for d in range(3)])
    solution = solve(_day_problem(**base, locks=[Lock("B", 0, "D"), Lock("B", 1, None)]), SolveOptions(seconds=5))
    assert solution.status == "OPTIMAL"
    assert solution.schedule[1][0] == 0 and solution.schedule[1][1] is None
    assert solution.schedule[0][1] == 0
    bad = _day_problem(employees=[Employee("A", days_off=frozenset({0}))], locks=[Lock("A", 0, "D")])
    assert solve(bad, SolveOptions(seconds=5)).status == "INFEASIBLE"


def test_fairness_term_spreads_the_load() -> None:
    days = 4
    fairness = Fairness(points={(d, "D"): 1 for d in range(days)}, target={"A": 2, "B": 2}, weight=10)
    problem = _day_problem(days=days, employees=[Employee("A"), Employee("B")],
                           cover=[Cover(d, "D", 1, hard=True) for d in range(days)], fairness=fairness)
    solution = solve(problem, SolveOptions(seconds=5))
    assert solution.status == "OPTIMAL" and solution.objective == 0
    worked = [sum(1 for s in row if s is not None) for row in solution.schedule]
    assert worked == [2, 2]


def test_soft_cover_and_requests_are_priced_like_the_evaluator() -> None:
    from app.services.rota.solver import Request

    problem = _day_problem(
        employees=[Employee("A", max_minutes=480), Employee("B")],
        cover=[Cover(0, "D", 2, 100, 1), Cover(1, "D", 2, 100, 1), Cover(2, "D", 0, 100, 1)],
        requests=[Request("B", 0, "D", 7, on=False)],
    )
    solution = solve(problem, SolveOptions(seconds=5))
    ev = evaluate(problem, solution.shift_ids(problem))
    assert ev.violations == []
    assert solution.objective == ev.objective == 107  # one seat short (A may work once) + B's wish broken
