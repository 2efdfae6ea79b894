"""Generated drafts: request one, watch it, lock and edit its cells, regenerate around the locks, publish.

A draft (:class:`ScheduleDraft`) holds only what the generator *adds* to the published schedule of its
range (assignments with ``draft_id`` set, ``source='generated'``); nobody but owners and managers sees
it (``schedule.manage``: others get 404 for its id, like an outsider), not in the calendar, feeds or
the API, until :func:`publish` moves its assignments into the published schedule in one transaction.

Statuses: queued -> running -> done | infeasible (an explanation says why) -> published; a run that stops
without a result (its worker died, an error) ends as failed, with a message saying to generate again.

A running draft has a heartbeat: the run writes its progress and the time every second. The worker's sweeper
(:func:`fail_stale_drafts`) takes a draft whose heartbeat stopped for :data:`HEARTBEAT_GRACE`, or that runs
well past its time limit, for dead: failed, audited and announced, so the manager's page shows it at once and
the manager can generate again. A run that was taken for dead and still finishes writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time as clock
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.config import get_settings
from app.i18n import _
from app.models import Assignment, Membership, ScheduleDraft, ShiftType, utcnow
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import after_commit, commit, emit, enqueue
from app.services.permissions import can, require
from app.services.rota import published
from app.services.rota.generate import (
    DEFAULT_HISTORY_MONTHS,
    DEFAULT_SECONDS,
    MAX_DAYS,
    MAX_SECONDS,
    Built,
    build_problem,
    could_pair,
    decode,
    load_inputs,
    solve_options,
)
from app.services.rota.solver import Progress, solve

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor
    from app.services.rota.solver import Solution

__all__ = ("HEARTBEAT_GRACE", "fail_draft", "fail_draft_in_worker", "fail_stale_drafts", "get_draft", "list_drafts",
           "parse_request", "publish", "reassign_cell", "regenerate", "request_draft", "run_draft",
           "run_draft_in_worker", "set_lock", "stale_reason", "store_result", "sweep_stale_drafts")

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
"""How often a run records its progress and heartbeat."""
HEARTBEAT_GRACE = timedelta(seconds=30)
"""A running draft whose heartbeat is older than this has stopped."""
RUN_MARGIN = timedelta(seconds=60)
"""What a run may take beyond its time limit: explaining an impossible range, writing the result."""
QUEUE_GRACE = timedelta(minutes=10)
"""A draft still waiting to start after this long lost its job (a restart of the in-process worker)."""


def parse_request(data: dict[str, Any]) -> tuple[date, date, float, int]:
    """The generate form / API body as (start, end, seconds, history months); field errors otherwise."""
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for key in ("start_date", "end_date"):
        raw = str(data.get(key) or "").strip()
        try:
            parsed[key] = date.fromisoformat(raw)
        except ValueError:
            errors[key] = _("Enter a date as YYYY-MM-DD.")
    if not errors and parsed["end_date"] < parsed["start_date"]:
        errors["end_date"] = _("The last day comes before the first.")
    elif not errors and (parsed["end_date"] - parsed["start_date"]).days + 1 > MAX_DAYS:
        errors["end_date"] = _("Generate at most %(n)d days at once.", n=MAX_DAYS)
    seconds: float = DEFAULT_SECONDS
    raw = data.get("seconds")
    if raw not in (None, ""):
        try:
            seconds = float(str(raw).strip())
            if not 1 <= seconds <= MAX_SECONDS:
                raise ValueError
        except ValueError:
            errors["seconds"] = _("Enter a number of seconds from 1 to %(n)d.", n=MAX_SECONDS)
    months = DEFAULT_HISTORY_MONTHS
    raw = data.get("history_months")
    if raw not in (None, ""):
        try:
            months = int(str(raw).strip())
            if not 0 <= months <= 12:
                raise ValueError
        except ValueError:
            errors["history_months"] = _("Choose from 0 to 12 months.")
    if errors:
        raise ValidationFailed(errors)
    return parsed["start_date"], parsed["end_date"], seconds, months


def _snapshot(d: ScheduleDraft) -> dict[str, Any]:
    return {"start": d.start_date.isoformat(), "end": d.end_date.isoformat(), "status": d.status}


def _enqueue_after_commit(session: AsyncSession, draft_id: int) -> None:
    after_commit(session, lambda: enqueue("generate_schedule", draft_id))


async def request_draft(session: AsyncSession, actor: Actor, *, start: date, end: date,
                        seconds: float = DEFAULT_SECONDS,
                        history_months: int = DEFAULT_HISTORY_MONTHS) -> ScheduleDraft:
    """Queue the generation of a draft for ``start``..``end``; the worker fills it in."""
    require(actor, "schedule.manage")
    draft = ScheduleDraft(organization_id=actor.organization_id, start_date=start, end_date=end, status="queued",
                          created_by_id=actor.user_id,
                          explanation={"params": {"seconds": seconds, "history_months": history_months}})
    session.add(draft)
    await session.flush()
    await audit.record(session, actor, "schedule.generate_requested", entity_type="draft", entity_id=draft.id,
                       after={**_snapshot(draft), "seconds": seconds, "history_months": history_months})
    await emit(session, actor.organization_id, "generate.queued", entity_type="draft", entity_id=draft.id)
    _enqueue_after_commit(session, draft.id)
    await commit(session)
    return draft


async def get_draft(session: AsyncSession, actor: Actor, draft_id: int) -> ScheduleDraft:
    """A draft of the actor's organization; 404 for anyone who may not see drafts."""
    draft = (await session.execute(select(ScheduleDraft).where(
        ScheduleDraft.id == draft_id, ScheduleDraft.organization_id == actor.organization_id))).scalar_one_or_none()
    if draft is None or not can(actor, "schedule.manage"):
        raise NotFound(_("No such draft."))
    return draft


