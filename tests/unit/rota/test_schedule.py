"""The schedule service at the edges: month ends and leap days, DST nights, midnight and month-end crossings,
holidays, headcount, overlaps, qualifications, drafts, and the ranking of candidates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.db import get_database
from app.models import AuditEntry, OutboxEvent
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.rota import schedule
from tests.conftest import World
from tests.integration.rota.support import (
    actor_of,
    add_draft_assignment,
    add_holiday,
    assign,
    assignments,
    make_shift,
    set_member,
)


async def slots(persona, start: date, end: date, **kw):
    async with get_database().read_session() as session:
        return await schedule.load_slots(session, actor_of(persona), start, end, **kw)


def names(found) -> dict[tuple[str, date], list[str]]:
    return {(s.shift.code, s.day): [a.membership.user.name for a in s.assignments] for s in found}


MONTH_ENDS = [date(2026, m, d) for m in range(1, 13) for d in range(28, calendar.monthrange(2026, m)[1] + 1)]


@pytest.mark.parametrize("day", [*MONTH_ENDS, date(2028, 2, 28), date(2028, 2, 29)], ids=str)
async def test_it_saves_and_shows_an_assignment_on_every_month_end_and_leap_day(world: World, day: date) -> None:
    shift = await make_shift(world.owner)

    await assign(world.manager, shift, day, world.member.membership_id)

    [row] = await assignments(shift_type_id=shift)
    assert row.date == day
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    assert names(await slots(world.viewer, first, last))[("night-call", day)] == ["Mel Member"]
    assert names(await slots(world.viewer, day, day))[("night-call", day)] == ["Mel Member"]


@pytest.mark.parametrize(("tz_persona", "night", "hours"), [
    ("owner", date(2026, 3, 28), 7),  # Berlin springs forward on 29 March 2026
    ("owner", date(2026, 10, 24), 9),  # and falls back on 25 October
    ("outsider", date(2026, 3, 7), 7),  # New York: 8 March
    ("outsider", date(2026, 10, 31), 9),  # and 1 November
    ("owner", date(2026, 3, 21), 8),
])
async def test_it_credits_a_night_shift_on_a_dst_change_with_its_real_hours(
        world: World, tz_persona: str, night: date, hours: int) -> None:
    persona = getattr(world, tz_persona)  # Alpha Clinic is in Berlin, Beta Surgery in New York
    shift = await make_shift(persona, start_time="23:00", duration_minutes=480)
    await assign(persona, shift, night, persona.membership_id)

    [slot] = [s for s in await slots(persona, night, night) if s.day == night]

    assert slot.when.hours == hours
    assert len(slot.assignments) == 1


async def test_it_shows_a_night_shift_on_the_next_day_across_a_month_end(world: World) -> None:
    shift = await make_shift(world.owner)
    await assign(world.manager, shift, date(2026, 3, 31), world.member.membership_id)

    april_first = await slots(world.member, date(2026, 4, 1), date(2026, 4, 1))

    assert names(april_first)[("night-call", date(2026, 3, 31))] == ["Mel Member"]


async def test_it_leaves_out_yesterdays_day_shift(world: World) -> None:
    await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240)

    found = await slots(world.member, date(2026, 4, 1), date(2026, 4, 1))

    assert [s.day for s in found] == [date(2026, 4, 1)]


async def test_it_attaches_the_holiday_to_its_slots(world: World) -> None:
    await make_shift(world.owner, weight=1, weekend_weight=1.5, holiday_weight=3)
    await add_holiday(world.alpha_id, date(2026, 12, 25), "Christmas Day")

    found = await slots(world.member, date(2026, 12, 25), date(2026, 12, 25))

    [slot] = [s for s in found if s.day == date(2026, 12, 25)]
    assert slot.holiday is not None and slot.holiday.name == "Christmas Day"
    assert slot.weight == 3


async def test_it_refuses_a_member_beyond_the_headcount(world: World) -> None:
    shift = await make_shift(world.owner, headcount=1)
    await assign(world.manager, shift, date(2026, 5, 4), world.member.membership_id)

    with pytest.raises(Conflict, match="already fully staffed"):
        await assign(world.manager, shift, date(2026, 5, 4), world.owner.membership_id)

    assert len(await assignments(shift_type_id=shift, status="active")) == 1


async def test_it_refuses_overlapping_shifts_for_one_member(world: World) -> None:
    night = await make_shift(world.owner)
    early = await make_shift(world.owner, code="early", name="Early rounds", start_time="06:00",
                             duration_minutes=180)
    await assign(world.manager, night, date(2026, 5, 4), world.member.membership_id)

    with pytest.raises(Conflict, match="already working Night call"):
        await assign(world.manager, early, date(2026, 5, 5), world.member.membership_id)


async def test_it_refuses_a_member_without_the_qualification(world: World) -> None:
    peds = await make_shift(world.owner, code="peds-call", name="Pediatrics call", qualification="PEDS")

    with pytest.raises(ValidationFailed) as raised:
        await assign(world.manager, peds, date(2026, 5, 4), world.member.membership_id)

    assert "needs the qualification PEDS" in raised.value.errors["member_id"]
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    await assign(world.manager, peds, date(2026, 5, 4), world.member.membership_id)


async def test_it_refuses_a_day_the_shift_does_not_run(world: World) -> None:
    weekdays = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00",
                                duration_minutes=240, days_of_week=[0, 1, 2, 3, 4])

    with pytest.raises(ValidationFailed):
        await assign(world.manager, weekdays, date(2026, 5, 9), world.member.membership_id)  # a Saturday


async def test_it_lets_only_managers_and_owners_change_the_schedule(world: World) -> None:
    shift = await make_shift(world.owner)

    for persona in (world.member, world.viewer):
        with pytest.raises(Forbidden):
            await assign(persona, shift, date(2026, 5, 4), world.member.membership_id)

    assert await assignments(shift_type_id=shift) == []


async def test_it_refuses_another_organizations_shift_type(world: World) -> None:
    shift = await make_shift(world.owner)

    with pytest.raises(NotFound):
        await assign(world.outsider, shift, date(2026, 5, 4), world.outsider.membership_id)


async def test_it_keeps_drafts_from_members_and_viewers(world: World) -> None:
    shift = await make_shift(world.owner)
    draft = await add_draft_assignment(world.alpha_id, shift, date(2026, 5, 4), world.member.membership_id)

    for persona in (world.member, world.viewer, world.manager, world.owner):
        assert names(await slots(persona, date(2026, 5, 4), date(2026, 5, 4)))[("night-call", date(2026, 5, 4))] == []
    for persona in (world.member, world.viewer):
        with pytest.raises(NotFound):
            await slots(persona, date(2026, 5, 4), date(2026, 5, 4), draft_id=draft)
    preview = await slots(world.manager, date(2026, 5, 4), date(2026, 5, 4), draft_id=draft)
    assert names(preview)[("night-call", date(2026, 5, 4))] == ["Mel Member"]


async def test_it_ignores_draft_assignments_when_counting_seats(world: World) -> None:
    shift = await make_shift(world.owner, headcount=1)
    await add_draft_assignment(world.alpha_id, shift, date(2026, 5, 4), world.owner.membership_id)

    await assign(world.manager, shift, date(2026, 5, 4), world.member.membership_id)

    assert len(await assignments(shift_type_id=shift, draft_id=None, status="active")) == 1


async def test_it_filters_slots_to_one_member(world: World) -> None:
    shift = await make_shift(world.owner)
    await assign(world.manager, shift, date(2026, 5, 4), world.member.membership_id)
    await assign(world.manager, shift, date(2026, 5, 6), world.owner.membership_id)

    mine = await slots(world.member, date(2026, 5, 4), date(2026, 5, 10), membership_id=world.member.membership_id)

    assert [s.day for s in mine] == [date(2026, 5, 4)]


async def test_it_ranks_candidates_free_first_and_says_why_others_cannot(world: World) -> None:
    night = await make_shift(world.owner, qualification="")
    clinic = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240)
    peds_evening = await make_shift(world.owner, code="evening", name="Evening clinic", start_time="17:00",
                                    duration_minutes=240)
    day = date(2026, 5, 4)
    await assign(world.manager, clinic, day, world.owner.membership_id)  # owner: also working that day
    await assign(world.manager, peds_evening, day, world.manager.membership_id)  # manager: overlaps 19:00-21:00
    await assign(world.manager, night, day, world.member.membership_id)  # member: on this shift

    async with get_database().read_session() as session:
        found = await schedule.candidates(session, actor_of(world.manager), night, day)

    status = {c.membership.user.name: c.status for c in found}
    assert status == {"Olga Owner": "working", "Mona Manager": "busy", "Mel Member": "on_shift",
                      "Vic Viewer": "not_in_schedule"}
    assert [c.status for c in found] == ["working", "busy", "on_shift", "not_in_schedule"]
    async with get_database().read_session() as session:
        fresh = await schedule.candidates(session, actor_of(world.manager), clinic, day + timedelta(days=1))
    assert fresh[0].status == "free"


async def test_it_marks_members_without_the_qualification(world: World) -> None:
    peds = await make_shift(world.owner, code="peds-call", name="Pediatrics call", qualification="PEDS")
    await set_member(world.owner.membership_id, qualifications=["PEDS"])

    async with get_database().read_session() as session:
        found = await schedule.candidates(session, actor_of(world.manager), peds, date(2026, 5, 4))

    status = {c.membership.user.name: c.status for c in found}
    assert status["Olga Owner"] == "free"
    assert status["Mel Member"] == "unqualified"
    assert found[0].membership.user.name == "Olga Owner"


async def test_it_reassigns_in_one_audited_step(world: World) -> None:
    shift = await make_shift(world.owner)
    old = await assign(world.manager, shift, date(2026, 5, 31), world.member.membership_id)

    async with get_database().write_session() as session:
        new = await schedule.reassign(session, actor_of(world.manager), old, world.owner.membership_id)
        new_id = new.id

    rows = {a.id: a for a in await assignments(shift_type_id=shift)}
    assert rows[old].status == "cancelled" and rows[old].sequence == 1
    assert rows[new_id].status == "active" and rows[new_id].membership_id == world.owner.membership_id
    async with get_database().read_session() as session:
        actions = list((await session.execute(select(AuditEntry.action).where(
            AuditEntry.organization_id == world.alpha_id, AuditEntry.action.like("assignment.%")))).scalars())
        kinds = list((await session.execute(select(OutboxEvent.kind).where(
            OutboxEvent.organization_id == world.alpha_id, OutboxEvent.kind.like("rota.%assigned")))).scalars())
    assert actions == ["assignment.created", "assignment.reassigned"]
    assert kinds == ["rota.assigned", "rota.unassigned", "rota.assigned"]


async def test_it_refuses_to_reassign_to_someone_busy(world: World) -> None:
    night = await make_shift(world.owner)
    evening = await make_shift(world.owner, code="evening", name="Evening clinic", start_time="17:00",
                               duration_minutes=240)
    old = await assign(world.manager, night, date(2026, 5, 4), world.member.membership_id)
    await assign(world.manager, evening, date(2026, 5, 4), world.owner.membership_id)

    with pytest.raises(Conflict):
        async with get_database().write_session() as session:
            await schedule.reassign(session, actor_of(world.manager), old, world.owner.membership_id)

    [row] = [a for a in await assignments(shift_type_id=night)]
    assert row.status == "active" and row.membership_id == world.member.membership_id


async def test_it_unassigns_by_cancelling_so_feeds_can_say_so(world: World) -> None:
    shift = await make_shift(world.owner)
    assignment_id = await assign(world.manager, shift, date(2026, 2, 28), world.member.membership_id)

    async with get_database().write_session() as session:
        await schedule.unassign(session, actor_of(world.manager), assignment_id)

    [row] = await assignments(shift_type_id=shift)
    assert row.status == "cancelled" and row.sequence == 1
    found = await slots(world.member, date(2026, 2, 28), date(2026, 2, 28))
    assert names(found)[("night-call", date(2026, 2, 28))] == []


async def test_it_refuses_a_two_day_shift_over_one_two_days_later(world: World) -> None:
    long_weekend = await make_shift(world.owner, code="long-weekend", name="Long weekend", start_time="08:00",
                                    duration_minutes=46 * 60)
    early = await make_shift(world.owner, code="early", name="Early rounds", start_time="05:00", duration_minutes=180)
    await assign(world.manager, early, date(2026, 5, 11), world.member.membership_id)  # Monday 05:00

    with pytest.raises(Conflict, match="already working Early rounds"):
        await assign(world.manager, long_weekend, date(2026, 5, 9), world.member.membership_id)  # until Mon 06:00
