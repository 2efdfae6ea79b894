"""Web push end to end: a member turns notifications on, a manager changes their published shifts, and the
in-process worker delivers an encrypted, VAPID-signed push to a local push service that decrypts it."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import get_database
from app.models import AuditEntry, PushNotification, PushSubscription
from tests.conftest import Browser, Persona, World
from tests.integration.feeds.rota_support import add_draft, assign, make_shift, next_weekday, reassign
from tests.integration.push.conftest import enable_push, post_json
from tests.integration.push.push_service import PushService
from tests.integration.tenancy import page_text

ALLOWED_KEYS = {"title", "body", "url", "tag"}


async def signed_in(make_browser: Any, who: Persona) -> Browser:
    browser = await make_browser()
    await browser.login(who.email)
    return browser


async def devices_of(user_id: int) -> list[PushSubscription]:
    async with get_database().read_session() as session:
        return list((await session.execute(select(PushSubscription).where(PushSubscription.user_id == user_id)))
                    .scalars())


async def eventually(check: Any, within: float = 10.0) -> None:
    async def poll() -> None:
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout=within)


def day_label(day: Any) -> str:
    return day.strftime("%a ") + str(day.day) + day.strftime(" %b")


async def test_it_pushes_an_encrypted_notification_when_a_manager_assigns_my_shift(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member = await signed_in(make_browser, world.member)
    page = await member.get("/push")
    assert page.status_code == 200 and "Enable notifications on this device" in page.text
    public_key = re.search(r'data-vapid-key="([A-Za-z0-9_\-]+)"', page.text).group(1)  # type: ignore[union-attr]
    phone = push_service.device("member-phone")
    await enable_push(member, phone)
    # A colleague's device, which must hear nothing of the member's shifts.
    owner = await signed_in(make_browser, world.owner)
    owner_phone = push_service.device("owner-phone")
    await enable_push(owner, owner_phone)

    night = await make_shift(world.manager)
    day = next_weekday(1)
    await assign(world.manager, night, day, world.member)

    [push] = push_service.wait_for(phone)
    assert push.problems == []
    assert push.vapid_key == public_key, "signed with the key the browser subscribed with"
    assert push.payload is not None and set(push.payload) <= ALLOWED_KEYS
    assert push.payload["title"] == "Rota changed"
    assert push.payload["body"] == f"You are on Night call on {day_label(day)} at 19:00."
    assert push.payload["url"] == "/rota/mine"
    assert int(push.headers["ttl"]) > 0
    # Nothing but the shift and the day: no names, addresses or phone numbers of anyone.
    text = json.dumps(push.payload)
    for private in (world.member.email, world.member.name, "Alpha Clinic", "@"):
        assert private not in text

    async def delivered() -> bool:
        async with get_database().read_session() as session:
            row = (await session.execute(select(PushNotification))).scalar_one()
            return row.status == "sent"

    await eventually(delivered)
    assert push_service.for_device(owner_phone) == []
    listed = await member.get("/push")
    assert "Chrome on Android" in listed.text and "last notified" in listed.text


async def test_it_tells_both_members_when_a_shift_is_handed_over(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member_phone, owner_phone = push_service.device("member"), push_service.device("owner")
    await enable_push(await signed_in(make_browser, world.member), member_phone)
    await enable_push(await signed_in(make_browser, world.owner), owner_phone)
    night = await make_shift(world.manager)
    day = next_weekday(3)
    assignment = await assign(world.manager, night, day, world.member)
    push_service.wait_for(member_phone, 1)
    await add_draft(world.manager, night, day + timedelta(days=1), world.member)  # drafts notify nobody

    await reassign(world.manager, assignment, world.owner)
    added, lost = push_service.wait_for(member_phone, 2)
    [gained] = push_service.wait_for(owner_phone, 1)
    assert added.payload["body"] == f"You are on Night call on {day_label(day)} at 19:00."  # type: ignore[index]
    assert lost.payload["body"] == f"You are no longer on Night call on {day_label(day)}."  # type: ignore[index]
    assert gained.payload["body"] == f"You are on Night call on {day_label(day)} at 19:00."  # type: ignore[index]
    await asyncio.sleep(0.5)
    assert len(push_service.for_device(member_phone)) == 2, "each change is pushed once"
    assert len(push_service.for_device(owner_phone)) == 1


async def test_it_deletes_a_subscription_the_push_service_says_is_gone(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member = await signed_in(make_browser, world.member)
    gone, expired, working = (push_service.device(n) for n in ("gone", "expired", "working"))
    for device in (gone, expired, working):
        await enable_push(member, device)
    push_service.answer(gone, 410)
    push_service.answer(expired, 404)
    night = await make_shift(world.manager)
    await assign(world.manager, night, next_weekday(2), world.member)

    push_service.wait_for(gone)
    push_service.wait_for(expired)
    push_service.wait_for(working)

    async def only_working_left() -> bool:
        return [d.endpoint for d in await devices_of(world.member.user_id)] == [working.endpoint]

    await eventually(only_working_left)
    async with get_database().read_session() as session:
        statuses = sorted((await session.execute(select(PushNotification.status))).scalars())
    assert statuses == ["gone", "gone", "sent"]


async def test_it_sends_a_test_notification_to_my_devices(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member = await signed_in(make_browser, world.member)
    response = await member.post("/push/test")
    assert response.status_code == 303
    assert "No device gets notifications yet" in page_text((await member.get(response.headers["location"])).text)
    phone = push_service.device("phone")
    await enable_push(member, phone)
    response = await member.post("/push/test")
    assert "Test notification sent" in page_text((await member.get(response.headers["location"])).text)
    [push] = push_service.wait_for(phone)
    assert push.payload == {"title": "Rounds", "body": "Notifications work on this device.", "url": "/push",
                            "tag": "rounds-test"}


async def test_it_refuses_subscriptions_that_are_not_a_push_service(
    client: Browser, make_browser: Any, world: World, push_service: PushService, monkeypatch: Any
) -> None:
    member = await signed_in(make_browser, world.member)
    good = push_service.device("good").subscription()
    cases = [
        {**good, "keys": {"p256dh": "bm90LWEta2V5", "auth": good["keys"]["auth"]}},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "c2hvcnQ"}},
        {**good, "endpoint": "ftp://push.example/x"},
        {"endpoint": good["endpoint"]},
        ["not", "an", "object"],
    ]
    for case in cases:
        response = await post_json(member, "/push/subscriptions", case)
        assert response.status_code == 422, case
        assert response.json()["error"]["code"] == "validation_failed"
    response = await member.client.post("/push/subscriptions", content=b"{not json",
                                         headers={"x-csrftoken": member.client.cookies.get("csrftoken"),
                                                  "content-type": "application/json"})
    assert response.status_code == 422
    # Real push services are all https; plain http is refused outside tests.
    monkeypatch.delenv("PUSH_ALLOW_HTTP_ENDPOINTS")
    assert (await post_json(member, "/push/subscriptions", good)).status_code == 422
    # And without the CSRF header a cross-site page cannot subscribe someone.
    response = await member.client.post("/push/subscriptions", json=good)
    assert response.status_code == 403
    assert await devices_of(world.member.user_id) == []


async def test_it_turns_a_device_off_and_removes_devices_from_the_list(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member = await signed_in(make_browser, world.member)
    this_one, lost = push_service.device("this"), push_service.device("lost")
    await enable_push(member, this_one)
    lost_id = await enable_push(member, lost)
    again = await enable_push(member, this_one)  # the page re-sends it on each visit: still one row, no audit
    assert len(await devices_of(world.member.user_id)) == 2

    response = await post_json(member, "/push/subscriptions", {"endpoint": this_one.endpoint}, method="DELETE")
    assert response.status_code == 204
    assert [d.id for d in await devices_of(world.member.user_id)] == [lost_id]
    assert again != lost_id
    response = await member.post(f"/push/subscriptions/{lost_id}/delete")
    assert response.status_code == 303
    assert await devices_of(world.member.user_id) == []
    async with get_database().read_session() as session:
        actions = list((await session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "push_subscription").order_by(AuditEntry.id))).scalars())
    assert actions == ["push.subscribed", "push.subscribed", "push.unsubscribed", "push.unsubscribed"]


async def test_it_never_lets_anyone_else_remove_my_device(
    client: Browser, make_browser: Any, world: World, push_service: PushService
) -> None:
    member = await signed_in(make_browser, world.member)
    phone = push_service.device("phone")
    device_id = await enable_push(member, phone)
    outsider = await signed_in(make_browser, world.outsider)
    assert (await outsider.post(f"/push/subscriptions/{device_id}/delete")).status_code == 404
    response = await post_json(outsider, "/push/subscriptions", {"endpoint": phone.endpoint}, method="DELETE")
    assert response.status_code == 404
    colleague = await signed_in(make_browser, world.owner)
    assert (await colleague.post(f"/push/subscriptions/{device_id}/delete")).status_code == 404
    assert [d.id for d in await devices_of(world.member.user_id)] == [device_id]
    assert "phone" not in (await outsider.get("/push")).text


async def test_it_saves_the_daily_summary_time_with_errors_beside_the_field(
    client: Browser, make_browser: Any, world: World
) -> None:
    member = await signed_in(make_browser, world.member)
    response = await member.post("/push/digest", {"digest_on": "1", "digest_time": "25:99"})
    assert response.status_code == 422
    assert 'id="f-digest_time-error"' in response.text and "Enter a time of day such as 07:00." in response.text
    response = await member.post("/push/digest", {"digest_on": "1", "digest_time": "06:45"})
    assert response.status_code == 303
    page = await member.get(response.headers["location"])
    assert "Daily summary saved." in page.text and 'value="06:45"' in page.text
    assert "Europe/Berlin" in page.text
    response = await member.post("/push/digest", {"digest_time": "06:45"})  # box unticked: off
    assert "Daily summary turned off." in (await member.get(response.headers["location"])).text
    async with get_database().read_session() as session:
        changes = (await session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "member.digest_time_changed"))).scalar_one()
    assert changes == 2
