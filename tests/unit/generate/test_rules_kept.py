"""The generator keeps every rule the rules checker knows, combines shifts where the rules allow it, and weighs
preferences by their strength."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from app.services.rota.generate import build_problem, solve_inputs
from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec, Wish
from app.services.rota.rules import Person, Rules, Work, check_change
from app.services.rota.solver import SolveOptions, solve

ALL, WEEKDAYS = (0, 1, 2, 3, 4, 5, 6), (0, 1, 2, 3, 4)
TZ = "Europe/London"
EARLY = ShiftSpec(1, "early", "Early", time(7), 480, ALL)
LATE = ShiftSpec(2, "late", "Late", time(15), 480, ALL)
NIGHT = ShiftSpec(3, "night", "Night", time(22), 540, ALL, weight=2.0, weekend_weight=3.0)
CLINIC = ShiftSpec(4, "clinic", "GP clinic", time(8), 240, WEEKDAYS, qualification="GP")


def _work(shift: ShiftSpec, day: date) -> Work:
    as_type = SimpleNamespace(id=shift.id, name=shift.name, start_time=shift.start_time,
                              duration_minutes=shift.minutes, qualification=shift.qualification)
    return Work.of(as_type, day, ZoneInfo(TZ))


def _breaches(inputs: Inputs, cells: list[tuple[int, int, date]]) -> list[str]:
    """Every breach the rules checker finds in the schedule (generated and published shifts), member by member."""
    shifts = {s.id: s for s in inputs.shifts}
    found = []
    for m in inputs.members:
        person = Person(m.id, m.name, m.qualifications, m.leave)
        mine = sorted({(day, sid) for mid, sid, day in [*cells, *inputs.published] if mid == m.id})
        generated = {(day, sid) for mid, sid, day in cells if mid == m.id}
        for n, (day, sid) in enumerate(mine):
            if (day, sid) not in generated:
                continue
            others = [_work(shifts[s], d) for d, s in mine[:n] + mine[n + 1:]]
            found += [b.message for b in check_change(inputs.rules, person, others, add=[_work(shifts[sid], day)])]
    return found


def test_a_generated_fortnight_breaks_no_rule_at_all() -> None:
    first = date(2026, 3, 23)  # a Monday; the clocks spring forward on Sunday 29 March
    members = [MemberSpec(1, "Ana", qualifications=frozenset({"GP"})), MemberSpec(2, "Ben", fte=0.5),
               MemberSpec(3, "Cy", qualifications=frozenset({"GP"}), leave=frozenset({first + timedelta(days=3)})),
               MemberSpec(4, "Di", fte=0.8), MemberSpec(5, "Ed", qualifications=frozenset({"GP"})),
               MemberSpec(6, "Flo"), MemberSpec(7, "Gus"), MemberSpec(8, "Hal", leave=frozenset({first}))]
    rules = Rules(forbidden_successions=frozenset({(NIGHT.id, EARLY.id)}), min_rest_hours=11, max_consecutive_days=4,
                  max_shifts_per_week=5, max_weekends_per_month=2, min_days_between_calls=3,
                  call_shift_types=frozenset({NIGHT.id}), fixed_days_off={6: frozenset({2})}, limit_same_day=True,
                  combinable=frozenset({frozenset({CLINIC.id, NIGHT.id})}))
    before = first - timedelta(days=1)
    published = [(1, NIGHT.id, before),  # a Sunday night call just before the range
                 *((7, EARLY.id, before - timedelta(days=i)) for i in range(3))]  # three days running already
    inputs = Inputs(start=first, end=first + timedelta(days=13), shifts=[EARLY, LATE, NIGHT, CLINIC],
                    members=members, rules=rules, published=published, timezone=TZ,
                    history_start=first - timedelta(days=28))
    built, solution = solve_inputs(inputs, seconds=5, workers=1)
    assert solution.schedule is not None, solution.status
    cells = built.assignments(solution)
    assert len(cells) == 14 * 3 + 10  # every seat
    assert _breaches(inputs, cells) == []


def test_it_gives_the_one_qualified_member_two_shifts_a_day_when_the_rules_allow() -> None:
    peds_am = ShiftSpec(5, "peds-am", "Peds clinic", time(8), 240, ALL, qualification="PEDS")
    peds_night = ShiftSpec(6, "peds-night", "Peds night", time(19), 600, ALL, qualification="PEDS")
    members = [MemberSpec(1, "Ana", qualifications=frozenset({"PEDS"})), MemberSpec(2, "Ben"), MemberSpec(3, "Cy")]
    first = date(2026, 12, 1)
    inputs = Inputs(start=first, end=first + timedelta(days=2), shifts=[peds_am, peds_night, EARLY], members=members)
    # three seats a day and three members: one shift each would do, were Ana not the only one qualified PEDS
    assert build_problem(inputs).base_units == 3
    built, solution = solve_inputs(inputs, seconds=3, workers=1)
    assert solution.schedule is not None
    cells = built.assignments(solution)
    assert sorted((sid, day) for mid, sid, day in cells if mid == 1) == sorted(
        (sid, first + timedelta(days=i)) for i in range(3) for sid in (5, 6))
    assert not check_change(inputs.rules, Person(1, "Ana", frozenset({"PEDS"})), [_work(peds_am, first)],
                            add=[_work(peds_night, first)])
    # ... and not when the rules allow no shifts to be combined on one day
    strict = replace(inputs, rules=Rules(limit_same_day=True))
    _built, solution = solve_inputs(strict, seconds=3, workers=1)
    assert solution.schedule is None and solution.status == "INFEASIBLE"


def test_it_keeps_a_48_hour_shift_from_overlapping_one_two_days_later() -> None:
    weekend = ShiftSpec(7, "weekend", "Weekend on call", time(8), 2880, (5,))  # Saturday 08:00 to Monday 08:00
    monday = ShiftSpec(8, "ward", "Ward", time(7), 480, (0, 1))
    members = [MemberSpec(i, f"M{i}") for i in range(1, 5)]
    saturday = date(2026, 12, 5)

    def feasible(locks: list[tuple[int, int, date]]) -> bool:
        inputs = Inputs(start=saturday, end=saturday + timedelta(days=3), shifts=[weekend, monday], members=members,
                        locks=locks)
        built = build_problem(inputs, feasibility_only=True)
        found = solve(built.problem, SolveOptions(seconds=5, num_workers=1, lns=False, column_generation=False))
        return found.schedule is not None

    assert not feasible([(1, 7, saturday), (1, 8, saturday + timedelta(days=2))])  # Monday 07:00: still on call
    assert feasible([(1, 7, saturday), (1, 8, saturday + timedelta(days=3))])  # Tuesday: free


def test_preferences_count_by_their_strength() -> None:
    night = ShiftSpec(1, "night", "Night", time(20), 600, ALL)
    monday = date(2026, 11, 30)
    members = [MemberSpec(1, "Ana"), MemberSpec(2, "Ben")]
    inputs = Inputs(start=monday, end=monday + timedelta(days=3), shifts=[night], members=members)

    def nights(wishes: list[Wish]) -> dict[int, set[int]]:
        built, solution = solve_inputs(replace(inputs, wishes=wishes), seconds=3, workers=1)
        assert solution.status == "OPTIMAL"
        out: dict[int, set[int]] = {1: set(), 2: set()}
        for mid, _sid, day in built.assignments(solution):
            out[mid].add((day - monday).days)
        return out

    # two nights each (fairness first); Ana avoids Monday and Tuesday, so she gets Wednesday and Thursday
    assert nights([Wish(1, "avoid", monday, None, 3), Wish(1, "avoid", monday + timedelta(days=1), None, 3)]) == {
        1: {2, 3}, 2: {0, 1}}
    # both would rather not work Monday: the stronger wish wins
    got = nights([Wish(1, "avoid", monday, None, 1), Wish(2, "avoid", monday, None, 3)])
    assert 0 in got[1] and 0 not in got[2]
    # Ben wants Thursday (any shift that day)
    assert 3 in nights([Wish(2, "want", monday + timedelta(days=3), None, 2)])[2]


def test_a_run_of_days_counts_published_days_after_the_range_and_inside_it() -> None:
    day_shift = ShiftSpec(1, "day", "Day", time(8), 480, ALL)
    first = date(2026, 12, 1)
    members = [MemberSpec(i, f"M{i}") for i in range(1, 4)]
    rules = Rules(max_consecutive_days=3)
    # M1 works 10-12 December (published, after the range), and on 5 December has two published shifts
    published = [(1, 1, date(2026, 12, d)) for d in (10, 11, 12)] + [(1, 1, first + timedelta(days=4)),
                                                                     (1, 2, first + timedelta(days=4))]
    other = ShiftSpec(2, "evening", "Evening", time(18), 240, ())  # runs on no day: published by hand
    inputs = Inputs(start=first, end=first + timedelta(days=8), shifts=[day_shift, other], members=members,
                    rules=rules, published=published, timezone=TZ)

    def feasible(locks: list[tuple[int, int, date]]) -> bool:
        built = build_problem(replace(inputs, locks=locks), feasibility_only=True)
        found = solve(built.problem, SolveOptions(seconds=5, num_workers=1, lns=False, column_generation=False))
        return found.schedule is not None

    # 9 December would make a run of four (9-12 December)
    assert not feasible([(1, 1, date(2026, 12, 9))])
    assert feasible([(1, 1, date(2026, 12, 8))])
    # 3, 4 and 6 December around the closed 5th: a run of four
    assert not feasible([(1, 1, date(2026, 12, d)) for d in (3, 4, 6)])
    assert feasible([(1, 1, date(2026, 12, d)) for d in (3, 4, 7)])
    built, solution = solve_inputs(inputs, seconds=3, workers=1)
    assert solution.schedule is not None
    assert _breaches(inputs, built.assignments(solution)) == []
