"""The daily summary push: sent at each member's chosen local time in their organization's timezone, at most
once a day, by the job the worker's sweeper starts every minute (here run with a frozen "now")."""

from __future__ import annotations

import asyncio
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dramatiq
import pytest
from sqlalchemy import func, select

from app.db import get_database
from app.models import Membership, PushNotification
from app.services import push
from tests.conftest import Persona, World
from tests.integration.feeds.rota_support import actor_of, add_draft, assign, make_shift, next_weekday
from tests.integration.push.push_service import Device, PushService, Received

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    """The Dramatiq worker on the in-memory broker, as ``rounds serve`` runs it (no web app needed here)."""
    from workers.broker import broker

    w = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    w.start()
    yield w
    w.stop(timeout=5000)


def run_digest_job(at: datetime) -> int:
    """The minutely job with a frozen "now", then (through the worker) every push it queued, delivered."""
    from workers import tasks

    queued = tasks.queue_digests(at.isoformat())
    deadline = time_module.monotonic() + 10
    with get_database().sync_session() as session:
        while session.execute(select(func.count()).select_from(PushNotification)
                              .where(PushNotification.status.in_(["queued", "sending"]))).scalar_one():
            session.rollback()
            assert time_module.monotonic() < deadline, "the digests were not delivered within 10 s"
            time_module.sleep(0.05)
    return queued


def digests(service: PushService, device: Device) -> list[Received]:
    """The summaries a device got (the "Rota changed" pushes of the test's set-up may reach it too)."""
    return [r for r in service.for_device(device) if r.payload and r.payload.get("tag") == "rota-digest"]


def local(day: date, hour: int, minute: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


async def opt_in(who: Persona, device: Device, digest_time: str | None) -> None:
    actor = actor_of(who)
    async with get_database().write_session() as session:
        await push.subscribe(session, actor, push.parse_subscription(device.subscription()))
    async with get_database().write_session() as session:
        await push.set_digest_time(session, actor, digest_time)


async def last_digest_on(who: Persona) -> date | None:
    async with get_database().read_session() as session:
        return (await session.execute(select(Membership.last_digest_on)
                                      .where(Membership.id == who.membership_id))).scalar_one()


async def test_it_sends_the_daily_summary_at_the_chosen_local_time_once_a_day(
    world: World, push_service: PushService, worker: dramatiq.Worker
) -> None:
    clinic = await make_shift(world.manager, code="clinic-am", name="Clinic AM", start="08:00", minutes=240)
    hospital = await make_shift(world.manager, code="hospital-pm", name="Hospital PM", start="13:00", minutes=240)
    day = next_weekday(2)
    await assign(world.manager, hospital, day, world.member)
    await assign(world.manager, clinic, day, world.member)
    await add_draft(world.manager, clinic, day + timedelta(days=1), world.member)  # drafts are not shifts yet
    phone, owner_phone = push_service.device("member"), push_service.device("owner")
    await opt_in(world.member, phone, "07:00")
    await opt_in(world.owner, owner_phone, None)  # a device, but no summary wanted

    assert await asyncio.to_thread(run_digest_job, local(day, 6, 59)) == 0
    assert await asyncio.to_thread(run_digest_job, local(day, 7, 0)) == 1
    [digest] = digests(push_service, phone)
    assert digest.problems == []
    assert digest.payload == {"title": "Your shifts", "body": "Today: Clinic AM, Hospital PM. Tomorrow: off.",
                              "url": "/rota/mine", "tag": "rota-digest"}
    assert await last_digest_on(world.member) == day

    # Later the same day, and again by a second worker: nothing more.
    assert await asyncio.to_thread(run_digest_job, local(day, 7, 1)) == 0
    assert await asyncio.to_thread(run_digest_job, local(day, 7, 45)) == 0
    assert len(digests(push_service, phone)) == 1

    # The next morning, a new summary.
    assert await asyncio.to_thread(run_digest_job, local(day + timedelta(days=1), 7, 2)) == 1
    assert digests(push_service, phone)[-1].payload["body"] == "Today: off. Tomorrow: off."  # type: ignore[index]
    assert digests(push_service, owner_phone) == []


async def test_it_uses_each_organizations_own_timezone(world: World, push_service: PushService,
                                                       worker: dramatiq.Worker) -> None:
    """07:00 in Berlin is 01:00 in New York: the Beta Surgery owner's 07:00 summary comes six hours later."""
    berlin_phone, new_york_phone = push_service.device("berlin"), push_service.device("new-york")
    await opt_in(world.member, berlin_phone, "07:00")
    await opt_in(world.outsider, new_york_phone, "07:00")
    day = next_weekday(3)
    assert await asyncio.to_thread(run_digest_job, local(day, 7, 0, BERLIN)) == 1
    assert len(digests(push_service, berlin_phone)) == 1 and digests(push_service, new_york_phone) == []
    assert await asyncio.to_thread(run_digest_job, local(day, 7, 0, NEW_YORK)) == 1
    assert len(digests(push_service, new_york_phone)) == 1
    assert len(digests(push_service, berlin_phone)) == 1


async def test_it_skips_a_summary_missed_by_more_than_an_hour(world: World, push_service: PushService,
                                                              worker: dramatiq.Worker) -> None:
    phone = push_service.device("phone")
    await opt_in(world.member, phone, "07:00")
    day = next_weekday(4)
    assert await asyncio.to_thread(run_digest_job, local(day, 8, 0)) == 0, "the worker was down until 08:00"
    assert await last_digest_on(world.member) is None
    assert digests(push_service, phone) == []
    # Within the hour it is still worth sending.
    assert await asyncio.to_thread(run_digest_job, local(day + timedelta(days=1), 7, 59)) == 1


def test_it_starts_the_digest_job_once_a_minute(world: World) -> None:
    from dramatiq.brokers.stub import StubBroker

    from workers import tasks
    from workers.broker import broker

    if not isinstance(broker, StubBroker):
        pytest.skip("counts the messages of the in-memory broker")
    broker.flush_all()
    tasks._last_minute.clear()
    tasks.run_every_minute()
    tasks.run_every_minute()  # the sweeper ticks every 15 s
    queue = broker.queues["default"]
    assert queue.qsize() == 1
    broker.flush_all()
