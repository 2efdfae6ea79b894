"""The generator's mapping of an organization's data to the solver's problem, and its fairness arithmetic."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app.services.rota.equity import deviations, max_deviation
from app.services.rota.generate import build_problem, greedy_hint, solve_inputs
from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec, Wish
from app.services.rota.objective import FTE_SCALE, POINTS_SCALE, decode
from app.services.rota.rules import Rules

ALL = (0, 1, 2, 3, 4, 5, 6)
MON = date(2026, 3, 2)  # a Monday
NIGHT = ShiftSpec(1, "night-call", "Night call", time(19), 720, ALL, 1, 2.0, 3.0, 4.0)
CLINIC = ShiftSpec(2, "clinic-am", "Clinic AM", time(8), 240, (0, 1, 2, 3, 4), 1, 1.0, 1.5, 2.0)
PEDS = ShiftSpec(3, "peds-call", "Peds call", time(18), 840, ALL, 1, 2.0, 3.0, 4.0, "PEDS")


def _inputs(days: int = 7, **kw) -> Inputs:
    members = kw.pop("members", [MemberSpec(10, "Ana"), MemberSpec(11, "Ben"), MemberSpec(12, "Cy", fte=0.5)])
    return Inputs(start=MON, end=MON + timedelta(days=days - 1), shifts=kw.pop("shifts", [NIGHT, CLINIC]),
                  members=members, **kw)


def test_it_maps_qualifications_leave_and_fixed_days_off_to_hard_limits() -> None:
    ana = MemberSpec(10, "Ana", qualifications=frozenset({"PEDS"}), leave=frozenset({MON + timedelta(days=2)}))
    ben = MemberSpec(11, "Ben")
    built = build_problem(_inputs(members=[ana, ben], shifts=[NIGHT, PEDS],
                                  rules=Rules(fixed_days_off={11: frozenset({4})})))
    a, b = built.problem.employees
    assert a.days_off == frozenset({2}) and "3" not in a.max_shifts
    assert b.max_shifts == {"3": 0}  # not qualified PEDS
    assert b.days_off == frozenset({4})  # Fridays off


def test_it_states_every_cell_as_an_exact_headcount() -> None:
    built = build_problem(_inputs())
    cover = {(c.day, c.shift): c.requirement for c in built.problem.cover}
    assert all(c.hard for c in built.problem.cover)
    assert cover[(0, "1")] == 1 and cover[(0, "2")] == 1
    assert cover[(5, "2")] == 0  # no clinic on Saturday: nobody may be put there to even out points


def test_it_keeps_published_shifts_as_locks_and_closes_busier_days() -> None:
    published = [(10, 1, MON), (11, 1, MON + timedelta(days=1)), (11, 2, MON + timedelta(days=1))]
    built = build_problem(_inputs(published=published))
    assert [(lk.employee, lk.day, lk.shift) for lk in built.problem.locks] == [("10", 0, "1")]
    ben = built.problem.employees[1]
    assert 1 in ben.days_off  # two shifts that day already: the solver leaves Ben's Tuesday alone
    cover = {(c.day, c.shift): c.requirement for c in built.problem.cover}
    assert cover[(1, "1")] == 0 and cover[(1, "2")] == 0 and cover[(0, "1")] == 1


def test_it_forbids_successions_by_rule_and_by_rest() -> None:
    built = build_problem(_inputs(rules=Rules(min_rest_hours=11)))
    night, _clinic = built.problem.shifts
    # the night ends 07:00: a clinic at 08:00 the next day leaves 1 hour's rest; nights 24 h apart are fine
    assert "2" in night.forbidden_next and "1" not in night.forbidden_next
    built = build_problem(_inputs(rules=Rules(forbidden_successions=frozenset({(2, 1)}))))
    assert built.problem.shifts[1].forbidden_next == frozenset({"1"})
    assert "2" not in built.problem.shifts[0].forbidden_next  # without a rest rule 1 hour is allowed


def test_it_counts_published_shifts_against_weekly_and_call_limits() -> None:
    sunday_before = MON - timedelta(days=1)
    rules = Rules(max_shifts_per_week=3, min_days_between_calls=3, call_shift_types=frozenset({1}),
                  max_weekends_per_month=1)
    built = build_problem(_inputs(days=14, published=[(10, 1, sunday_before)], rules=rules))
    ana = built.problem.employees[0]
    weekly = [lim for lim in ana.limits if lim.shifts is None]
    assert [(lim.days, lim.most) for lim in weekly] == [((0, 1, 2, 3, 4, 5, 6), 3), ((7, 8, 9, 10, 11, 12, 13), 3)]
    calls = [lim for lim in ana.limits if lim.shifts == frozenset({"1"})]
    # the Sunday call before the range leaves no call on Monday or Tuesday
    assert calls[0].days == (0,) and calls[0].most == 0 and calls[1].days == (0, 1) and calls[1].most == 0
    assert calls[2].days == (0, 1, 2) and calls[2].most == 1
    # Sunday 1 March was a weekend worked in March (a weekend split by a month end counts in each month)
    assert ana.weekend_limits == [((0, 1), 0)]
    assert built.problem.employees[1].weekend_limits == [((0, 1), 1)]
    assert len(built.problem.weekends) == 2


def test_it_sets_fair_shares_by_fte_counting_the_history_window() -> None:
    history = [(10, 1, MON - timedelta(days=7))]  # Ana worked a weekday night (2 points) the week before
    built = build_problem(_inputs(days=1, published=history, history_start=MON - timedelta(days=30)))
    f = built.problem.fairness
    # Monday: a night (2) and a clinic (1); plus Ana's 2 of history = 5 points over FTE 2.5
    assert f.history == {"10": 2 * POINTS_SCALE}
    assert f.target == {"10": 2 * POINTS_SCALE, "11": 2 * POINTS_SCALE, "12": 1 * POINTS_SCALE}
    assert f.scale == {"10": FTE_SCALE, "11": FTE_SCALE, "12": 2 * FTE_SCALE}
    assert built.problem.extra_fairness[0].points == {}  # a Monday: no weekend or holiday points
    assert built.w1 > built.w2 * 1


def test_it_orders_the_objective_fairness_first_then_weekends_then_preferences() -> None:
    wishes = [Wish(10, "avoid", MON, 1, 3), Wish(11, "want", None, 2, 2)]
    built = build_problem(_inputs(wishes=wishes, holidays=frozenset({MON + timedelta(days=5)})))
    reqs = built.problem.requests
    assert any(r.employee == "10" and r.day == 0 and r.shift == "1" and r.weight == 3 for r in reqs)
    assert all(r.weight == -2 for r in reqs if r.employee == "11")  # wanted: earned, not charged
    spread = sum(abs(r.weight) for r in reqs)
    assert built.w2 == spread + 1 and built.w1 > built.w2 * 100
    assert built.problem.extra_fairness[0].points[(5, "1")] == 4 * POINTS_SCALE  # Saturday holiday night


def test_it_solves_a_small_week_evenly_and_decodes_the_objective() -> None:
    built, solution = solve_inputs(_inputs(), seconds=3)
    assert solution.schedule is not None
    cells = built.assignments(solution)
    assert len(cells) == 7 + 5
    assert decode(built, solution.objective) is not None and decode(built, solution.objective) <= 1.0
    per_day: dict[tuple[int, date], int] = {}
    for mid, _sid, day in cells:
        per_day[(mid, day)] = per_day.get((mid, day), 0) + 1
    assert max(per_day.values()) == 1


def test_it_fills_a_first_schedule_greedily_within_the_rules() -> None:
    rules = Rules(min_rest_hours=11, max_consecutive_days=3)
    members = [MemberSpec(i, f"M{i}") for i in range(1, 6)]
    built = build_problem(_inputs(days=14, members=members, rules=rules))
    sched = greedy_hint(built.problem)
    for row in sched:
        run = 0
        for d, s in enumerate(row):
            run = run + 1 if s is not None else 0
            assert run <= 3
            if d and row[d - 1] == 0 and s == 1:
                pytest.fail("a clinic right after a night")
    for d in range(14):
        assert sum(1 for row in sched if row[d] == 0) == 1  # every night covered


def test_it_measures_deviation_per_fte_from_fair_share() -> None:
    loads = {"a": 10.0, "b": 10.0, "c": 5.0}
    ftes = {"a": 1.0, "b": 1.0, "c": 0.5}
    assert deviations(loads, ftes) == {"a": 0.0, "b": 0.0, "c": 0.0}
    loads["c"] = 7.5  # 2.5 above a half-timer's share of 25/2.5*0.5 ... per FTE
    devs = deviations(loads, ftes)
    assert devs["c"] == pytest.approx((7.5 - 27.5 * 0.5 / 2.5) / 0.5)
    assert max_deviation(loads, ftes) == pytest.approx(abs(devs["c"]))


def test_it_combines_two_shifts_on_a_day_only_when_the_members_are_too_few() -> None:
    # Two members, three seats a weekday (night, clinic, and a second clinic seat): someone works the clinic
    # and the night on the same day (they do not overlap).
    clinic = ShiftSpec(2, "clinic-am", "Clinic AM", time(8), 240, (0, 1, 2, 3, 4), 2)
    inputs = _inputs(days=5, shifts=[NIGHT, clinic], members=[MemberSpec(10, "Ana"), MemberSpec(11, "Ben")])
    built, solution = solve_inputs(inputs, seconds=3)
    assert built.units[-1] == (2, 1) and len(built.units) == 3
    assert solution.schedule is not None
    cells = built.assignments(solution)
    assert len(cells) == 5 * 3
    for day in inputs.days:
        assert sorted(sid for _m, sid, d in cells if d == day) == [1, 2, 2]
    # with enough members nobody is given two shifts a day
    roomy = build_problem(_inputs(days=5, shifts=[NIGHT, clinic]))
    assert roomy.units == [(1,), (2,)]
    limited = build_problem(_inputs(days=5, shifts=[NIGHT, clinic], members=[MemberSpec(10, "Ana")],
                                    rules=Rules(limit_same_day=True)))
    assert limited.units == [(1,), (2,)]  # the rules allow no combination


def test_it_respects_rest_after_a_published_night_just_before_the_range() -> None:
    night_before = [(10, 1, MON - timedelta(days=1))]  # Ana's Sunday night ends Monday 07:00
    built = build_problem(_inputs(published=night_before, rules=Rules(min_rest_hours=11)))
    ana = built.problem.employees[0]
    assert any(lim.days == (0,) and lim.most == 0 and "2" in lim.shifts for lim in ana.limits if lim.shifts)
    built, solution = solve_inputs(_inputs(published=night_before, rules=Rules(min_rest_hours=11)), seconds=2)
    assert (10, 2, MON) not in built.assignments(solution)  # no Monday clinic for Ana
