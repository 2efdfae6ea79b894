"""Swaps: the rules and the load effect shown before anyone confirms; offer, accept, decline; a manager's approval
when the practice wants it or a rule would break; hard conflicts stopped; stale offers refused."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Browser, World
from tests.integration.requests.support import (
    assign,
    assignments,
    audit_actions,
    emails_to,
    error_of,
    events,
    make_shift,
    next_weekday,
    page_text,
    request_rows,
    set_member,
    set_rules,
    today,
)

NIGHT = {"weight": 2, "weekend_weight": 3, "holiday_weight": 4}
CLINIC = {"code": "clinic-am", "name": "Clinic AM", "start_time": "08:00", "duration_minutes": 240, "weight": 1,
          "weekend_weight": 1.5, "holiday_weight": 2}


async def offer(client: Browser, assignment_id: int, to: int | None) -> None:
    await client.post("/requests/swap", {"assignment_id": str(assignment_id), "to_membership_id": str(to)})


async def _setup(world: World, **rules: object) -> tuple[int, int, int, int]:
    """Night call and clinic; Mel has the night of a Saturday, Olga a clinic on the Thursday before."""
    night = await make_shift(world.owner, **NIGHT)
    clinic = await make_shift(world.owner, **CLINIC)
    sat = next_weekday(5)
    mine = await assign(world.manager, night, sat, world.member.membership_id)
    theirs = await assign(world.manager, clinic, sat - timedelta(days=2), world.owner.membership_id)
    await set_rules(world.alpha_id, **rules)
    return night, clinic, mine, theirs


async def test_it_shows_the_rules_and_the_load_before_the_offer_is_sent(client: Browser, world: World) -> None:
    night, clinic, mine, _theirs = await _setup(world, swap_needs_approval=False)
    sunday = next_weekday(5) + timedelta(days=1)
    await assign(world.manager, clinic, sunday, world.owner.membership_id)  # the morning after the night
    await set_rules(world.alpha_id, swap_needs_approval=False, forbidden_successions=frozenset({(night, clinic)}))
    await client.login(world.member.email)

    page = await client.get(f"/requests/swap?assignment={mine}&to={world.owner.membership_id}")

    text = page_text(page.text)
    assert "Before you confirm" in text
    assert "Rule Olga Owner would work Clinic AM on" in text and "right after Night call on" in text
    assert "+3 weekend points to Olga Owner, \u22123 to Mel Member" in text
    assert "Because it breaks a rule, a manager decides whether it goes ahead." in text
    assert "Send the swap offer" in text
    assert await request_rows() == []  # nothing sent by looking


async def test_it_says_when_a_swap_breaks_no_rule(client: Browser, world: World) -> None:
    _n, _c, mine, theirs = await _setup(world, swap_needs_approval=False)
    await client.login(world.member.email)

    page = await client.get(f"/requests/swap?assignment={mine}&to={world.owner.membership_id}&take={theirs}")

    text = page_text(page.text)
    assert "Breaks no rule." in text
    # Different kinds of points move: each person's change on a line of its own, with the net.
    assert "Mel Member: +1 point, \u22123 weekend points (\u22122 in all)" in text
    assert "Olga Owner: \u22121 point, +3 weekend points (+2 in all)" in text
    assert "Olga Owner's acceptance completes the swap." in text


async def test_it_answers_htmx_with_just_the_swap_step(client: Browser, world: World) -> None:
    _n, _c, mine, _t = await _setup(world)
    await client.login(world.member.email)

    fragment = await client.get(f"/requests/swap?assignment_id={mine}&to_membership_id={world.owner.membership_id}",
                                headers={"HX-Request": "true", "HX-Target": "swap-step"})

    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="swap-step"' in fragment.text
    assert "Before you confirm" in fragment.text


async def test_it_sends_an_offer_the_colleague_accepts_and_the_schedule_changes(client: Browser, world: World,
                                                                             make_browser) -> None:
    night, clinic, mine, theirs = await _setup(world, swap_needs_approval=False)
    await client.login(world.member.email)

    sent = await client.post("/requests/swap", {"assignment_id": str(mine), "to_membership_id":
                                                str(world.owner.membership_id), "take_assignment_id": str(theirs),
                                                "note": "Family matters"})

    assert sent.status_code == 303
    [req] = await request_rows(kind="swap")
    assert (req.status, req.assignment_id, req.counter_assignment_id) == ("pending", mine, theirs)
    [offer] = await emails_to(world.owner.email)
    assert "Mel Member asks you to swap a shift" in offer.subject
    assert "It breaks no rule." in offer.body_text and "Family matters" in offer.body_text
    colleague = await make_browser()
    await colleague.login(world.owner.email)
    inbox = page_text((await colleague.get("/requests")).text)
    # To the colleague it is their turn, not "Olga Owner's"; the member sees whom it waits for.
    assert "Waiting for you 1" in inbox and "Waiting for your answer" in inbox and "Waiting for Olga Owner" not in inbox
    assert "Waiting for Olga Owner" in page_text((await client.get(f"/requests/{req.id}")).text)
    detail = page_text((await colleague.get(f"/requests/{req.id}")).text)
    assert "Before you confirm" in detail and "Breaks no rule." in detail and "Accept the swap" in detail

    accepted = await colleague.post(f"/requests/{req.id}/answer", {"answer": "accept", "comment": "Happy to"})

    assert accepted.status_code == 303 and "notice=accepted" in accepted.headers["location"]
    [req] = await request_rows(kind="swap")
    assert req.status == "approved" and req.response_comment == "Happy to"
    live = {(a.shift_type_id, a.membership_id) for a in await assignments(status="active")}
    assert live == {(night, world.owner.membership_id), (clinic, world.member.membership_id)}
    assert all(a.source == "swap" for a in await assignments(status="active"))
    mail = (await emails_to(world.member.email))[-1]
    assert "Olga Owner accepted your swap. The schedule has changed." in mail.subject
    assert (await audit_actions(world.alpha_id)).count("assignment.reassigned") == 2
    assert (await events(world.alpha_id))[-5:] == ["rota.unassigned", "rota.assigned", "rota.unassigned",
                                                   "rota.assigned", "requests.approved"]


async def test_it_lets_the_colleague_decline(client: Browser, world: World) -> None:
    _n, _c, mine, _t = await _setup(world)
    await client.login(world.member.email)
    await offer(client, mine, world.owner.membership_id)
    [req] = await request_rows()
    await client.login(world.owner.email)

    await client.post(f"/requests/{req.id}/answer", {"answer": "decline", "comment": "Away that weekend"})

    [req] = await request_rows()
    assert req.status == "declined"
    assert [a.membership_id for a in await assignments(status="active", id=mine)] == [world.member.membership_id]
    mail = (await emails_to(world.member.email))[-1]
    assert "Olga Owner declined your swap." in mail.subject and "Away that weekend" in mail.body_text


async def test_it_waits_for_a_manager_when_the_practice_wants_it(client: Browser, world: World) -> None:
    night, _c, mine, _t = await _setup(world, swap_needs_approval=True)
    await client.login(world.member.email)
    await offer(client, mine, world.owner.membership_id)
    [req] = await request_rows()
    await client.login(world.manager.email)
    early = await client.post(f"/requests/{req.id}/decide", {"decision": "approve"})
    assert early.status_code == 409
    assert "Wait for Olga Owner to accept the swap first." in page_text(early.text)
    await client.login(world.owner.email)

    await client.post(f"/requests/{req.id}/answer", {"answer": "accept"})

    assert (await request_rows())[0].status == "accepted"
    assert [a.membership_id for a in await assignments(status="active", shift_type_id=night)] == [
        world.member.membership_id]
    assert "A swap is waiting for your approval." in (await emails_to(world.manager.email))[-1].subject
    await client.login(world.manager.email)
    inbox = page_text((await client.get("/requests")).text)
    assert "Waiting for you 1" in inbox
    detail = page_text((await client.get(f"/requests/{req.id}")).text)
    assert "Before you confirm" in detail and "+3 weekend points to Olga Owner" in detail

    await client.post(f"/requests/{req.id}/decide", {"decision": "approve", "comment": "Fine by me"})

    assert (await request_rows())[0].status == "approved"
    assert [a.membership_id for a in await assignments(status="active", shift_type_id=night)] == [
        world.owner.membership_id]
    for person in (world.member, world.owner):
        assert "The request is approved. The schedule has changed." in (await emails_to(person.email))[-1].subject


async def test_it_sends_a_swap_that_breaks_a_rule_to_a_manager_even_without_the_setting(client: Browser,
                                                                                        world: World) -> None:
    night, _c, mine, _t = await _setup(world, swap_needs_approval=False)
    await assign(world.manager, night, next_weekday(5) - timedelta(days=1), world.owner.membership_id)
    await set_rules(world.alpha_id, swap_needs_approval=False, max_consecutive_days=1)
    await client.login(world.member.email)
    await offer(client, mine, world.owner.membership_id)
    [req] = await request_rows()
    await client.login(world.owner.email)

    await client.post(f"/requests/{req.id}/answer", {"answer": "accept"})

    assert (await request_rows())[0].status == "accepted"
    mail = (await emails_to(world.manager.email))[-1]
    assert "Olga Owner would work 3 days in a row" in mail.body_text


async def test_it_refuses_a_swap_with_a_hard_conflict_beside_the_colleague(client: Browser, world: World) -> None:
    peds = await make_shift(world.owner, code="peds", name="Peds call", qualification="PEDS", **NIGHT)
    sat = next_weekday(5)
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    mine = await assign(world.manager, peds, sat, world.member.membership_id)
    await client.login(world.member.email)

    page = await client.get(f"/requests/swap?assignment={mine}&to={world.owner.membership_id}")
    assert "Conflict Peds call needs the qualification PEDS, which Olga Owner lacks." in page_text(page.text)
    assert "Send the swap offer" not in page.text
    refused = await client.post("/requests/swap", {"assignment_id": str(mine),
                                                   "to_membership_id": str(world.owner.membership_id)})

    assert refused.status_code == 422
    assert error_of(refused.text, "to_membership_id") == (
        "Peds call needs the qualification PEDS, which Olga Owner lacks.")
    assert await request_rows() == []


async def test_it_checks_the_swap_form_fields(client: Browser, world: World) -> None:
    _n, _c, mine, theirs = await _setup(world)
    await client.login(world.member.email)

    me = await client.post("/requests/swap", {"assignment_id": str(mine),
                                              "to_membership_id": str(world.member.membership_id)})
    assert error_of(me.text, "to_membership_id") == "Choose a colleague, not yourself."
    viewer = await client.post("/requests/swap", {"assignment_id": str(mine),
                                                  "to_membership_id": str(world.viewer.membership_id)})
    assert error_of(viewer.text, "to_membership_id") == "Vic Viewer does not take shifts."
    not_mine = await client.post("/requests/swap", {"assignment_id": str(theirs),
                                                    "to_membership_id": str(world.owner.membership_id)})
    assert error_of(not_mine.text, "assignment_id") == "Choose one of Mel Member's shifts."
    wrong_take = await client.post("/requests/swap", {"assignment_id": str(mine), "take_assignment_id": str(mine),
                                                      "to_membership_id": str(world.owner.membership_id)})
    assert error_of(wrong_take.text, "take_assignment_id") == "Choose one of Olga Owner's shifts."
    assert {me.status_code, viewer.status_code, not_mine.status_code, wrong_take.status_code} == {422}
    await offer(client, mine, world.owner.membership_id)
    twice = await client.post("/requests/swap", {"assignment_id": str(mine),
                                                 "to_membership_id": str(world.manager.membership_id)})
    assert error_of(twice.text, "assignment_id") == "This shift is already offered; cancel that offer first."
    assert len(await request_rows()) == 1


async def test_it_refuses_to_accept_an_offer_whose_shift_changed_meanwhile(client: Browser, world: World) -> None:
    night, _c, mine, _t = await _setup(world)
    await client.login(world.member.email)
    await offer(client, mine, world.owner.membership_id)
    [req] = await request_rows()
    from app.db import get_database
    from app.services.rota import schedule
    from tests.integration.requests.support import actor_of

    async with get_database().write_session() as session:
        await schedule.reassign(session, actor_of(world.manager), mine, world.manager.membership_id)
    await client.login(world.owner.email)

    stale = await client.post(f"/requests/{req.id}/answer", {"answer": "accept"})

    assert stale.status_code == 409
    assert "The schedule has changed since this request was made; it no longer applies." in page_text(stale.text)
    assert (await request_rows())[0].status == "pending"
    assert [a.membership_id for a in await assignments(status="active", shift_type_id=night)] == [
        world.manager.membership_id]


async def test_it_only_lets_the_colleague_answer(client: Browser, world: World) -> None:
    _n, _c, mine, _t = await _setup(world)
    await client.login(world.member.email)
    await offer(client, mine, world.owner.membership_id)
    [req] = await request_rows()

    own = await client.post(f"/requests/{req.id}/answer", {"answer": "accept"})
    assert own.status_code == 403
    await client.login(world.manager.email)
    other = await client.post(f"/requests/{req.id}/answer", {"answer": "accept"})
    assert other.status_code == 404
    assert (await request_rows())[0].status == "pending"


async def test_it_folds_the_shifts_after_the_next_six_so_requests_stay_in_reach(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    first = today() + timedelta(days=2)
    for i in range(8):
        await assign(world.manager, night, first + timedelta(days=i), world.member.membership_id)
    await client.login(world.member.email)

    page = (await client.get("/requests")).text

    shown, folded = page.split('<details class="req-more">')
    assert shown.count("/requests/swap?assignment=") == 6
    assert "2 more shifts in the next two months" in page_text(folded)
    assert folded.split("</details>")[0].count("/requests/swap?assignment=") == 2
