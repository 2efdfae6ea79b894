"""Running a draft in the worker: solve, record progress and a heartbeat, store the result; sweep dead runs.

:func:`run_draft` (the Dramatiq job's body, :mod:`workers.generate`) takes a queued draft to running, solves
its range (:mod:`app.services.rota.generate`) and ends it as done or infeasible (:func:`store_result`).

A running draft has a heartbeat: the run writes its progress and the time every second. The worker's sweeper
(:func:`fail_stale_drafts`) takes a draft whose heartbeat stopped for :data:`HEARTBEAT_GRACE`, or that runs
well past its time limit, for dead: failed, audited and announced, so the manager's page shows it at once and
the manager can generate again. A run that was taken for dead and still finishes writes nothing.

The lifecycle the manager drives (request, regenerate, lock, hand edits, publish) is
:mod:`app.services.rota.drafts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time as clock
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from app.config import get_settings
from app.i18n import _
from app.models import Assignment, ScheduleDraft, utcnow
from app.services import audit
from app.services.events import after_commit, commit, emit
from app.services.rota.generate import DEFAULT_SECONDS, Built, build_problem, could_pair, solve_options
from app.services.rota.generate_inputs import DEFAULT_HISTORY_MONTHS, load_inputs
from app.services.rota.objective import decode
from app.services.rota.solver import Progress, solve

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.rota.solver import Solution

__all__ = ("HEARTBEAT_GRACE", "busy", "fail_draft", "fail_draft_in_worker", "fail_stale_drafts", "mark_failed",
           "run_draft", "run_draft_in_worker", "snapshot", "stale_reason", "store_result", "sweep_stale_drafts")

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
"""How often a run records its progress and heartbeat."""
HEARTBEAT_GRACE = timedelta(seconds=30)
"""A running draft whose heartbeat is older than this has stopped."""
RUN_MARGIN = timedelta(seconds=60)
"""What a run may take beyond its time limit: explaining an impossible range, writing the result."""
QUEUE_GRACE = timedelta(minutes=10)
"""A draft still waiting to start after this long lost its job (a restart of the in-process worker)."""

def snapshot(d: ScheduleDraft) -> dict[str, Any]:
    """What the audit log records of a draft."""
    return {"start": d.start_date.isoformat(), "end": d.end_date.isoformat(), "status": d.status}


def _instant(raw: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def stale_reason(draft: ScheduleDraft, now: datetime) -> str | None:
    """Why a queued or running draft is taken for dead, or None: "stopped" (no heartbeat for
    :data:`HEARTBEAT_GRACE`), "overdue" (past its time limit, :data:`RUN_MARGIN` and that grace) or
    "lost" (waiting to start for :data:`QUEUE_GRACE`)."""
    info = draft.explanation or {}
    if draft.status == "running":
        seconds = float((info.get("params") or {}).get("seconds") or DEFAULT_SECONDS)
        started = _instant(info.get("started")) or draft.created_at
        beat = _instant(info.get("heartbeat")) or started
        if now - beat > HEARTBEAT_GRACE:
            return "stopped"
        if now - started > timedelta(seconds=seconds) + RUN_MARGIN + HEARTBEAT_GRACE:
            return "overdue"
    elif draft.status == "queued" and draft.created_at is not None and now - draft.created_at > QUEUE_GRACE:
        return "lost"
    return None


def busy(draft: ScheduleDraft) -> bool:
    """Whether a run is still working on the draft (queued or running, and not taken for dead)."""
    return draft.status in ("queued", "running") and stale_reason(draft, utcnow()) is None


async def _locked_draft(session: AsyncSession, draft_id: int) -> ScheduleDraft | None:
    """The draft, its row locked until the transaction ends (PostgreSQL; SQLite writes one at a time anyway)."""
    return (await session.execute(select(ScheduleDraft).where(ScheduleDraft.id == draft_id)
                                  .with_for_update())).scalar_one_or_none()


async def store_result(session: AsyncSession, draft_id: int, *, built: Built | None, solution: Solution | None,
                       problems: list[dict[str, str]], params: dict[str, Any], elapsed: float,
                       run: str | None = None) -> str:
    """The worker's last step: the draft's assignments and figures, or its explanation; audited, announced.

    With ``run``, only if the draft is still that run's (not taken for dead and regenerated meanwhile)."""
    from app.services.actor import Actor
    from app.services.rota import equity

    draft = await _locked_draft(session, draft_id)
    if draft is None:
        return "missing"
    if run is not None and (draft.status != "running" or (draft.explanation or {}).get("run") != run):
        log.warning("draft %s: the run %s finished after it was taken for dead; its result is dropped", draft_id, run)
        await session.rollback()
        return "superseded"
    actor = Actor.system("generator", organization_id=draft.organization_id)
    cells = built.assignments(solution) if built is not None and solution is not None else []
    if problems or (not cells and (solution is None or solution.schedule is None)):
        draft.status = "infeasible"
        draft.objective = draft.bound = None
        draft.explanation = {"params": params, "problems": problems, "elapsed": elapsed}
    else:
        assert built is not None and solution is not None
        for mid, sid, day in cells:
            session.add(Assignment(organization_id=draft.organization_id, shift_type_id=sid, date=day,
                                   membership_id=mid, draft_id=draft.id, source="generated"))
        draft.status = "done"
        draft.objective = decode(built, solution.objective)
        draft.bound = decode(built, solution.bound)
        summary = equity.draft_summary(built, cells)
        draft.explanation = {"params": params, "elapsed": elapsed, "solver_status": solution.status,
                             "summary": summary, "first_solution": solution.log[0].seconds if solution.log else None}
    await session.flush()
    await audit.record(session, actor, "schedule.generated", entity_type="draft", entity_id=draft.id,
                       after={**snapshot(draft), "assignments": len(cells), "objective": draft.objective,
                              "bound": draft.bound})
    await emit(session, draft.organization_id, "generate.finished", entity_type="draft", entity_id=draft.id,
               payload={"status": draft.status})
    await commit(session)
    _publish(draft.organization_id, draft.id, status=draft.status)
    return draft.status