async def list_drafts(session: AsyncSession, actor: Actor, *, limit: int = 8) -> list[ScheduleDraft]:
    require(actor, "schedule.manage")
    rows = await session.execute(select(ScheduleDraft).where(ScheduleDraft.organization_id == actor.organization_id)
                                 .order_by(ScheduleDraft.id.desc()).limit(limit))
    return list(rows.scalars())


async def draft_assignments(session: AsyncSession, draft: ScheduleDraft) -> list[Assignment]:
    rows = await session.execute(select(Assignment).where(Assignment.draft_id == draft.id,
                                                          Assignment.status == "active")
                                 .order_by(Assignment.date, Assignment.shift_type_id, Assignment.id))
    return list(rows.scalars().unique())


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


def _busy(draft: ScheduleDraft) -> bool:
    return draft.status in ("queued", "running") and stale_reason(draft, utcnow()) is None


async def regenerate(session: AsyncSession, actor: Actor, draft_id: int, *,
                     seconds: float | None = None) -> ScheduleDraft:
    """Generate the draft again, keeping its locked cells (everything else is replaced)."""
    require(actor, "schedule.manage")
    draft = await get_draft(session, actor, draft_id)
    if draft.status == "published":
        raise Conflict(_("This draft is already published; generate a new one."))
    if _busy(draft):
        raise Conflict(_("This draft is still being generated."))
    if draft.status in ("queued", "running"):
        await _fail(session, draft, stale_reason(draft, utcnow()) or "stopped")  # a dead run the sweeper missed
    from app.services.rota.generate import reset_draft

    await reset_draft(session, draft.id)
    params = dict((draft.explanation or {}).get("params") or {})
    if seconds is not None:
        params["seconds"] = seconds
    draft.status, draft.objective, draft.bound = "queued", None, None
    draft.explanation = {"params": params}
    draft.created_at = utcnow()
    locks = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.draft_id == draft.id, Assignment.locked.is_(True)))).scalar_one()
    await audit.record(session, actor, "schedule.regenerate_requested", entity_type="draft", entity_id=draft.id,
                       after={**_snapshot(draft), "locked": locks})
    await emit(session, actor.organization_id, "generate.queued", entity_type="draft", entity_id=draft.id)
    _enqueue_after_commit(session, draft.id)
    await commit(session)
    return draft


async def _draft_cell(session: AsyncSession, actor: Actor, draft_id: int, assignment_id: int) -> tuple[ScheduleDraft,
                                                                                                     Assignment]:
    draft = await get_draft(session, actor, draft_id)
    cell = (await session.execute(select(Assignment).where(
        Assignment.id == assignment_id, Assignment.draft_id == draft.id, Assignment.status == "active"))
    ).scalar_one_or_none()
    if cell is None:
        raise NotFound(_("No such assignment in this draft."))
    if draft.status == "published":
        raise Conflict(_("This draft is already published."))
    if _busy(draft):
        raise Conflict(_("This draft is still being generated."))
    return draft, cell


