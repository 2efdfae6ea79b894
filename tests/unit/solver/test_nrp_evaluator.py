"""The independent evaluator: every hard rule, broken once, is reported; the soft objective's arithmetic,
including the exemption of runs that touch the start or the end of the horizon from minimum lengths."""

from __future__ import annotations

import pytest

from app.services.rota.nrp import evaluate, parse_instance

# 14 days from a Monday (weekends: days 5-6 and 12-13); N may not be followed by D.
# A: at most 4 D and 3 N, 1440..2400 minutes (3..5 shifts), 2..3 days in a row, 2+ days off in a row,
# at most 1 weekend, day 3 off.
RULES = """
SECTION_HORIZON
14
SECTION_SHIFTS
D,480,
N,480,D
SECTION_STAFF
A,D=4|N=3,2400,1440,3,2,2,1
SECTION_DAYS_OFF
A,3
SECTION_COVER
"""

_ = None
BASE = ["D", "D", _, _, "N", "N", _, _, _, _, _, _, _, _]


@pytest.fixture(scope="module")
def rules():
    return parse_instance(RULES)


def test_the_base_schedule_keeps_every_rule(rules) -> None:
    assert evaluate(rules, [BASE]).violations == []


@pytest.mark.parametrize(("row", "expected"), [
    ([_, _, _, "D", "D", _, _, _, _, _, "N", "N", _, _], "a day off"),
    (["D", "D", _, _, "N", "D", _, _, _, _, _, _, _, _], "may not follow"),
    ([("D", "N"), "D", _, _, "N", "N", _, _, _, _, _, _, _, _], "shifts on day 0"),
    (["N", "N", _, _, "N", "N", _, _, _, _, _, _, _, _], "4 x N, at most 3"),
    (["D", "D", _, _, "N", "N", "N", _, _, "D", "D", _, _, _], "3360 minutes, at most 2400"),
    (["D", "D", _, _, _, _, _, _, _, _, _, _, _, _], "960 minutes, at least 1440"),
    ([_, _, _, _, "D", "D", "D", "D", _, _, _, _, _, _], "works 4 days in a row"),
    (["D", "D", _, _, "N", _, _, "D", "D", _, _, _, _, _], "works only 1 days in a row"),
    ([_, _, _, _, "N", "N", _, "D", "D", _, _, _, _, _], "only 1 days off in a row"),
    ([_, _, _, _, _, "D", "D", _, _, _, _, _, "N", "N"], "works 2 weekends, at most 1"),
])
def test_each_hard_rule_broken_once_is_reported(rules, row, expected) -> None:
    violations = evaluate(rules, [row]).violations
    assert len(violations) == 1, violations
    assert expected in violations[0]


# 7 days, one shift; A must work 3+ days in a row and rest 3+ days in a row, except at the edges.
EDGES = """
SECTION_HORIZON
7
SECTION_SHIFTS
D,480,
SECTION_STAFF
A,D=7,3360,0,7,3,3,1
"""


@pytest.mark.parametrize(("row", "ok"), [
    (["D", _, _, _, _, _, _], True),            # a 1-day run at the start: exempt
    ([_, _, _, _, _, _, "D"], True),            # a 1-day run at the end: exempt
    ([_, "D", "D", "D", "D", "D", "D"], True),  # 1 day off at the start: exempt
    (["D", "D", "D", "D", "D", "D", _], True),  # 1 day off at the end: exempt
    ([_, _, "D", _, _, _, _], False),           # 1 day of work inside the horizon
    (["D", "D", "D", _, "D", "D", "D"], False),  # 1 day off inside the horizon
    ([_, "D", "D", "D", _, _, _], True),
])
def test_minimum_runs_touching_the_horizon_edges_are_exempt(row, ok) -> None:
    assert evaluate(parse_instance(EDGES), [row]).feasible is ok


SOFT = """
SECTION_HORIZON
3
SECTION_SHIFTS
D,480,
SECTION_STAFF
A,D=3,9999,0,3,1,1,3
B,D=3,9999,0,3,1,1,3
SECTION_SHIFT_ON_REQUESTS
A,1,D,3
B,2,D,4
SECTION_SHIFT_OFF_REQUESTS
B,0,D,2
SECTION_COVER
0,D,2,100,1
1,D,1,100,1
2,D,0,100,5
"""


def test_soft_objective_arithmetic() -> None:
    problem = parse_instance(SOFT)
    ev = evaluate(problem, [["D", _, "D"], ["D", "D", _]])
    assert ev.feasible
    assert ev.breakdown == {"shift_on_requests": 7, "shift_off_requests": 2, "under_cover": 0, "over_cover": 5}
    assert ev.objective == 14
    empty = evaluate(problem, [[_, _, _], [_, _, _]])
    assert empty.breakdown == {"shift_on_requests": 7, "shift_off_requests": 0, "under_cover": 300, "over_cover": 0}
    assert empty.objective == 307


def test_a_schedule_of_the_wrong_shape_is_reported() -> None:
    problem = parse_instance(SOFT)
    assert not evaluate(problem, [["D", _, "D"]]).feasible
    assert not evaluate(problem, [["D", _], ["D", "D", _]]).feasible
    assert not evaluate(problem, [["X", _, _], [_, _, _]]).feasible