# -- runs that stopped -----------------------------------------------------------------------------------

_FAILURES = {
    "stopped": (lambda: _("The generator stopped unexpectedly; generate again."),
                lambda: _("Nothing was written to the schedule. If it stops again, tell your administrator.")),
    "overdue": (lambda: _("The generator ran far past its time limit and was stopped; generate again."),
                lambda: _("Nothing was written to the schedule. If it happens again, give it fewer days or tell "
                          "your administrator.")),
    "lost": (lambda: _("The generator never started on this draft; generate again."),
             lambda: _("Nothing was written to the schedule. If it does not start again, tell your administrator.")),
    "error": (lambda: _("The generator stopped with an error; generate again."),
              lambda: _("Nothing was written to the schedule. If it keeps failing, tell your administrator.")),
}


async def mark_failed(session: AsyncSession, draft: ScheduleDraft, reason: str) -> None:
    """Mark a queued or running draft failed, in the caller's transaction: audited, announced after commit."""
    from app.services.actor import Actor

    message, hint = _FAILURES.get(reason, _FAILURES["error"])
    before = {**snapshot(draft), "heartbeat": (draft.explanation or {}).get("heartbeat")}
    params = dict((draft.explanation or {}).get("params") or {})
    draft.status, draft.objective, draft.bound = "failed", None, None
    progress = (draft.explanation or {}).get("progress")  # how far it got, for the page's progress bar
    draft.explanation = {"params": params, "reason": reason, "progress": progress,
                         "problems": [{"kind": "failed", "message": message(), "hint": hint()}]}
    await session.flush()
    await audit.record(session, Actor.system("generator", organization_id=draft.organization_id),
                       "schedule.generation_failed", entity_type="draft", entity_id=draft.id, before=before,
                       after={**snapshot(draft), "reason": reason})
    await emit(session, draft.organization_id, "generate.failed", entity_type="draft", entity_id=draft.id,
               payload={"status": "failed", "reason": reason})
    org_id, draft_id = draft.organization_id, draft.id
    after_commit(session, lambda: _publish(org_id, draft_id, status="failed"))


async def fail_draft(session: AsyncSession, draft_id: int, *, reason: str, only_if_stale: bool = False) -> bool:
    """Mark draft ``draft_id`` failed if it is still queued or running (and, with ``only_if_stale``, still
    taken for dead once its row is locked: a heartbeat that came in meanwhile spares it). Commits."""
    draft = await _locked_draft(session, draft_id)
    if draft is None or draft.status not in ("queued", "running") or (
            only_if_stale and stale_reason(draft, utcnow()) is None):
        await session.rollback()
        return False
    await mark_failed(session, draft, reason)
    await commit(session)
    return True


async def fail_stale_drafts(session_maker: Any, *, now: datetime | None = None) -> list[int]:
    """The sweeper's step: every queued or running draft taken for dead (:func:`stale_reason`) becomes failed.
    Returns their ids."""
    now = now or utcnow()
    async with session_maker() as session:
        rows = (await session.execute(select(ScheduleDraft).where(ScheduleDraft.status.in_(("queued", "running")))
                                      .order_by(ScheduleDraft.id))).scalars().all()
        stale = [(d.id, reason) for d in rows if (reason := stale_reason(d, now)) is not None]
        await session.rollback()
    failed = []
    for draft_id, reason in stale:
        async with session_maker() as session:
            if await fail_draft(session, draft_id, reason=reason, only_if_stale=True):
                log.warning("draft %s %s (%s): marked failed", draft_id, "taken for dead", reason)
                failed.append(draft_id)
    return failed


def sweep_stale_drafts() -> list[int]:
    """:func:`fail_stale_drafts` for the worker's sweeper thread (its own engines on its own event loop);
    a cheap look first, so an idle sweep opens nothing."""
    from app.db import _build, get_database

    with get_database().sync_session() as session:
        waiting = session.execute(select(func.count()).select_from(ScheduleDraft).where(
            ScheduleDraft.status.in_(("queued", "running")))).scalar_one()
        session.rollback()
    if not waiting:
        return []

    async def run() -> list[int]:
        db = _build(get_settings().database_url)
        try:
            return await fail_stale_drafts(db.write_session)
        finally:
            await db.dispose()

    return asyncio.run(run())


