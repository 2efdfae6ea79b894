"""A generator run that dies: the sweeper fails its draft with a message, audited and announced, and the
manager generates again; a run taken for dead that still finishes writes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.db import get_database
from app.models import AuditEntry, OutboxEvent, ScheduleDraft, utcnow
from tests.conftest import Browser, World
from tests.integration.generate.support import FIRST, LAST, draft_cells, make_shift, wait_for
from tests.integration.rota.support import page_text

STOPPED = "The generator stopped unexpectedly; generate again."


async def _draft(world: World, *, status: str = "running", started_ago: float = 300, beat_ago: float | None = 120,
                 run: str = "dead-run") -> int:
    """A draft as a run leaves it in the database (its heartbeat ``beat_ago`` seconds old)."""
    now = utcnow()
    info: dict[str, Any] = {"params": {"seconds": 2, "history_months": 0}}
    if status == "running":
        info.update(run=run, started=(now - timedelta(seconds=started_ago)).isoformat(),
                    progress={"elapsed": 1.0, "seconds": 2})
        if beat_ago is not None:
            info["heartbeat"] = (now - timedelta(seconds=beat_ago)).isoformat()
    async with get_database().write_session() as session:
        draft = ScheduleDraft(organization_id=world.alpha_id, start_date=FIRST, end_date=LAST, status=status,
                              explanation=info, created_by_id=world.manager.user_id,
                              created_at=now - timedelta(seconds=started_ago))
        session.add(draft)
        await session.commit()
        return draft.id


async def _get(draft_id: int) -> ScheduleDraft:
    async with get_database().read_session() as session:
        draft = await session.get(ScheduleDraft, draft_id)
        assert draft is not None
        return draft


@pytest.fixture(autouse=True)
def _quiet_sweeper(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own sweeper thread leaves drafts alone here: each test runs the sweeper step itself."""
    from types import SimpleNamespace

    monkeypatch.setattr("workers.runner.generate", SimpleNamespace(sweep_stale_drafts=lambda: []))


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What goes to the organizations' live channels (the SSE streams)."""
    from app import live

    sent: list[dict[str, Any]] = []
    real = live.publish

    def publish(organization_id: int | None, message: dict[str, Any]) -> None:
        sent.append({"organization_id": organization_id, **json.loads(json.dumps(message, default=str))})
        real(organization_id, message)

    monkeypatch.setattr(live, "publish", publish)
    return sent


async def test_the_sweeper_fails_a_run_whose_heartbeat_stopped(client: Browser, world: World,
                                                               announced: list[dict[str, Any]]) -> None:
    from workers.generate import sweep_stale_drafts

    await make_shift(world.owner)
    dead = await _draft(world)
    alive = await _draft(world, started_ago=5, beat_ago=1, run="alive-run")
    waiting = await _draft(world, status="queued", started_ago=5)

    failed = await asyncio.to_thread(sweep_stale_drafts)  # the worker's sweeper step, on its own thread

    assert failed == [dead]
    draft = await _get(dead)
    assert draft.status == "failed"
    assert [p["message"] for p in draft.explanation["problems"]] == [STOPPED]
    assert (await _get(alive)).status == "running" and (await _get(waiting)).status == "queued"
    async with get_database().read_session() as session:
        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "schedule.generation_failed"))).scalars().all()
        events = (await session.execute(select(OutboxEvent).where(OutboxEvent.kind == "generate.failed"))
                  ).scalars().all()
    assert [(a.entity_id, a.actor_label, a.after["reason"]) for a in audit] == [(str(dead), "generator", "stopped")]
    assert [e.entity_id for e in events] == [str(dead)]
    assert {"organization_id": world.alpha_id, "topic": "generate", "draft_id": dead, "status": "failed"} in announced
    assert await asyncio.to_thread(sweep_stale_drafts) == []  # once

    # The manager's open page looks again on that announcement and reloads; the page says what to do.
    await client.login(world.manager.email)
    progress = await client.get(f"/rota/drafts/{dead}/progress?seen=running", headers={"HX-Request": "true"})
    assert progress.headers.get("hx-refresh") == "true"
    text = page_text((await client.get(f"/rota/drafts/{dead}")).text)
    assert "The generator stopped" in text and STOPPED in text and "Generate again" in text
    assert "Publish" not in text.replace("Published", "")
    drafts_page = page_text((await client.get("/rota/generate")).text)
    assert "Stopped" in drafts_page

    regenerated = await client.post(f"/rota/drafts/{dead}/regenerate")
    assert regenerated.status_code == 303
    assert (await wait_for(dead)).status == "done"
    assert len(await draft_cells(dead)) == 7


async def test_a_manager_can_generate_again_before_the_sweeper_comes_by(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    dead = await _draft(world, started_ago=60, beat_ago=45)
    alive = await _draft(world, started_ago=3, beat_ago=1, run="alive-run")
    await client.login(world.manager.email)
    refused = await client.post(f"/rota/drafts/{alive}/regenerate")  # still working: left alone
    assert refused.status_code == 303 and (await _get(alive)).status == "running"
    assert (await client.post(f"/rota/drafts/{dead}/regenerate")).status_code == 303
    assert (await wait_for(dead)).status == "done"
    async with get_database().read_session() as session:
        actions = [(a.action, a.entity_id) for a in (await session.execute(
            select(AuditEntry).order_by(AuditEntry.id))).scalars() if a.entity_type == "draft"]
    assert ("schedule.generation_failed", str(dead)) in actions
    assert actions.index(("schedule.generation_failed", str(dead))) < actions.index(
        ("schedule.regenerate_requested", str(dead)))


async def test_a_run_taken_for_dead_that_finishes_writes_nothing(world: World) -> None:
    from app.services.rota import draft_runs

    draft_id = await _draft(world)
    async with get_database().write_session() as session:
        assert await draft_runs.fail_draft(session, draft_id, reason="stopped", only_if_stale=True)
    async with get_database().write_session() as session:
        status = await draft_runs.store_result(session, draft_id, built=None, solution=None,
                                               problems=[{"kind": "x", "message": "late", "hint": ""}], params={},
                                               elapsed=1.0, run="dead-run")
    assert status == "superseded"
    draft = await _get(draft_id)
    assert draft.status == "failed" and draft.explanation["problems"][0]["message"] == STOPPED


async def test_a_run_that_raises_fails_its_draft_with_a_message(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services.rota import draft_runs
    from workers.generate import generate_schedule

    draft_id = await _draft(world, status="queued", started_ago=1)

    async def broken(draft_id: int) -> str:
        raise RuntimeError("the solver's library is missing")

    monkeypatch.setattr(draft_runs, "run_draft_in_worker", broken)
    await asyncio.to_thread(generate_schedule.fn, draft_id)  # the actor's body, as the worker runs it
    draft = await _get(draft_id)
    assert draft.status == "failed"
    assert draft.explanation["problems"][0]["message"] == "The generator stopped with an error; generate again."
