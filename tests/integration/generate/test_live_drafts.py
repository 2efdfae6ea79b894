"""A dead generator run in a real ``rounds serve`` (SQLite file, in-process worker, memory channels): the
sweeper thread fails the draft within seconds and the manager's stream hears of it; members hear nothing of
drafts at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.integration.live._support import (
    LiveBrowser,
    RoundsProcess,
    SSEReader,
    add_member,
    process_env,
    query_one,
    run_rounds,
    start_server,
    sync_database_url,
    wait_until,
)

OWNER, MEMBER = "owner@drafts.example", "member@drafts.example"


@dataclass
class Server:
    process: RoundsProcess
    database_url: str
    slug: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    from tests.conftest import PASSWORD

    database_url = f"sqlite:///{tmp_path / 'drafts.db'}"
    env = process_env(database_url=database_url, var_dir=tmp_path / "var", OUTBOX_SWEEP_SECONDS="1")
    run_rounds(env, "migrate")
    slug = run_rounds(env, "create-org", "--name", "Drafts Practice", "--owner-email", OWNER, "--owner-password",
                      PASSWORD, "--owner-name", "Olive Owner").strip().splitlines()[-1]
    add_member(database_url, slug, MEMBER, "Max Member")
    process = start_server("drafts-serve", env, tmp_path)
    try:
        yield Server(process, database_url, slug)
    except BaseException:
        print(process.log_tail())
        raise
    finally:
        process.stop()


def _dead_draft(database_url: str, slug: str) -> int:
    """A running draft whose heartbeat stopped two minutes ago, as a worker that died leaves it."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.models import Organization, ScheduleDraft, utcnow

    engine = create_engine(sync_database_url(database_url))
    try:
        with Session(engine) as session:
            org_id = session.execute(select(Organization.id).where(Organization.slug == slug)).scalar_one()
            started = utcnow() - timedelta(minutes=3)
            draft = ScheduleDraft(organization_id=org_id, start_date=date(2026, 12, 1), end_date=date(2026, 12, 7),
                                  status="running", created_at=started,
                                  explanation={"params": {"seconds": 5}, "run": "gone", "started": started.isoformat(),
                                               "heartbeat": (utcnow() - timedelta(minutes=2)).isoformat()})
            session.add(draft)
            session.commit()
            return draft.id
    finally:
        engine.dispose()


async def test_the_sweeper_fails_a_dead_run_and_only_managers_hear_of_it(server: Server) -> None:
    from sqlalchemy import select

    from app.models import ScheduleDraft

    async with LiveBrowser(server.process.url) as owner, LiveBrowser(server.process.url) as member:
        await owner.login(OWNER)
        await member.login(MEMBER)
        async with SSEReader(owner.client) as manager_stream, SSEReader(member.client) as member_stream:
            draft_id = _dead_draft(server.database_url, server.slug)
            while True:  # the sweeper runs every second; its "failed" follows the outbox event
                event = await manager_stream.wait_for("generate", within=10.0)
                data = json.loads(event["data"])
                if data.get("draft_id") == draft_id and data.get("status") == "failed":
                    break
            # Anything the member's stream carried before a later change would be in front of that change.
            invited = await owner.post("/members/invite", {"email": "new.nurse@drafts.example", "role": "member"})
            assert invited.status_code == 303, invited.text[:300]
            await member_stream.wait_for("members", within=5.0)
            assert not [e for e in member_stream.seen if e.get("event") == "generate"
                        or "generate" in e.get("data", "")]

    def failed() -> object:
        row = query_one(server.database_url, select(ScheduleDraft.status).where(ScheduleDraft.id == draft_id))
        return row and row[0] == "failed"

    assert wait_until(failed, timeout=5), server.process.log_tail()