def _cell_snapshot(a: Assignment) -> dict[str, Any]:
    return {"shift": a.shift_type.code, "date": a.date.isoformat(), "member": a.membership.user.email,
            "membership_id": a.membership_id, "locked": a.locked, "draft_id": a.draft_id}


async def set_lock(session: AsyncSession, actor: Actor, draft_id: int, assignment_id: int, locked: bool) -> Assignment:
    """Lock a draft cell (kept when regenerating) or unlock it."""
    require(actor, "schedule.manage")
    draft, cell = await _draft_cell(session, actor, draft_id, assignment_id)
    before = _cell_snapshot(cell)
    cell.locked = locked
    cell.updated_at = utcnow()
    await audit.record(session, actor, "draft.locked" if locked else "draft.unlocked", entity_type="assignment",
                       entity_id=cell.id, before=before, after=_cell_snapshot(cell))
    await emit(session, actor.organization_id, "generate.edited", entity_type="draft", entity_id=draft.id)
    await commit(session)
    return cell


async def reassign_cell(session: AsyncSession, actor: Actor, draft_id: int, assignment_id: int,
                        membership_id: int) -> Assignment:
    """Give a draft cell to another member (a hand edit; the cell is locked so regenerating keeps it)."""
    require(actor, "schedule.manage")
    draft, cell = await _draft_cell(session, actor, draft_id, assignment_id)
    if membership_id == cell.membership_id:
        return cell
    member = (await session.execute(select(Membership).where(
        Membership.id == membership_id, Membership.organization_id == actor.organization_id))).scalar_one_or_none()
    if member is None or not member.active or not member.in_schedule or member.role == "viewer":
        raise ValidationFailed({"member_id": _("Choose a member who takes shifts.")})
    shift = cell.shift_type
    if shift.qualification and shift.qualification not in (member.qualifications or []):
        raise ValidationFailed({"member_id": _("%(shift)s needs the qualification %(q)s, which %(name)s lacks.",
                                               shift=shift.name, q=shift.qualification, name=member.user.name)})
    same_day = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.membership_id == member.id, Assignment.date == cell.date, Assignment.status == "active",
        (Assignment.draft_id == draft.id) | Assignment.draft_id.is_(None)))).scalar_one()
    if same_day:
        raise ValidationFailed({"member_id": _("%(name)s already works that day.", name=member.user.name)})
    try:
        from app.services.rota.requests import approved_time_off

        off = await approved_time_off(session, actor.organization_id, cell.date, cell.date)  # type: ignore[arg-type]
    except ImportError:
        off = {}
    if cell.date in off.get(member.id, set()):
        raise ValidationFailed({"member_id": _("%(name)s has approved time off that day.", name=member.user.name)})
    breaches = await _draft_breaches(session, draft, cell, member)
    if breaches:  # the edited cell is locked: regenerating around a cell that breaks a rule could only fail
        raise ValidationFailed({"member_id": breaches[0]})
    before = _cell_snapshot(cell)
    cell.membership_id, cell.locked, cell.updated_at = member.id, True, utcnow()
    await session.flush()
    await session.refresh(cell)
    await audit.record(session, actor, "draft.reassigned", entity_type="assignment", entity_id=cell.id,
                       before=before, after=_cell_snapshot(cell))
    await emit(session, actor.organization_id, "generate.edited", entity_type="draft", entity_id=draft.id)
    await commit(session)
    return cell


async def _draft_breaches(session: AsyncSession, draft: ScheduleDraft, cell: Assignment,
                          member: Membership) -> list[str]:
    """The rules ``member`` would break by taking ``cell``, counting their published shifts and the draft's."""
    from app.services.rota.rules import Work, check_change, load_rules, member_context
    from app.services.rota.schedule import org_timezone

    tz = await org_timezone(session, draft.organization_id)
    person, existing = await member_context(session, draft.organization_id, member, [cell.date], tz)
    drafted = (await session.execute(select(Assignment).where(
        Assignment.draft_id == draft.id, Assignment.membership_id == member.id, Assignment.status == "active",
        Assignment.id != cell.id))).scalars().unique()
    existing += [Work.of(a.shift_type, a.date, tz, assignment_id=a.id) for a in drafted]
    rules = await load_rules(session, draft.organization_id)
    return [b.message for b in check_change(rules, person, existing, add=[Work.of(cell.shift_type, cell.date, tz)])]


