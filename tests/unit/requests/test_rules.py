"""The rule checker at the edges: DST nights, month ends, week boundaries, split weekends, removals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from app.services.errors import ValidationFailed
from app.services.rota.rules import Person, Rules, Work, check_change, parse_rules

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Shift:
    id: int
    name: str
    start_time: time
    duration_minutes: int
    qualification: str | None = None


NIGHT = Shift(1, "Night call", time(19, 0), 12 * 60)
CLINIC_AM = Shift(2, "Clinic AM", time(8, 0), 4 * 60)
CLINIC_PM = Shift(3, "Clinic PM", time(13, 0), 4 * 60)
DAY = Shift(4, "Day shift", time(8, 0), 12 * 60)
EARLY = Shift(5, "Early", time(7, 0), 8 * 60)
PEDS = Shift(6, "Peds call", time(19, 0), 12 * 60, qualification="PEDS")
LATE = Shift(7, "Late", time(9, 0), 11 * 60)  # 09:00-20:00

PATEL = Person(1, "Dr Patel")


def w(shift: Shift, day: date, assignment_id: int | None = None) -> Work:
    return Work.of(shift, day, BERLIN, assignment_id=assignment_id)


def messages(rules: Rules, existing: list[Work], *, add: list[Work] = (), remove: list[Work] = (),  # type: ignore[assignment]
             person: Person = PATEL) -> list[str]:
    return [b.message for b in check_change(rules, person, existing, add=add, remove=remove)]


def test_it_finds_nothing_when_there_are_no_rules() -> None:
    existing = [w(NIGHT, date(2026, 5, d)) for d in range(4, 11)]
    assert messages(Rules(), existing, add=[w(CLINIC_AM, date(2026, 5, 12))]) == []


# -- forbidden successions -------------------------------------------------------------------------------


def test_it_forbids_clinic_the_morning_after_a_night_call() -> None:
    rules = Rules(forbidden_successions=frozenset({(NIGHT.id, CLINIC_AM.id)}))
    found = messages(rules, [w(NIGHT, date(2026, 5, 4))], add=[w(CLINIC_AM, date(2026, 5, 5))])
    assert found == ["Dr Patel would work Clinic AM on Tue, May 5 right after Night call on Mon, May 4, "
                     "which the rules forbid."]


def test_it_checks_a_succession_in_both_directions() -> None:
    rules = Rules(forbidden_successions=frozenset({(NIGHT.id, CLINIC_AM.id)}))
    # Adding the night before an existing clinic breaks it too.
    assert len(messages(rules, [w(CLINIC_AM, date(2026, 5, 5))], add=[w(NIGHT, date(2026, 5, 4))])) == 1
    # The other order (clinic, then a night the next day) is allowed.
    assert messages(rules, [w(CLINIC_AM, date(2026, 5, 4))], add=[w(NIGHT, date(2026, 5, 5))]) == []


def test_it_allows_the_succession_when_the_change_removes_the_night() -> None:
    rules = Rules(forbidden_successions=frozenset({(NIGHT.id, CLINIC_AM.id)}))
    night = w(NIGHT, date(2026, 5, 4), assignment_id=10)
    assert messages(rules, [night], add=[w(CLINIC_AM, date(2026, 5, 5))], remove=[night]) == []


def test_it_applies_a_succession_across_a_month_end() -> None:
    rules = Rules(forbidden_successions=frozenset({(NIGHT.id, CLINIC_AM.id)}))
    found = messages(rules, [w(NIGHT, date(2026, 1, 31))], add=[w(CLINIC_AM, date(2026, 2, 1))])
    assert found and "Sun, Feb 1" in found[0] and "Sat, Jan 31" in found[0]


# -- rest ------------------------------------------------------------------------------------------------


def test_it_counts_rest_in_real_hours_on_the_night_clocks_spring_forward() -> None:
    # Berlin, 29 March 2026: 02:00 becomes 03:00. 20:00 Saturday to 07:00 Sunday is 11 wall-clock hours, 10 real.
    rules = Rules(min_rest_hours=11)
    found = messages(rules, [w(DAY, date(2026, 3, 28))], add=[w(EARLY, date(2026, 3, 29))])
    assert found == ["Dr Patel would have only 10 hours' rest between Day shift (Sat, Mar 28) and Early "
                     "(Sun, Mar 29); the minimum is 11."]
    # The same wall-clock times a week earlier give 11 real hours: enough.
    assert messages(rules, [w(DAY, date(2026, 3, 21))], add=[w(EARLY, date(2026, 3, 22))]) == []


def test_it_counts_the_extra_hour_on_the_night_clocks_fall_back() -> None:
    # Berlin, 25 October 2026: 03:00 becomes 02:00; 20:00 to 07:00 is 12 real hours.
    rules = Rules(min_rest_hours=11.5)
    assert messages(rules, [w(DAY, date(2026, 10, 24))], add=[w(EARLY, date(2026, 10, 25))]) == []
    assert len(messages(rules, [w(DAY, date(2026, 10, 17))], add=[w(EARLY, date(2026, 10, 18))])) == 1


def test_it_measures_rest_from_the_end_of_a_night_that_crosses_midnight() -> None:
    rules = Rules(min_rest_hours=11)
    found = messages(rules, [w(NIGHT, date(2026, 5, 4))], add=[w(CLINIC_AM, date(2026, 5, 5))])
    assert found == ["Dr Patel would have only 1 hour's rest between Night call (Mon, May 4) and Clinic AM "
                     "(Tue, May 5); the minimum is 11."]


def test_it_leaves_two_shifts_on_one_day_to_the_same_day_rule() -> None:
    rules = Rules(min_rest_hours=11)
    assert messages(rules, [w(CLINIC_AM, date(2026, 5, 4))], add=[w(CLINIC_PM, date(2026, 5, 4))]) == []


# -- consecutive days ------------------------------------------------------------------------------------


def test_it_counts_consecutive_days() -> None:
    rules = Rules(max_consecutive_days=6)
    existing = [w(CLINIC_AM, date(2026, 5, d)) for d in range(4, 10)]  # Mon 4 to Sat 9: six days
    found = messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 10))])
    assert found == ["Dr Patel would work 7 days in a row, Mon, May 4 to Sun, May 10 (max 6)."]
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 11))]) == []  # a day off in between


def test_it_counts_a_run_that_the_change_joins_from_both_sides() -> None:
    rules = Rules(max_consecutive_days=5)
    existing = [w(CLINIC_AM, date(2026, 5, d)) for d in (4, 5, 6, 8, 9, 10)]
    found = messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 7))])
    assert found == ["Dr Patel would work 7 days in a row, Mon, May 4 to Sun, May 10 (max 5)."]


def test_it_counts_consecutive_days_across_a_month_and_year_end() -> None:
    rules = Rules(max_consecutive_days=3)
    existing = [w(CLINIC_AM, date(2025, 12, 30)), w(CLINIC_AM, date(2025, 12, 31))]
    found = messages(rules, [*existing, w(CLINIC_AM, date(2026, 1, 1))], add=[w(CLINIC_AM, date(2026, 1, 2))])
    assert found == ["Dr Patel would work 4 days in a row, Tue, Dec 30 to Fri, Jan 2 (max 3)."]


def test_it_does_not_blame_the_change_for_a_run_it_is_not_part_of() -> None:
    rules = Rules(max_consecutive_days=3)
    existing = [w(CLINIC_AM, date(2026, 5, d)) for d in range(4, 10)]  # already 6 in a row
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 20))]) == []


def test_it_counts_a_night_shift_for_the_day_it_starts() -> None:
    rules = Rules(max_consecutive_days=2)
    existing = [w(NIGHT, date(2026, 5, 4)), w(NIGHT, date(2026, 5, 6))]
    # Nights on Monday and Wednesday touch Tuesday and Thursday mornings, but are days 4 and 6.
    assert messages(rules, existing, add=[w(NIGHT, date(2026, 5, 8))]) == []
    assert len(messages(rules, existing, add=[w(NIGHT, date(2026, 5, 5))])) == 1


# -- weeks -----------------------------------------------------------------------------------------------


def test_it_counts_shifts_per_week_from_monday_to_sunday() -> None:
    rules = Rules(max_shifts_per_week=5)
    existing = [w(CLINIC_AM, date(2026, 5, d)) for d in range(4, 9)]  # Mon-Fri
    found = messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 10))])  # Sunday: same week
    assert found == ["Dr Patel would work 6 shifts in the week of Mon, May 4 (max 5)."]
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 11))]) == []  # next Monday: a new week


def test_it_counts_two_shifts_on_one_day_as_two() -> None:
    rules = Rules(max_shifts_per_week=1)
    assert len(messages(rules, [w(CLINIC_AM, date(2026, 5, 4))], add=[w(CLINIC_PM, date(2026, 5, 4))])) == 1


def test_it_splits_a_week_across_a_month_end_correctly() -> None:
    rules = Rules(max_shifts_per_week=2)
    # Mon 26 Jan .. Sun 1 Feb is one week.
    existing = [w(CLINIC_AM, date(2026, 1, 26)), w(CLINIC_AM, date(2026, 1, 31))]
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 2, 1))]) == [
        "Dr Patel would work 3 shifts in the week of Mon, Jan 26 (max 2)."]
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 2, 2))]) == []


# -- weekends --------------------------------------------------------------------------------------------


def test_it_counts_weekends_per_month() -> None:
    rules = Rules(max_weekends_per_month=2)
    existing = [w(NIGHT, date(2026, 5, 2)), w(NIGHT, date(2026, 5, 10))]  # Sat 2, Sun 10
    found = messages(rules, existing, add=[w(NIGHT, date(2026, 5, 16))])
    assert found == ["Dr Patel would work 3 weekends in May 2026 (max 2)."]


def test_it_counts_saturday_and_sunday_of_one_weekend_once() -> None:
    rules = Rules(max_weekends_per_month=1)
    assert messages(rules, [w(NIGHT, date(2026, 5, 9))], add=[w(NIGHT, date(2026, 5, 10))]) == []


def test_it_counts_a_weekend_split_by_a_month_end_in_each_month() -> None:
    # Saturday 31 January and Sunday 1 February 2026.
    rules = Rules(max_weekends_per_month=1)
    february = [w(NIGHT, date(2026, 2, 7))]
    assert messages(rules, february, add=[w(NIGHT, date(2026, 2, 1))]) == [
        "Dr Patel would work 2 weekends in February 2026 (max 1)."]
    # The Saturday belongs to January, where this is the only weekend.
    assert messages(rules, february, add=[w(NIGHT, date(2026, 1, 31))]) == []


def test_it_allows_no_weekends_at_all_with_a_maximum_of_zero() -> None:
    rules = Rules(max_weekends_per_month=0)
    assert len(messages(rules, [], add=[w(NIGHT, date(2026, 5, 9))])) == 1
    assert messages(rules, [], add=[w(NIGHT, date(2026, 5, 8))]) == []


# -- calls -----------------------------------------------------------------------------------------------


def test_it_keeps_calls_apart() -> None:
    rules = Rules(min_days_between_calls=3, call_shift_types=frozenset({NIGHT.id, PEDS.id}))
    existing = [w(NIGHT, date(2026, 5, 4))]
    assert messages(rules, existing, add=[w(NIGHT, date(2026, 5, 6))]) == [
        "Dr Patel would have calls 2 days apart, on Mon, May 4 and Wed, May 6 (at least 3)."]
    assert messages(rules, existing, add=[w(NIGHT, date(2026, 5, 7))]) == []
    # A call before the existing one counts too, and so does another call type.
    assert len(messages(rules, existing, add=[w(NIGHT, date(2026, 5, 2))])) == 1
    peds = Person(1, "Dr Patel", qualifications=frozenset({"PEDS"}))
    assert messages(rules, existing, add=[w(PEDS, date(2026, 5, 5))], person=peds) == [
        "Dr Patel would have calls 1 day apart, on Mon, May 4 and Tue, May 5 (at least 3)."]


def test_it_ignores_shifts_that_are_not_calls_for_the_call_gap() -> None:
    rules = Rules(min_days_between_calls=3, call_shift_types=frozenset({NIGHT.id}))
    assert messages(rules, [w(NIGHT, date(2026, 5, 4))], add=[w(CLINIC_PM, date(2026, 5, 5))]) == []


def test_it_keeps_calls_apart_across_a_month_end() -> None:
    rules = Rules(min_days_between_calls=2, call_shift_types=frozenset({NIGHT.id}))
    assert len(messages(rules, [w(NIGHT, date(2026, 2, 28))], add=[w(NIGHT, date(2026, 3, 1))])) == 1


# -- same day, days off, hard conflicts ------------------------------------------------------------------


def test_it_allows_only_listed_combinations_on_one_day_when_limited() -> None:
    limited = Rules(limit_same_day=True)
    existing = [w(CLINIC_AM, date(2026, 5, 4))]
    assert messages(limited, existing, add=[w(CLINIC_PM, date(2026, 5, 4))]) == [
        "Dr Patel would work Clinic AM and Clinic PM on the same day (Mon, May 4); the rules do not allow that "
        "combination."]
    allowed = Rules(limit_same_day=True, combinable=frozenset({frozenset({CLINIC_AM.id, CLINIC_PM.id})}))
    assert messages(allowed, existing, add=[w(CLINIC_PM, date(2026, 5, 4))]) == []
    assert messages(Rules(), existing, add=[w(CLINIC_PM, date(2026, 5, 4))]) == []


def test_it_respects_fixed_days_off() -> None:
    rules = Rules(fixed_days_off={PATEL.membership_id: frozenset({4})})  # Fridays
    assert messages(rules, [], add=[w(CLINIC_AM, date(2026, 5, 8))]) == [
        "Dr Patel has Friday as a fixed day off; Clinic AM is on Fri, May 8."]
    assert messages(rules, [], add=[w(CLINIC_AM, date(2026, 5, 7))]) == []
    other = Person(2, "Dr Nguyen")
    assert messages(rules, [], add=[w(CLINIC_AM, date(2026, 5, 8))], person=other) == []


def test_it_reports_hard_conflicts() -> None:
    on_leave = Person(1, "Dr Patel", leave=frozenset({date(2026, 5, 9)}))
    found = check_change(Rules(), on_leave, [w(LATE, date(2026, 5, 9))],
                         add=[w(NIGHT, date(2026, 5, 9)), w(PEDS, date(2026, 5, 12))])
    assert [(b.rule, b.hard) for b in found] == [("overlap", True), ("leave", True), ("qualification", True)]
    assert found[0].message == "Dr Patel would already be working Late at that time (Sat, May 9)."
    assert found[2].message == "Peds call needs the qualification PEDS, which Dr Patel lacks."


def test_it_reports_a_shift_the_member_already_works() -> None:
    found = check_change(Rules(), PATEL, [w(NIGHT, date(2026, 5, 4), 3)], add=[w(NIGHT, date(2026, 5, 4))])
    assert [(b.rule, b.hard) for b in found] == [("on_shift", True)]


def test_it_lets_a_swap_exchange_two_shifts_at_the_same_time() -> None:
    mine = w(CLINIC_AM, date(2026, 5, 4), assignment_id=1)
    theirs = Shift(8, "Clinic AM (north)", time(8, 0), 4 * 60)
    assert messages(Rules(), [mine], add=[w(theirs, date(2026, 5, 4))], remove=[mine]) == []
    assert len(messages(Rules(), [mine], add=[w(theirs, date(2026, 5, 4))])) == 1  # without removing: overlap


def test_it_reports_each_sentence_once_and_hard_ones_first() -> None:
    rules = Rules(max_shifts_per_week=1, fixed_days_off={1: frozenset({0})})
    found = check_change(rules, PATEL, [w(CLINIC_AM, date(2026, 5, 5))],
                         add=[w(CLINIC_AM, date(2026, 5, 4)), w(CLINIC_PM, date(2026, 5, 6))])
    rules_in_order = [b.rule for b in found]
    assert rules_in_order == ["fixed_day_off", "max_shifts_per_week", "max_shifts_per_week"]
    assert len({b.message for b in found}) == len(found)


# -- storage form ----------------------------------------------------------------------------------------


def test_it_round_trips_rules_through_json() -> None:
    rules = Rules(forbidden_successions=frozenset({(1, 2)}), min_rest_hours=11, max_consecutive_days=6,
                  max_shifts_per_week=5, max_weekends_per_month=2, min_days_between_calls=3,
                  call_shift_types=frozenset({1}), limit_same_day=True, combinable=frozenset({frozenset({2, 3})}),
                  fixed_days_off={7: frozenset({0, 4})}, auto_approve_days=14, swap_needs_approval=False,
                  claim_needs_approval=True)
    assert Rules.from_json(rules.to_json()) == rules


def test_it_drops_malformed_stored_rules() -> None:
    rules = Rules.from_json({"min_rest_hours": "eleven", "max_consecutive_days": 400, "forbidden_successions": [[1]],
                             "fixed_days_off": {"x": [1], "3": [9, 2]}, "call_shift_types": ["a", 2]})
    assert rules.min_rest_hours is None and rules.max_consecutive_days is None
    assert rules.forbidden_successions == frozenset()
    assert rules.fixed_days_off == {3: frozenset({2})}
    assert rules.call_shift_types == frozenset({2})
    assert Rules.from_json(None) == Rules()


def test_it_parses_the_rules_form() -> None:
    rules = parse_rules({"min_rest_hours": "10,5", "max_consecutive_days": "6", "max_shifts_per_week": "",
                         "forbidden": ["1>2"], "forbid_first": "2", "forbid_next": "3", "call_shift_types": ["1"],
                         "min_days_between_calls": "3", "combine_first": "2", "combine_second": "3",
                         "days_off_7": ["4"], "swap_needs_approval": "1"},
                        shift_type_ids=[1, 2, 3], membership_ids=[7])
    assert rules.min_rest_hours == 10.5 and rules.max_consecutive_days == 6 and rules.max_shifts_per_week is None
    assert rules.forbidden_successions == frozenset({(1, 2), (2, 3)})
    assert rules.combinable == frozenset({frozenset({2, 3})})
    assert rules.fixed_days_off == {7: frozenset({4})}
    assert rules.swap_needs_approval and not rules.claim_needs_approval


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"max_consecutive_days": "6.5"}, "max_consecutive_days", "Enter a whole number."),
    ({"max_consecutive_days": "0"}, "max_consecutive_days", "Enter a number from 1 to 31."),
    ({"min_rest_hours": "lots"}, "min_rest_hours", "Enter a number, or leave it blank for no limit."),
    ({"forbid_first": "1"}, "forbid_next", "Choose both shift types, or neither."),
    ({"combine_first": "2", "combine_second": "2"}, "combine_second", "Choose two different shift types."),
    ({"min_days_between_calls": "2"}, "min_days_between_calls",
     "Tick at least one shift type as a call below, or leave this blank."),
    ({"days_off_7": ["0", "1", "2", "3", "4", "5", "6"]}, "days_off_7",
     "A member needs at least one working day; untick a day."),
    ({"forbid_first": "1", "forbid_next": "99"}, "forbid_next", "Choose shift types of this practice."),
])
def test_it_explains_each_bad_rules_field(data: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(data, shift_type_ids=[1, 2, 3], membership_ids=[7])
    assert caught.value.errors[field] == message


# -- what the change itself adds -------------------------------------------------------------------------


def test_it_does_not_blame_a_second_shift_on_a_day_already_worked_for_a_long_run() -> None:
    # Already 7 days in a row (over the limit elsewhere); a PM clinic on one of those days adds no day.
    rules = Rules(max_consecutive_days=6)
    existing = [w(CLINIC_AM, date(2026, 5, d)) for d in range(4, 11)]
    assert messages(rules, existing, add=[w(CLINIC_PM, date(2026, 5, 6))]) == []
    assert messages(rules, existing, add=[w(CLINIC_AM, date(2026, 5, 11))]) == [
        "Dr Patel would work 8 days in a row, Mon, May 4 to Mon, May 11 (max 6)."]


def test_it_does_not_blame_the_other_day_of_a_weekend_already_worked() -> None:
    # Three weekends in May already (over a limit of 2): the Sunday of a weekend already worked adds none.
    rules = Rules(max_weekends_per_month=2)
    existing = [w(NIGHT, date(2026, 5, 2)), w(NIGHT, date(2026, 5, 9)), w(NIGHT, date(2026, 5, 16))]
    assert messages(rules, existing, add=[w(NIGHT, date(2026, 5, 17))]) == []
    assert messages(rules, existing, add=[w(CLINIC_PM, date(2026, 5, 9))]) == []
    assert messages(rules, existing, add=[w(NIGHT, date(2026, 5, 23))]) == [
        "Dr Patel would work 4 weekends in May 2026 (max 2)."]
