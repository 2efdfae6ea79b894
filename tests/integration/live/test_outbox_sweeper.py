"""The outbox sweeper: change events and emails that were committed but never dispatched (a crash between
commit and dispatch, a broker outage) are sent again and end up handled."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from app.db import get_database
from app.models import EmailMessage, OutboxEvent, utcnow
from tests.conftest import Browser, World

pytestmark = pytest.mark.usefixtures("empty_queues")


@pytest.fixture
def empty_queues() -> None:
    """No job left in the broker by an earlier test (ids restart with every test) may touch this one's rows."""
    from workers.broker import broker

    broker.flush_all()


async def _insert_stranded(
    organization_id: int | None, *, age: timedelta = timedelta(minutes=5), attempts: int = 0
) -> tuple[int, int]:
    """An unprocessed change event and a queued email, both ``age`` old, as a crash would leave them."""
    created = utcnow() - age
    async with get_database().write_session() as session:
        event = OutboxEvent(
            organization_id=organization_id,
            kind="members.invited",
            entity_type="invitation",
            entity_id="42",
            payload={"user_id": 7, "email": "must-not-leak@example.com"},
            created_at=created,
            processed_at=None,
            attempts=attempts,
        )
        email = EmailMessage(
            organization_id=organization_id,
            to_address="late@example.com",
            subject="Late",
            body_text="Left behind.",
            status="queued",
            created_at=created,
            attempts=attempts,
        )
        session.add_all([event, email])
        await session.commit()
        return event.id, email.id


async def _row(model: Any, row_id: int) -> Any:
    async with get_database().read_session() as session:
        return await session.get(model, row_id)


async def test_the_sweeper_resends_stranded_events_and_emails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import tasks

    event_id, email_id = await _insert_stranded(world.alpha_id)
    published: list[tuple[int | None, dict[str, Any]]] = []
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks.live, "publish", lambda org, message: published.append((org, message)))
    monkeypatch.setattr(tasks.process_event, "send", lambda i: sent.append(("process_event", i)))
    monkeypatch.setattr(tasks.send_email, "send", lambda i: sent.append(("send_email", i)))

    assert tasks.sweep() == (1, 1)
    assert [org for org, _ in published] == [world.alpha_id]
    message = published[0][1]
    assert message["id"] == event_id and message["kind"] == "members.invited" and message["topic"] == "members"
    assert "must-not-leak" not in json.dumps(message)
    assert sorted(sent) == [("process_event", event_id), ("send_email", email_id)]
    assert (await _row(OutboxEvent, event_id)).attempts == 1

    # What the worker then does with them.
    tasks.process_event(event_id)
    tasks.send_email(email_id)
    assert (await _row(OutboxEvent, event_id)).processed_at is not None
    assert (await _row(EmailMessage, email_id)).status == "outbox"  # no SMTP_URL
    published.clear()
    sent.clear()
    assert tasks.sweep() == (0, 0)
    assert published == [] and sent == []


async def test_the_sweeper_leaves_recent_and_exhausted_rows_alone(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import tasks

    monkeypatch.setattr(tasks.live, "publish", lambda *a: None)
    monkeypatch.setattr(tasks.process_event, "send", lambda i: None)
    monkeypatch.setattr(tasks.send_email, "send", lambda i: None)
    # Just committed: its own after-commit dispatch is still under way.
    await _insert_stranded(world.alpha_id, age=timedelta(seconds=1))
    # Tried too often already: left for a person to look at.
    await _insert_stranded(world.alpha_id, attempts=tasks.MAX_EMAIL_ATTEMPTS + tasks.MAX_EVENT_ATTEMPTS)
    assert tasks.sweep() == (0, 0)


async def test_a_sweep_on_the_sweepers_thread_gets_the_rows_handled_by_the_running_worker(
    client: Browser, world: World
) -> None:
    """With the app running (its in-process worker consuming the broker: in memory, or Redis in CI), a sweep
    run on another thread, as the periodic sweeper runs, hands the rows to the worker and they end handled."""
    from workers import tasks

    event_id, email_id = await _insert_stranded(world.alpha_id)
    assert await asyncio.to_thread(tasks.sweep) == (1, 1)

    async def handled() -> None:
        while True:
            event, email = await _row(OutboxEvent, event_id), await _row(EmailMessage, email_id)
            if event.processed_at is not None and email.status == "outbox":
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(handled(), timeout=10.0)


async def test_a_sweep_on_another_thread_reaches_the_apps_live_channel(
    app: Any,
    client: Browser,
    world: World,
) -> None:
    """The sweeper runs on a thread of its own, the app's channels on the app's event loop (here the test
    client's portal thread): a re-published event must reach the loop's subscribers at once, not whenever the
    loop next happens to wake up."""
    import threading

    from litestar.channels import ChannelsPlugin

    from workers import tasks

    channels = app.plugins.get(ChannelsPlugin)
    portal = client.client.blocking_portal
    subscribed = threading.Event()

    async def first_message() -> bytes:  # runs on the app's loop
        async with channels.start_subscription([f"org:{world.alpha_id}"]) as subscriber:
            subscribed.set()
            async for raw in subscriber.iter_events():
                return raw
        raise AssertionError("the subscription ended")

    received = portal.start_task_soon(first_message)
    try:
        assert await asyncio.to_thread(subscribed.wait, 5)
        event_id, _email_id = await _insert_stranded(world.alpha_id)
        assert await asyncio.to_thread(tasks.sweep) == (1, 1)
        raw = await asyncio.to_thread(received.result, 2.0)
        assert json.loads(raw)["id"] == event_id
    finally:
        received.cancel()
