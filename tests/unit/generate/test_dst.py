"""Rest rules across a clock change: the generator counts real hours, like the rules checker.

Europe/London, 2026: clocks spring forward on Sunday 29 March (01:00 GMT -> 02:00 BST) and fall back on
Sunday 25 October (02:00 BST -> 01:00 GMT). A late shift ending 23:00 on the Saturday and an early shift
starting 07:00 on the Sunday are 8 hours apart by the wall clock, but 7 real hours in March and 9 in October.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.services.rota.generate import build_problem, solve_inputs
from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec
from app.services.rota.rules import Person, Rules, Work, check_change
from app.services.rota.solver import SolveOptions, solve

TZ = "Europe/London"
ALL = (0, 1, 2, 3, 4, 5, 6)
EARLY = ShiftSpec(1, "early", "Early", time(7), 480, ALL)
LATE = ShiftSpec(2, "late", "Late", time(15), 480, ALL)
NIGHT = ShiftSpec(3, "night", "Night", time(22), 540, ALL)  # 22:00 to 07:00
SHIFTS = (EARLY, LATE, NIGHT)
SPRING = date(2026, 3, 27)  # Friday before the spring-forward Sunday
AUTUMN = date(2026, 10, 23)  # Friday before the fall-back Sunday


def _inputs(first: date, rules: Rules, **kw) -> Inputs:
    members = [MemberSpec(i, f"M{i}") for i in range(1, 9)]
    return Inputs(start=first, end=first + timedelta(days=3), shifts=list(SHIFTS), members=members, rules=rules,
                  timezone=TZ, **kw)


def _work(shift: ShiftSpec, day: date) -> Work:
    as_type = SimpleNamespace(id=shift.id, name=shift.name, start_time=shift.start_time,
                              duration_minutes=shift.minutes, qualification=None)
    return Work.of(as_type, day, ZoneInfo(TZ))


def checker_allows(rules: Rules, a: ShiftSpec, day_a: date, b: ShiftSpec, day_b: date) -> bool:
    """What the rules checker says of member 1 working both (the check behind swaps, cover and hand edits)."""
    return not check_change(rules, Person(1, "M1"), [_work(a, day_a)], add=[_work(b, day_b)])


def generator_allows(inputs: Inputs) -> bool:
    built = build_problem(inputs, feasibility_only=True)
    solution = solve(built.problem, SolveOptions(seconds=10, num_workers=1, lns=False, column_generation=False))
    assert solution.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE"), solution.status
    return solution.schedule is not None


def _cells(first: date) -> list[tuple[ShiftSpec, date]]:
    return [(s, first + timedelta(days=i)) for i in range(4) for s in SHIFTS]


@pytest.mark.parametrize(("first", "rest"), [(SPRING, 8), (AUTUMN, 9), (SPRING, 25), (AUTUMN, 25)],
                         ids=["spring-8h", "autumn-9h", "spring-25h", "autumn-25h"])
def test_it_allows_exactly_the_pairs_the_rules_checker_allows(first: date, rest: float) -> None:
    rules = Rules(min_rest_hours=rest)
    cells = _cells(first)
    disagree = []
    for n, (a, day_a) in enumerate(cells):
        for b, day_b in cells[n + 1:]:
            if day_a == day_b:
                continue
            expected = checker_allows(rules, a, day_a, b, day_b)
            got = generator_allows(_inputs(first, rules, locks=[(1, a.id, day_a), (1, b.id, day_b)]))
            if got != expected:
                disagree.append((a.code, day_a.isoformat(), b.code, day_b.isoformat(), expected, got))
    assert disagree == []


def test_the_spring_forward_night_gives_an_hour_less_rest() -> None:
    rules = Rules(min_rest_hours=8)
    sat, sun = SPRING + timedelta(days=1), SPRING + timedelta(days=2)
    # 8 hours by the wall clock on an ordinary night: allowed; 7 real hours on the night clocks spring forward
    assert generator_allows(_inputs(SPRING, rules, locks=[(1, LATE.id, SPRING), (1, EARLY.id, sat)]))
    assert not generator_allows(_inputs(SPRING, rules, locks=[(1, LATE.id, sat), (1, EARLY.id, sun)]))
    assert not checker_allows(rules, LATE, sat, EARLY, sun)


def test_the_fall_back_night_gives_an_hour_more_rest() -> None:
    rules = Rules(min_rest_hours=9)
    sat, sun = AUTUMN + timedelta(days=1), AUTUMN + timedelta(days=2)
    # 8 hours is too little on an ordinary night; the night clocks fall back it is 9 real hours
    assert not generator_allows(_inputs(AUTUMN, rules, locks=[(1, LATE.id, AUTUMN), (1, EARLY.id, sat)]))
    assert generator_allows(_inputs(AUTUMN, rules, locks=[(1, LATE.id, sat), (1, EARLY.id, sun)]))
    assert checker_allows(rules, LATE, sat, EARLY, sun)
    # two days apart: a Friday night ends 07:00 Saturday, 25 real hours before Sunday's early shift
    long_rest = Rules(min_rest_hours=25)
    assert generator_allows(_inputs(AUTUMN, long_rest, locks=[(1, NIGHT.id, AUTUMN), (1, EARLY.id, sun)]))
    assert not generator_allows(_inputs(AUTUMN, long_rest, locks=[(1, NIGHT.id, sat), (1, EARLY.id, sun +
                                                                                         timedelta(days=1))]))


def test_it_counts_real_rest_after_a_published_shift_just_before_the_range() -> None:
    sat, sun = SPRING + timedelta(days=1), SPRING + timedelta(days=2)
    published = [(1, LATE.id, sat)]  # Saturday's late shift, already published, outside the range
    spring = replace(_inputs(SPRING, Rules(min_rest_hours=8), published=published), start=sun,
                     end=sun + timedelta(days=1))
    assert not generator_allows(replace(spring, locks=[(1, EARLY.id, sun)]))
    autumn_sat, autumn_sun = AUTUMN + timedelta(days=1), AUTUMN + timedelta(days=2)
    autumn = replace(_inputs(AUTUMN, Rules(min_rest_hours=9), published=[(1, LATE.id, autumn_sat)]),
                     start=autumn_sun, end=autumn_sun + timedelta(days=1))
    assert generator_allows(replace(autumn, locks=[(1, EARLY.id, autumn_sun)]))
    assert not generator_allows(replace(autumn, start=autumn_sun + timedelta(days=1),
                                        locks=[(1, EARLY.id, autumn_sun + timedelta(days=1))],
                                        published=[(1, LATE.id, autumn_sun)]))


@pytest.mark.parametrize("first", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_a_generated_schedule_breaks_no_rule_the_checker_knows(first: date) -> None:
    rules = Rules(min_rest_hours=8.5, max_consecutive_days=3)
    inputs = replace(_inputs(first, rules), end=first + timedelta(days=9))
    built, solution = solve_inputs(inputs, seconds=3, workers=1)
    assert solution.schedule is not None
    cells = built.assignments(solution)
    assert len(cells) == 3 * 10  # every seat filled
    for m in inputs.members:
        mine = sorted((day, sid) for mid, sid, day in cells if mid == m.id)
        by_id = {s.id: s for s in SHIFTS}
        for n, (day, sid) in enumerate(mine):
            others = [_work(by_id[s], d) for d, s in mine[:n] + mine[n + 1:]]
            assert check_change(rules, Person(m.id, m.name), others, add=[_work(by_id[sid], day)]) == []
