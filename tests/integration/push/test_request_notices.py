"""Requests tell everyone involved by email and by web push, the same people both ways: through the real routes,
with the mail going to a local SMTP server and the pushes to a local push service that decrypts them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from app.db import get_database
from app.services.push import queue_notices
from tests.integration.feeds.rota_support import assign, make_shift, next_weekday
from tests.integration.push.notice_support import (
    Person,
    day_label,
    emails_of,
    event_id,
    push_rows,
    sign_in_with_phone,
    subjects_to,
)
from tests.integration.requests.support import request_rows, set_member, set_rules

if TYPE_CHECKING:
    from tests.conftest import World
    from tests.integration.accounts.conftest import MailSetup
    from tests.integration.push.push_service import PushService


def notice(title: str, body: str, request_id: int) -> dict[str, str]:
    return {"title": title, "body": body, "url": f"/requests/{request_id}", "tag": f"request-{request_id}"}


async def people(mail: MailSetup, service: PushService, world: World) -> tuple[Person, Person, Person, Person]:
    member, owner, manager, viewer = [await sign_in_with_phone(mail, service, p)
                                      for p in (world.member, world.owner, world.manager, world.viewer)]
    return member, owner, manager, viewer


async def test_it_tells_the_managers_then_the_member_and_the_cover_when_time_off_is_approved(
    mail: MailSetup, world: World, push_service: PushService
) -> None:
    member, owner, manager, viewer = await people(mail, push_service, world)
    night = await make_shift(world.manager)
    day = next_weekday(5)
    shift_id = await assign(world.manager, night, day, world.member)
    member.pushes(push_service, 1)  # "Rota changed" for the shift itself

    sent = await member.browser.post("/requests/time-off", {"start_date": day.isoformat(),
                                                             "end_date": day.isoformat(), "urgency": "advance"})

    assert sent.status_code == 303
    [req] = await request_rows()
    summary = f"Mel Member asks for time off: {day_label(day)}."
    waiting = notice("Time off is waiting for your approval.", summary, req.id)
    assert owner.pushes(push_service, 1) == [waiting]
    assert manager.pushes(push_service, 1) == [waiting]
    await mail.mailbox.wait_for(2)
    for boss in (world.owner, world.manager):
        assert subjects_to(mail, boss.email) == ["Time off is waiting for your approval. · Alpha Clinic"]
    # The member asked, so is told nothing; the viewer has nothing to do with it.
    assert [r.dedup_key for r in await push_rows(world.member.user_id)] == [f"event:{await event_id('rota.assigned')}"]
    assert await push_rows(world.viewer.user_id) == [] and await emails_of(world.viewer.email) == []

    done = await manager.browser.post(f"/requests/{req.id}/decide", {
        "decision": "approve", "comment": "Get well", f"cover_{shift_id}": str(world.owner.membership_id)})

    assert done.status_code == 303
    # One push each for the approval, not one more per shift that changed hands ("Rota changed").
    assert member.pushes(push_service, 2)[1:] == [notice("Your time off is approved.", summary, req.id)]
    assert owner.pushes(push_service, 2) == [
        waiting, notice(f"You now cover Night call on {day_label(day)}.", summary, req.id)]
    await mail.mailbox.wait_for(4)
    assert subjects_to(mail, world.member.email) == ["Your time off is approved. · Alpha Clinic"]
    assert subjects_to(mail, world.owner.email)[1:] == [f"You now cover Night call on {day_label(day)}. · Alpha Clinic"]
    # The manager approved it: no email and no push of the approval to them.
    approval = f"event:{await event_id('requests.approved')}"
    told = {r.user_id for r in await push_rows() if r.dedup_key == approval}
    assert told == {world.member.user_id, world.owner.user_id}
    assert len(await emails_of(world.manager.email)) == 1 and len(manager.pushes(push_service)) == 1
    assert viewer.pushes(push_service) == []
    await asyncio.sleep(0.5)
    assert len(member.pushes(push_service)) == 2 and len(owner.pushes(push_service)) == 2


async def test_it_tells_the_colleague_of_a_swap_offer_and_the_member_of_the_answer_once(
    mail: MailSetup, world: World, push_service: PushService
) -> None:
    await set_rules(world.alpha_id, swap_needs_approval=False)
    member, owner, manager, _viewer = await people(mail, push_service, world)
    night = await make_shift(world.manager)
    day = next_weekday(5)
    mine = await assign(world.manager, night, day, world.member)
    member.pushes(push_service, 1)

    sent = await member.browser.post("/requests/swap", {"assignment_id": str(mine),
                                                         "to_membership_id": str(world.owner.membership_id)})

    assert sent.status_code == 303
    [req] = await request_rows()
    offered = f"Mel Member offers Night call on {day_label(day)} to Olga Owner."
    assert owner.pushes(push_service, 1) == [notice("Mel Member asks you to swap a shift", offered, req.id)]
    await mail.mailbox.wait_for(1)
    assert subjects_to(mail, world.owner.email) == ["Mel Member asks you to swap a shift · Alpha Clinic"]

    accepted = await owner.browser.post(f"/requests/{req.id}/answer", {"answer": "accept", "comment": "Happy to"})

    assert accepted.status_code == 303
    assert member.pushes(push_service, 2)[1:] == [
        notice("Olga Owner accepted your swap. The schedule has changed.", offered, req.id)]
    await mail.mailbox.wait_for(2)
    assert subjects_to(mail, world.member.email) == [
        "Olga Owner accepted your swap. The schedule has changed. · Alpha Clinic"]
    # Olga answered, so hears nothing more, not even "Rota changed" for the shift she took: the request was the
    # change. No manager had to approve, so none is told.
    assert [p["title"] for p in owner.pushes(push_service, 1)] == ["Mel Member asks you to swap a shift"]
    assert await push_rows(world.manager.user_id) == [] and await emails_of(world.manager.email) == []
    assert manager.pushes(push_service) == []

    # A retried job, or the sweeper re-sending the events, pushes nothing twice.
    rows = len(await push_rows())
    for kind in ("requests.created", "requests.approved"):
        with get_database().sync_session() as session:
            assert queue_notices(session, await event_id(kind)) == []
    await asyncio.sleep(0.5)
    assert len(await push_rows()) == rows
    assert len(member.pushes(push_service)) == 2 and len(owner.pushes(push_service)) == 1


async def test_it_asks_the_active_managers_when_a_swap_needs_approval(
    mail: MailSetup, world: World, push_service: PushService
) -> None:
    member, owner, manager, viewer = await people(mail, push_service, world)
    # The viewer becomes a manager who has left the practice: they hear nothing any more.
    await set_member(world.viewer.membership_id, role="manager", active=False)
    night = await make_shift(world.manager)
    day = next_weekday(5)
    mine = await assign(world.manager, night, day, world.member)
    member.pushes(push_service, 1)
    await member.browser.post("/requests/swap", {"assignment_id": str(mine),
                                                  "to_membership_id": str(world.manager.membership_id)})
    [req] = await request_rows()
    offered = f"Mel Member offers Night call on {day_label(day)} to Mona Manager."
    manager.pushes(push_service, 1)

    accepted = await manager.browser.post(f"/requests/{req.id}/answer", {"answer": "accept"})

    assert accepted.status_code == 303
    assert owner.pushes(push_service, 1) == [notice("A swap is waiting for your approval.", offered, req.id)]
    assert member.pushes(push_service, 2)[1:] == [
        notice("Mona Manager accepted your swap; a manager will approve it.", offered, req.id)]

    approved = await owner.browser.post(f"/requests/{req.id}/decide", {"decision": "approve"})

    assert approved.status_code == 303
    done = notice("The request is approved. The schedule has changed.", offered, req.id)
    assert member.pushes(push_service, 3)[1:] == [
        notice("Mona Manager accepted your swap; a manager will approve it.", offered, req.id), done]
    assert manager.pushes(push_service, 2)[1:] == [done]
    await mail.mailbox.wait_for(5)
    assert subjects_to(mail, world.owner.email) == ["A swap is waiting for your approval. · Alpha Clinic"]
    assert len(owner.pushes(push_service)) == 1
    assert await push_rows(world.viewer.user_id) == [] and await emails_of(world.viewer.email) == []
    assert viewer.pushes(push_service) == []
    await asyncio.sleep(0.5)
    assert len(member.pushes(push_service)) == 3 and len(manager.pushes(push_service)) == 2
