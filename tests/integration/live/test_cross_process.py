"""Several processes, one PostgreSQL database, one Redis: what one web process changes reaches pages
served by another (Litestar channels on Redis), and a separate ``rounds worker`` does the background work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import EmailMessage, OutboxEvent
from tests.integration.live._support import (
    LiveBrowser,
    RoundsProcess,
    SSEReader,
    add_member,
    process_env,
    query_one,
    run_rounds,
    start_process,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.redis

OWNER, MEMBER = "owner@cross.example", "member@cross.example"


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    env: dict[str, str]
    log_dir: Path
    processes: list[RoundsProcess]

    def serve(self, name: str) -> RoundsProcess:
        server = start_server(name, self.env, self.log_dir)
        self.processes.append(server)
        return server

    def worker(self, name: str = "worker") -> RoundsProcess:
        worker = start_process(name, ["worker", "--threads", "2"], self.env, self.log_dir)
        self.processes.append(worker)
        return worker


@pytest.fixture
def cluster(shared_services: tuple[str, str], tmp_path: Path) -> Iterator[Cluster]:
    """An organization (owner via ``rounds create-org``, a member inserted directly) in the shared database,
    and a way to start web and worker processes on it. The web processes run no worker of their own."""
    from tests.conftest import PASSWORD

    database_url, redis_url = shared_services
    env = process_env(
        database_url=database_url,
        var_dir=tmp_path / "var",
        redis_url=redis_url,
        inline_worker=False,
        OUTBOX_SWEEP_SECONDS="3600",
    )
    slug = (
        run_rounds(
            env,
            "create-org",
            "--name",
            "Cross Clinic",
            "--owner-email",
            OWNER,
            "--owner-password",
            PASSWORD,
            "--owner-name",
            "Olga Owner",
        )
        .strip()
        .splitlines()[-1]
    )
    add_member(database_url, slug, MEMBER, "Mel Member")
    state = Cluster(database_url, redis_url, env, tmp_path, [])
    try:
        yield state
    except BaseException:
        for process in state.processes:
            print(process.log_tail())
        raise
    finally:
        for process in state.processes:
            process.stop()


async def test_a_change_on_one_web_process_reaches_a_stream_on_another(cluster: Cluster) -> None:
    server_a, server_b = cluster.serve("serve-a"), cluster.serve("serve-b")
    async with LiveBrowser(server_a.url) as owner, LiveBrowser(server_b.url) as member:
        await member.login(MEMBER)
        await owner.login(OWNER)
        async with SSEReader(member.client) as stream:
            started = time.monotonic()
            response = await owner.post("/members/invite", {"email": "locum@cross.example", "role": "member"})
            assert response.status_code == 303, response.text[:500]
            event = await stream.wait_for("members", within=2.0)
            assert time.monotonic() - started < 2.0
            assert '"kind": "members.invited"' in event["data"]


async def test_a_separate_worker_process_handles_what_a_web_process_enqueued(cluster: Cluster) -> None:
    server = cluster.serve("serve")
    async with LiveBrowser(server.url) as owner:
        await owner.login(OWNER)
        response = await owner.post("/members/invite", {"email": "locum@cross.example", "role": "manager"})
        assert response.status_code == 303, response.text[:500]

    def invited_event() -> tuple[int, object] | None:
        return query_one(
            cluster.database_url,
            select(OutboxEvent.id, OutboxEvent.processed_at).where(OutboxEvent.kind == "members.invited"),
        )

    def invitation_email() -> tuple[int, str] | None:
        return query_one(
            cluster.database_url,
            select(EmailMessage.id, EmailMessage.status).where(EmailMessage.to_address == "locum@cross.example"),
        )

    # The web process runs no worker: the jobs wait in Redis.
    await asyncio.sleep(1.0)
    event, email = invited_event(), invitation_email()
    assert event is not None and event[1] is None, event
    assert email is not None and email[1] == "queued", email

    worker = cluster.worker()
    assert wait_until(lambda: (row := invited_event()) is not None and row[1] is not None, timeout=15), (
        f"the worker did not process the change event\n{worker.log_tail()}"
    )
    # No SMTP_URL: the worker leaves the invitation in the outbox page.
    assert wait_until(lambda: (row := invitation_email()) is not None and row[1] == "outbox", timeout=15), (
        f"the worker did not handle the invitation email\n{worker.log_tail()}"
    )
    assert worker.proc.poll() is None, worker.log_tail()


async def test_a_separate_worker_process_sends_a_queued_email(cluster: Cluster) -> None:
    from app.db import get_database
    from workers.tasks import send_email

    worker = cluster.worker()
    async with get_database().write_session() as session:
        message = EmailMessage(to_address="someone@cross.example", subject="Hello", body_text="Hi there.")
        session.add(message)
        await session.commit()
        message_id = message.id
    send_email.send(message_id)

    def status() -> str | None:
        row = query_one(cluster.database_url, select(EmailMessage.status).where(EmailMessage.id == message_id))
        return row[0] if row else None

    assert wait_until(lambda: status() == "outbox", timeout=15), f"email still {status()!r}\n{worker.log_tail()}"


async def test_the_worker_stops_cleanly_on_sigterm(cluster: Cluster) -> None:
    worker = cluster.worker()
    await asyncio.sleep(2.0)
    assert worker.proc.poll() is None, worker.log_tail()
    worker.stop(grace=15)
    assert worker.proc.returncode == 0, worker.log_tail()
