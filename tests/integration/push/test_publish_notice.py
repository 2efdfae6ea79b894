"""Publishing a generated month tells each member with shifts in it once, by email and by push, instead of once per
shift; hand edits of the published schedule afterwards are still pushed one by one."""

from __future__ import annotations

import asyncio
import html
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.db import get_database
from app.models import OutboxEvent
from tests.integration.feeds.rota_support import assign, local_today, make_shift, reassign
from tests.integration.generate.support import draft_cells, set_member, wait_for
from tests.integration.push.notice_support import emails_of, push_rows, sign_in_with_phone, subjects_to

if TYPE_CHECKING:
    from tests.conftest import World
    from tests.integration.accounts.conftest import MailSetup
    from tests.integration.push.push_service import PushService


def next_month() -> tuple[date, date]:
    first = (local_today().replace(day=1) + timedelta(days=40)).replace(day=1)
    return first, (first + timedelta(days=40)).replace(day=1) - timedelta(days=1)


async def all_events_handled() -> None:
    """Wait until the worker has handled every change event, so nothing is still on its way to a push."""
    for _ in range(400):
        async with get_database().read_session() as session:
            left = (await session.execute(select(func.count()).select_from(OutboxEvent)
                                          .where(OutboxEvent.processed_at.is_(None)))).scalar_one()
        if not left:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{left} change events still unhandled")


async def test_it_sends_each_member_one_email_and_one_push_when_a_month_is_published(
    mail: MailSetup, world: World, push_service: PushService
) -> None:
    first, last = next_month()
    owner, member, manager, viewer = [await sign_in_with_phone(mail, push_service, p)
                                      for p in (world.owner, world.member, world.manager, world.viewer)]
    clinic = await make_shift(world.manager, code="clinic", name="Clinic", start="08:00", minutes=480)
    night = await make_shift(world.manager, code="night-call", name="Night call", start="19:00", minutes=720,
                             days=(first.weekday(),))
    await set_member(world.manager.membership_id, in_schedule=False)  # takes no shifts: hears nothing
    # One shift published by hand before the month is generated: it counts among the member's shifts.
    await assign(world.manager, night, first, world.member)
    member.pushes(push_service, 1)
    made = await owner.browser.post("/rota/generate", {"start_date": first.isoformat(), "end_date": last.isoformat(),
                                                       "seconds": "3", "history_months": "0"})
    assert made.status_code == 303, made.text
    draft_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert (await wait_for(draft_id)).status == "done"
    cells = await draft_cells(draft_id)
    count = {m: sum(1 for c in cells if c.membership_id == m) for m in (world.owner.membership_id,
                                                                        world.member.membership_id)}
    assert len(cells) >= (last - first).days + 1 and min(count.values()) > 0
    await all_events_handled()
    before = len(await push_rows())

    published = await owner.browser.post(f"/rota/drafts/{draft_id}/publish")

    assert published.status_code == 303
    span = f"{first:%b} 1\u2009\u2013\u2009{last.day}, {first.year}"
    expected = {
        owner: f"The rota for {span} is published: you have {count[world.owner.membership_id]} shifts.",
        member: f"The rota for {span} is published: you have {count[world.member.membership_id] + 1} shifts.",
    }
    for person, body in expected.items():
        got = person.pushes(push_service, 2 if person is member else 1)
        assert got[-1] == {"title": "Rota published", "body": body, "url": f"/rota/mine?from={first.isoformat()}",
                           "tag": f"published-{draft_id}"}
    await all_events_handled()
    await asyncio.sleep(0.3)  # a push queued by a per-cell event would be on its way by now
    assert len(await push_rows()) == before + 2, "one push per member for the whole month, none per shift"
    assert len(owner.pushes(push_service)) == 1 and len(member.pushes(push_service)) == 2
    assert manager.pushes(push_service) == [] and viewer.pushes(push_service) == []

    await mail.mailbox.wait_for(2)
    subject = f"The rota for {span} is published · Alpha Clinic"
    assert subjects_to(mail, world.owner.email) == [subject] == subjects_to(mail, world.member.email)
    [email] = [m for m in mail.mailbox.messages if str(m["To"]) == world.member.email]
    text = mail.mailbox.text_of(email)
    assert expected[member] in text
    assert f"- {first:%a, %b} {first.day}: Night call at 19:00" in text
    assert text.count("\n- ") == count[world.member.membership_id] + 1
    assert f"http://testserver.local/rota/mine?from={first.isoformat()}" in text
    # The link opens the member's agenda at the published month, which may lie beyond the next 30 days.
    agenda = await member.browser.get(f"/rota/mine?from={first.isoformat()}")
    assert agenda.status_code == 200
    assert f"My shifts from {first:%a} {first.day} {first:%b}" in html.unescape(agenda.text)
    assert f'data-day="{first.isoformat()}"' in agenda.text
    assert await emails_of(world.manager.email) == [] and await emails_of(world.viewer.email) == []

    # A hand edit of the published month is still pushed to the people it moves.
    mine = next(c for c in cells if c.membership_id == world.member.membership_id and c.shift_type_id == clinic)
    await reassign(world.manager, mine.id, world.owner)
    assert member.pushes(push_service, 3)[-1]["body"].startswith("You are no longer on Clinic on ")
    assert owner.pushes(push_service, 2)[-1]["body"].startswith("You are on Clinic on ")