# -- the worker's job ------------------------------------------------------------------------------------


def _publish(organization_id: int, draft_id: int, **data: Any) -> None:
    """Tell the manager's open draft page to look again (over SSE, event "generate"). Only the draft's id and
    status travel: its figures are read from the page, by those who may see drafts."""
    from app import live

    live.publish(organization_id, {"topic": "generate", "draft_id": draft_id, "status": data.get("status")})


async def run_draft(session_maker: Any, draft_id: int) -> str:
    """Generate draft ``draft_id`` (status queued): solve, then store its assignments or an explanation.

    ``session_maker`` opens write sessions (the worker's own engine). While it works, the run records its
    progress and a heartbeat every second (the page's progress bar and the sweeper read them). Returns the
    draft's final status.
    """
    from app.services.rota import explain

    run = uuid.uuid4().hex
    async with session_maker() as session:
        draft = await _locked_draft(session, draft_id)
        if draft is None or draft.status != "queued":
            return draft.status if draft else "missing"
        params = dict((draft.explanation or {}).get("params") or {})
        seconds = float(params.get("seconds") or DEFAULT_SECONDS)
        history_months = int(params.get("history_months", DEFAULT_HISTORY_MONTHS))
        org_id = draft.organization_id
        started_at = utcnow()
        stamp = started_at.isoformat()
        draft.status = "running"
        draft.explanation = {"params": params, "run": run, "started": stamp, "heartbeat": stamp,
                             "progress": {"elapsed": 0.0, "seconds": seconds}}
        await session.commit()
        inputs = await load_inputs(session, org_id, draft.start_date, draft.end_date, draft_id=draft_id,
                                   history_months=history_months)
        await session.rollback()
    _publish(org_id, draft_id, status="running")

    started = clock.monotonic()
    best: dict[str, Any] = {"objective": None, "bound": None, "phase": "start"}
    lock = threading.Lock()
    built: Built | None = None

    async def beat() -> None:
        """Record the best so far and the heartbeat, and tell the page (its progress bar follows)."""
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            with lock:
                state = {**best, "elapsed": round(clock.monotonic() - started, 2), "seconds": seconds}
            try:
                async with session_maker() as session:
                    await session.execute(update(ScheduleDraft).where(
                        ScheduleDraft.id == draft_id, ScheduleDraft.status == "running").values(
                        objective=state["objective"], bound=state["bound"],
                        explanation={"params": params, "run": run, "started": stamp, "heartbeat": utcnow().isoformat(),
                                     "progress": state}))
                    await session.commit()
            except Exception:  # a missed beat is not fatal; thirty in a row make the sweeper give up on the run
                log.warning("could not record the progress of draft %s", draft_id, exc_info=True)
            _publish(org_id, draft_id, status="running")

    def on_progress(p: Progress) -> None:
        assert built is not None
        with lock:
            best.update(objective=decode(built, p.objective), bound=decode(built, p.bound), phase=p.phase)

    beating = asyncio.create_task(beat())
    solution = None
    try:
        problems = explain.precheck(inputs)
        if not problems:
            built = build_problem(inputs)
            ready = built
            solution = await asyncio.to_thread(
                lambda: solve(ready.problem, solve_options(ready, seconds=seconds, progress=on_progress)))
            if could_pair(built, solution):  # impossible one shift a day each: try two where the rules allow
                built = ready = build_problem(inputs, pairs=True)
                left = max(1.0, seconds - (clock.monotonic() - started))
                solution = await asyncio.to_thread(
                    lambda: solve(ready.problem, solve_options(ready, seconds=left, progress=on_progress)))
            if solution.schedule is None:
                if solution.status == "INFEASIBLE":
                    problems = await asyncio.to_thread(explain.relax, inputs, max(0.5, min(2.0, seconds / 5)))
                else:
                    problems = [explain.timeout_problem(seconds)]
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    elapsed = round(clock.monotonic() - started, 2)
    async with session_maker() as session:
        return await store_result(session, draft_id, built=built, solution=solution, problems=problems,
                                  params=params, elapsed=elapsed, run=run)


async def run_draft_in_worker(draft_id: int) -> str:
    """The Dramatiq job's body: its own database engines (this runs on a worker thread's event loop)."""
    from app.db import _build

    db = _build(get_settings().database_url)
    try:
        return await run_draft(db.write_session, draft_id)
    finally:
        await db.dispose()


async def fail_draft_in_worker(draft_id: int) -> bool:
    """The Dramatiq job's last resort when a run raised: the draft fails with a message (its own engines)."""
    from app.db import _build

    db = _build(get_settings().database_url)
    try:
        async with db.write_session() as session:
            return await fail_draft(session, draft_id, reason="error")
    finally:
        await db.dispose()