async def publish(session: AsyncSession, actor: Actor, draft_id: int) -> int:
    """Move the draft's assignments into the published schedule, all or nothing; members are notified."""
    require(actor, "schedule.manage")
    draft = await get_draft(session, actor, draft_id)
    if draft.status != "done":
        raise Conflict(_("Only a finished draft can be published.") if draft.status != "published"
                       else _("This draft is already published."))
    cells = await draft_assignments(session, draft)
    seats = {s.id: s.headcount for s in (await session.execute(select(ShiftType).where(
        ShiftType.organization_id == draft.organization_id))).scalars()}
    live_counts: dict[tuple[int, date], int] = {}
    rows = await session.execute(select(Assignment.shift_type_id, Assignment.date, func.count()).where(
        Assignment.organization_id == draft.organization_id, Assignment.status == "active",
        Assignment.draft_id.is_(None), Assignment.date >= draft.start_date, Assignment.date <= draft.end_date)
        .group_by(Assignment.shift_type_id, Assignment.date))
    for sid, day, n in rows.all():
        live_counts[(sid, day)] = n
    for a in cells:
        key = (a.shift_type_id, a.date)
        live_counts[key] = live_counts.get(key, 0) + 1
        if live_counts[key] > seats.get(a.shift_type_id, 0):
            raise Conflict(_("The schedule changed since this draft was made (%(shift)s on %(day)s is now full). "
                             "Regenerate the draft, then publish.", shift=a.shift_type.name, day=a.date.isoformat()))
    now = utcnow()
    for a in cells:
        a.draft_id, a.source, a.locked, a.updated_at = None, "generated", False, now
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        message = _("The schedule changed since this draft was made. Regenerate the draft, then publish.")
        raise Conflict(message) from None
    draft.status, draft.published_at = "published", now
    draft.explanation = {**(draft.explanation or {}), "published_count": len(cells)}
    for a in cells:
        await audit.record(session, actor, "assignment.created", entity_type="assignment", entity_id=a.id,
                           after={"shift": a.shift_type.code, "date": a.date.isoformat(),
                                  "member": a.membership.user.email, "membership_id": a.membership_id,
                                  "source": "generated", "draft_id": draft.id})
        # ``draft_id``: its member hears of the whole publish at once (below), not of each cell.
        await emit(session, actor.organization_id, "rota.assigned", entity_type="assignment", entity_id=a.id,
                   payload={"date": a.date.isoformat(), "user_id": a.membership.user_id, "shift": a.shift_type.code,
                            "draft_id": draft.id})
    await audit.record(session, actor, "schedule.published", entity_type="draft", entity_id=draft.id,
                       after={**_snapshot(draft), "assignments": len(cells)})
    event = await emit(session, actor.organization_id, "rota.published", entity_type="draft", entity_id=draft.id,
                       payload={"start": draft.start_date.isoformat(), "end": draft.end_date.isoformat(),
                                "count": len(cells)})
    await published.tell_members(session, draft, {a.membership_id for a in cells}, event)
    await commit(session)
    return len(cells)


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
                       after={**_snapshot(draft), "assignments": len(cells), "objective": draft.objective,
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


async def _fail(session: AsyncSession, draft: ScheduleDraft, reason: str) -> None:
    """Mark a queued or running draft failed, in the caller's transaction: audited, announced after commit."""
    from app.services.actor import Actor

    message, hint = _FAILURES.get(reason, _FAILURES["error"])
    before = {**_snapshot(draft), "heartbeat": (draft.explanation or {}).get("heartbeat")}
    params = dict((draft.explanation or {}).get("params") or {})
    draft.status, draft.objective, draft.bound = "failed", None, None
    progress = (draft.explanation or {}).get("progress")  # how far it got, for the page's progress bar
    draft.explanation = {"params": params, "reason": reason, "progress": progress,
                         "problems": [{"kind": "failed", "message": message(), "hint": hint()}]}
    await session.flush()
    await audit.record(session, Actor.system("generator", organization_id=draft.organization_id),
                       "schedule.generation_failed", entity_type="draft", entity_id=draft.id, before=before,
                       after={**_snapshot(draft), "reason": reason})
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
    await _fail(session, draft, reason)
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
