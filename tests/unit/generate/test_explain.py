"""Explanations of impossible ranges, on crafted inputs."""

from __future__ import annotations

from datetime import date, time, timedelta

from app.services.rota.explain import precheck, relax
from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec
from app.services.rota.rules import Rules

ALL = (0, 1, 2, 3, 4, 5, 6)
XMAS = date(2026, 12, 25)
PEDS = ShiftSpec(3, "peds-call", "Peds call", time(18), 840, ALL, 1, 2.0, 3.0, 4.0, "PEDS")
NIGHT = ShiftSpec(1, "night-call", "Night call", time(19), 720, ALL, 1, 2.0, 3.0, 4.0)


def test_it_names_the_slot_and_why_nobody_can_take_it() -> None:
    ana = MemberSpec(1, "Ana", qualifications=frozenset({"PEDS"}), leave=frozenset({XMAS}))
    ben = MemberSpec(2, "Ben", qualifications=frozenset({"PEDS"}), leave=frozenset({XMAS}))
    cy = MemberSpec(3, "Cy")
    found = precheck(Inputs(start=XMAS - timedelta(days=2), end=XMAS + timedelta(days=2), shifts=[PEDS],
                            members=[ana, ben, cy]))
    assert [f["message"] for f in found] == [
        "Fri, Dec 25 Peds call needs 1 member qualified PEDS; both are on approved time off (Ana, Ben)."]
    assert "cover" in found[0]["hint"]


def test_it_reports_a_qualification_nobody_holds_once() -> None:
    found = precheck(Inputs(start=XMAS, end=XMAS + timedelta(days=6), shifts=[PEDS], members=[MemberSpec(1, "Ana")]))
    assert len(found) == 1
    assert found[0]["message"].startswith("Peds call needs a member qualified PEDS on 7 days (from Fri, Dec 25)")


def test_it_points_at_a_lock_on_approved_leave() -> None:
    ana = MemberSpec(1, "Ana", leave=frozenset({XMAS}))
    found = precheck(Inputs(start=XMAS, end=XMAS, shifts=[NIGHT], members=[ana, MemberSpec(2, "Ben")],
                            locks=[(1, 1, XMAS)]))
    assert found[0]["kind"] == "lock"
    assert found[0]["message"] == "Ana is locked on Night call on Fri, Dec 25 but has approved time off that day."


def test_it_counts_the_members_free_on_a_day() -> None:
    clinic = ShiftSpec(2, "clinic", "Clinic", time(8), 240, ALL, 2)
    members = [MemberSpec(1, "Ana"), MemberSpec(2, "Ben")]
    # the night and the clinic do not overlap: two members can take three seats, one working both
    assert precheck(Inputs(start=XMAS, end=XMAS, shifts=[NIGHT, clinic], members=members)) == []
    # ... unless the rules allow no shifts to be combined on one day
    found = precheck(Inputs(start=XMAS, end=XMAS, shifts=[NIGHT, clinic], members=members,
                            rules=Rules(limit_same_day=True)))
    assert found[0]["message"] == "On Fri, Dec 25 3 seats need filling but only 2 members are free."


def test_it_finds_the_rule_that_makes_the_range_impossible() -> None:
    # Two members, a night every day, no two nights in a row... except that nobody may work 2 days running
    # and calls must be 3 days apart: with two members only the calls rule is to blame.
    members = [MemberSpec(1, "Ana"), MemberSpec(2, "Ben")]
    inputs = Inputs(start=XMAS, end=XMAS + timedelta(days=5), shifts=[NIGHT], members=members,
                    rules=Rules(min_days_between_calls=3, call_shift_types=frozenset({1}), max_consecutive_days=5))
    assert precheck(inputs) == []
    found = relax(inputs, seconds=1.0)
    assert [f["kind"] for f in found] == ["min_days_between_calls"]
    assert found[0]["message"] == "Calls at least 3 days apart cannot be kept."
