"""SSE in the embedded shape: one ``rounds serve`` process on a SQLite file, in-memory channels, in-process worker.

Runs on every ``make test`` (no PostgreSQL or Redis needed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.live._support import (
    LiveBrowser,
    RoundsProcess,
    SSEReader,
    add_member,
    insert_stranded_event,
    process_env,
    query_one,
    run_rounds,
    start_server,
    wait_until,
)

OWNER, MEMBER = "owner@embedded.example", "member@embedded.example"


@dataclass
class Embedded:
    server: RoundsProcess
    database_url: str
    slug: str
    member_membership_id: int


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Embedded]:
    from tests.conftest import PASSWORD

    var_dir = tmp_path / "var"
    database_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    # No REDIS_URL: memory channels and the in-process worker, whose sweeper runs every second here.
    env = process_env(database_url=database_url, var_dir=var_dir, OUTBOX_SWEEP_SECONDS="1")
    run_rounds(env, "migrate")
    slug = (
        run_rounds(
            env,
            "create-org",
            "--name",
            "Embedded Practice",
            "--owner-email",
            OWNER,
            "--owner-password",
            PASSWORD,
            "--owner-name",
            "Olive Owner",
        )
        .strip()
        .splitlines()[-1]
    )
    membership_id = add_member(database_url, slug, MEMBER, "Max Member")
    server = start_server("embedded-serve", env, tmp_path)
    try:
        yield Embedded(server, database_url, slug, membership_id)
    except BaseException:
        print(server.log_tail())
        raise
    finally:
        server.stop()


async def test_a_change_reaches_a_members_stream_within_a_second(embedded: Embedded) -> None:
    async with LiveBrowser(embedded.server.url) as member, LiveBrowser(embedded.server.url) as owner:
        await member.login(MEMBER)
        await owner.login(OWNER)
        async with SSEReader(member.client) as stream:
            started = time.monotonic()
            response = await owner.post("/members/invite", {"email": "new.nurse@embedded.example", "role": "member"})
            assert response.status_code == 303, response.text[:500]
            event = await stream.wait_for("members", within=1.0)
            assert time.monotonic() - started < 1.0
            assert '"kind": "members.invited"' in event["data"]
            # The generic "change" event follows for pages that refresh on any change.
            await stream.wait_for("change", within=1.0)
            # No personal data on the wire.
            assert "new.nurse" not in "".join(e.get("data", "") for e in stream.seen)


async def test_a_visitor_who_is_not_signed_in_gets_no_stream(embedded: Embedded) -> None:
    async with LiveBrowser(embedded.server.url) as visitor:
        response = await visitor.client.get("/events", headers={"accept": "text/event-stream"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/events")
        assert "text/event-stream" not in response.headers.get("content-type", "")
        # A forged or stale session cookie is no better.
        visitor.client.cookies.set("rounds_session", "not-a-real-session")
        response = await visitor.client.get("/events", headers={"accept": "text/event-stream"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


async def test_a_deactivated_members_stream_ends(embedded: Embedded) -> None:
    async with LiveBrowser(embedded.server.url) as member, LiveBrowser(embedded.server.url) as owner:
        await member.login(MEMBER)
        await owner.login(OWNER)
        async with SSEReader(member.client) as stream:
            response = await owner.post(f"/members/{embedded.member_membership_id}/deactivate")
            assert response.status_code == 303, response.text[:500]
            event = await stream.wait_for("session", within=2.0)
            assert event["data"] == "changed"
            await stream.wait_closed(within=2.0)
        # Reconnecting does not work either: the deactivation ended the member's sessions.
        response = await member.client.get("/events", headers={"accept": "text/event-stream"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


async def test_the_in_process_sweeper_resends_a_stranded_event_to_live_pages(embedded: Embedded) -> None:
    """The periodic sweeper runs on a thread of the web process: what it re-publishes must still reach the
    streams served by the process's event loop, and the in-process worker then marks the event handled."""
    from sqlalchemy import select

    from app.models import OutboxEvent

    async with LiveBrowser(embedded.server.url) as member:
        await member.login(MEMBER)
        async with SSEReader(member.client) as stream:
            event_id = insert_stranded_event(embedded.database_url, embedded.slug)
            event = await stream.wait_for("members", within=4.0)  # sweeps every second
            assert event.get("id") == str(event_id), event

    def processed() -> object:
        row = query_one(embedded.database_url, select(OutboxEvent.processed_at).where(OutboxEvent.id == event_id))
        return row and row[0]

    assert wait_until(processed, timeout=5), embedded.server.log_tail()
