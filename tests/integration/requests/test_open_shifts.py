"""Give-aways to the open pool, claiming them, volunteering for seats nobody holds: rules first, then a manager
when the practice wants one (or a rule would break)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Browser, World
from tests.integration.requests.support import (
    assign,
    assignments,
    audit_actions,
    emails_to,
    events,
    make_shift,
    next_weekday,
    page_text,
    request_rows,
    set_rules,
)

NIGHT = {"weight": 2, "weekend_weight": 3, "holiday_weight": 4}


async def test_it_gives_a_shift_away_and_a_colleague_takes_it(client: Browser, world: World, make_browser) -> None:
    night = await make_shift(world.owner, **NIGHT)
    await set_rules(world.alpha_id, claim_needs_approval=False)
    sat = next_weekday(5)
    mine = await assign(world.manager, night, sat, world.member.membership_id)
    await client.login(world.member.email)
    confirm = page_text((await client.get(f"/requests/giveaway?assignment={mine}")).text)
    assert "Effect on your load: \u22123 weekend points" in confirm

    given = await client.post("/requests/giveaway", {"assignment_id": str(mine), "note": "Anyone?"})

    assert given.status_code == 303
    [req] = await request_rows(kind="giveaway")
    assert req.status == "open"
    assert [a.membership_id for a in await assignments(status="active")] == [world.member.membership_id]  # kept
    colleague = await make_browser()
    await colleague.login(world.owner.email)
    listing = await colleague.get("/requests/open")
    text = page_text(listing.text)
    assert "Night call" in text and "Given away by Mel Member" in text and "Take this shift" in text
    detail = page_text((await colleague.get(f"/requests/{req.id}")).text)
    assert "Breaks no rule." in detail and "+3 weekend points to Olga Owner, \u22123 to Mel Member" in detail

    taken = await colleague.post(f"/requests/{req.id}/claim")

    assert taken.status_code == 303 and "notice=claimed" in taken.headers["location"]
    [req] = await request_rows(kind="giveaway")
    assert req.status == "approved" and req.target_membership_id == world.owner.membership_id
    assert [a.membership_id for a in await assignments(status="active")] == [world.owner.membership_id]
    assert "Olga Owner took your shift. The schedule has changed." in (await emails_to(world.member.email))[-1].subject
    assert "assignment.reassigned" in await audit_actions(world.alpha_id)
    assert (await events(world.alpha_id))[-3:] == ["rota.unassigned", "rota.assigned", "requests.approved"]
    again = await client.post(f"/requests/{req.id}/claim")
    assert again.status_code in {404, 409}


async def test_it_waits_for_a_manager_before_a_claimed_shift_changes_hands(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    await set_rules(world.alpha_id, claim_needs_approval=True)
    mine = await assign(world.manager, night, next_weekday(5), world.member.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/giveaway", {"assignment_id": str(mine)})
    [req] = await request_rows()
    await client.login(world.owner.email)

    claimed = await client.post(f"/requests/{req.id}/claim")

    assert "notice=claim-sent" in claimed.headers["location"]
    assert (await request_rows())[0].status == "accepted"
    assert [a.membership_id for a in await assignments(status="active")] == [world.member.membership_id]
    assert "A claimed shift is waiting for your approval." in (await emails_to(world.manager.email))[-1].subject
    await client.login(world.manager.email)
    await client.post(f"/requests/{req.id}/decide", {"decision": "approve"})
    assert [a.membership_id for a in await assignments(status="active")] == [world.owner.membership_id]


async def test_it_stops_a_claim_with_a_hard_conflict(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    late = await make_shift(world.owner, code="late", name="Late", start_time="16:00", duration_minutes=360)
    sat = next_weekday(5)
    mine = await assign(world.manager, night, sat, world.member.membership_id)
    await assign(world.manager, late, sat, world.owner.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/giveaway", {"assignment_id": str(mine)})
    [req] = await request_rows()
    await client.login(world.owner.email)

    detail = await client.get(f"/requests/{req.id}")
    assert "Conflict Olga Owner would already be working Late at that time" in page_text(detail.text)
    refused = await client.post(f"/requests/{req.id}/claim")

    assert refused.status_code == 422
    assert "Olga Owner would already be working Late at that time" in page_text(refused.text)
    assert (await request_rows())[0].status == "open"


async def test_it_lets_members_volunteer_for_an_open_seat(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    sat = next_weekday(5)
    await set_rules(world.alpha_id, claim_needs_approval=False)
    await client.login(world.member.email)
    assert "Every published shift is staffed." in page_text((await client.get("/requests/open")).text)  # none yet
    # Publishing a shift the Sunday after makes the Saturday's empty seat an open shift.
    await assign(world.manager, night, sat + timedelta(days=1), world.owner.membership_id)
    listing = page_text((await client.get("/requests/open")).text)
    assert "1 open seat" in listing and "Volunteer" in listing
    preview = await client.get(f"/requests/open/{night}/{sat.isoformat()}")
    assert "Breaks no rule." in page_text(preview.text) and "+3 weekend points to Mel Member" in page_text(preview.text)

    done = await client.post(f"/requests/open/{night}/{sat.isoformat()}", {"note": "Happy to"})

    assert done.status_code == 303 and "notice=volunteered" in done.headers["location"]
    [req] = await request_rows(kind="volunteer")
    assert req.status == "approved"
    assert [(a.date, a.membership_id) for a in await assignments(status="active", date=sat)] == [
        (sat, world.member.membership_id)]
    full = await client.post(f"/requests/open/{night}/{sat.isoformat()}")
    assert full.status_code == 409
    assert "already fully staffed" in page_text(full.text)


async def test_it_sends_volunteers_to_a_manager_when_the_practice_wants_it(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    sat = next_weekday(5)
    await assign(world.manager, night, sat + timedelta(days=1), world.owner.membership_id)
    await client.login(world.member.email)

    await client.post(f"/requests/open/{night}/{sat.isoformat()}")

    [req] = await request_rows(kind="volunteer")
    assert req.status == "pending" and await assignments(status="active", date=sat) == []
    listing = page_text((await client.get("/requests/open")).text)
    assert "you volunteered" in listing
    twice = await client.post(f"/requests/open/{night}/{sat.isoformat()}")
    assert twice.status_code == 422 and "You have already volunteered for this shift." in page_text(twice.text)
    await client.login(world.owner.email)
    await client.post(f"/requests/{req.id}/decide", {"decision": "approve"})
    assert [a.membership_id for a in await assignments(status="active", date=sat)] == [world.member.membership_id]
    assert "The request is approved." in (await emails_to(world.member.email))[-1].subject


async def test_it_refuses_to_volunteer_for_a_day_the_shift_does_not_run_or_the_past(client: Browser,
                                                                                     world: World) -> None:
    weekdays = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240,
                                days_of_week=[0, 1, 2, 3, 4])
    await client.login(world.member.email)
    sat = next_weekday(5)

    weekend = await client.post(f"/requests/open/{weekdays}/{sat.isoformat()}")
    assert weekend.status_code == 422 and "Clinic does not run on that day." in page_text(weekend.text)
    past = await client.post(f"/requests/open/{weekdays}/{(sat - timedelta(days=40)).isoformat()}")
    assert past.status_code == 422
    nonsense = await client.get(f"/requests/open/{weekdays}/someday")
    assert nonsense.status_code == 404
    assert await request_rows() == []


async def test_it_lets_the_giver_withdraw_a_give_away(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    mine = await assign(world.manager, night, next_weekday(5), world.member.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/giveaway", {"assignment_id": str(mine)})
    [req] = await request_rows()
    assert "Given away by Mel Member" in page_text((await client.get("/requests/open")).text)

    await client.post(f"/requests/{req.id}/cancel")

    assert (await request_rows())[0].status == "cancelled"
    assert "Given away by Mel Member" not in page_text((await client.get("/requests/open")).text)
