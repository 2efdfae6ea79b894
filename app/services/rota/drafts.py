"""Generated drafts, as the manager drives them: request one, lock and edit its cells, regenerate, publish.

A draft (:class:`ScheduleDraft`) holds only what the generator *adds* to the published schedule of its
range (assignments with ``draft_id`` set, ``source='generated'``); nobody but owners and managers sees
it (``schedule.manage``: others get 404 for its id, like an outsider), not in the calendar, feeds or
the API, until :func:`publish` moves its assignments into the published schedule in one transaction.

Statuses: queued -> running -> done | infeasible (an explanation says why) -> published; a run that stops
without a result (its worker died, an error) ends as failed, with a message saying to generate again.
Running a draft in the worker, its heartbeat and the sweeping of dead runs are
:mod:`app.services.rota.draft_runs`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.i18n import _
from app.models import Assignment, Membership, ScheduleDraft, ShiftType, User, utcnow
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import after_commit, commit, emit, enqueue
from app.services.permissions import can, require
from app.services.rota import published
from app.services.rota.draft_runs import busy, mark_failed, snapshot, stale_reason
from app.services.rota.generate import DEFAULT_SECONDS, MAX_DAYS, MAX_SECONDS
from app.services.rota.generate_inputs import DEFAULT_HISTORY_MONTHS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor
    from app.services.rota.rules import Rules

__all__ = ("EditChoices", "EditOption", "draft_assignments", "edit_choices", "get_draft", "list_drafts",
           "parse_request", "publish", "reassign_cell", "regenerate", "request_draft", "reset_draft", "set_lock")


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
                       after={**snapshot(draft), "seconds": seconds, "history_months": history_months})
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



async def regenerate(session: AsyncSession, actor: Actor, draft_id: int, *,
                     seconds: float | None = None) -> ScheduleDraft:
    """Generate the draft again, keeping its locked cells (everything else is replaced)."""
    require(actor, "schedule.manage")
    draft = await get_draft(session, actor, draft_id)
    if draft.status == "published":
        raise Conflict(_("This draft is already published; generate a new one."))
    if busy(draft):
        raise Conflict(_("This draft is still being generated."))
    if draft.status in ("queued", "running"):
        await mark_failed(session, draft, stale_reason(draft, utcnow()) or "stopped")  # a dead run the sweeper missed
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
                       after={**snapshot(draft), "locked": locks})
    await emit(session, actor.organization_id, "generate.queued", entity_type="draft", entity_id=draft.id)
    _enqueue_after_commit(session, draft.id)
    await commit(session)
    return draft


async def _cell_of(session: AsyncSession, draft: ScheduleDraft, assignment_id: int) -> Assignment:
    """A cell of ``draft`` (an active assignment of it), or NotFound."""
    cell = (await session.execute(select(Assignment).where(
        Assignment.id == assignment_id, Assignment.draft_id == draft.id, Assignment.status == "active"))
    ).scalar_one_or_none()
    if cell is None:
        raise NotFound(_("No such assignment in this draft."))
    return cell


async def _draft_cell(session: AsyncSession, actor: Actor, draft_id: int, assignment_id: int) -> tuple[ScheduleDraft,
                                                                                                     Assignment]:
    draft = await get_draft(session, actor, draft_id)
    cell = await _cell_of(session, draft, assignment_id)
    if draft.status == "published":
        raise Conflict(_("This draft is already published."))
    if busy(draft):
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
    check = await _EditCheck.load(session, draft, cell)
    refusal = await check.refusal(session, member)
    if refusal:  # the edited cell is locked: regenerating around a cell that breaks a rule could only fail
        raise ValidationFailed({"member_id": refusal})
    before = _cell_snapshot(cell)
    cell.membership_id, cell.locked, cell.updated_at = member.id, True, utcnow()
    await session.flush()
    await session.refresh(cell)
    await audit.record(session, actor, "draft.reassigned", entity_type="assignment", entity_id=cell.id,
                       before=before, after=_cell_snapshot(cell))
    await emit(session, actor.organization_id, "generate.edited", entity_type="draft", entity_id=draft.id)
    await commit(session)
    return cell


@dataclass
class _EditCheck:
    """What a hand edit of ``cell`` is checked against, loaded once for every member asked about."""

    draft: ScheduleDraft
    cell: Assignment
    rules: Rules
    tz: ZoneInfo
    off: dict[int, set[date]]  # approved time off on the cell's day

    @classmethod
    async def load(cls, session: AsyncSession, draft: ScheduleDraft, cell: Assignment) -> _EditCheck:
        from app.services.rota.requests import approved_time_off
        from app.services.rota.rules import load_rules
        from app.services.rota.schedule import org_timezone

        off = await approved_time_off(session, draft.organization_id, cell.date, cell.date)
        return cls(draft, cell, await load_rules(session, draft.organization_id),
                   await org_timezone(session, draft.organization_id), off)

    async def refusal(self, session: AsyncSession, member: Membership) -> str | None:
        """Why ``member`` (who takes shifts) may not take the cell, as the manager reads it; None if they may."""
        shift, day = self.cell.shift_type, self.cell.date
        if shift.qualification and shift.qualification not in (member.qualifications or []):
            return _("%(shift)s needs the qualification %(q)s, which %(name)s lacks.", shift=shift.name,
                     q=shift.qualification, name=member.user.name)
        if day in self.off.get(member.id, set()):
            return _("%(name)s has approved time off that day.", name=member.user.name)
        breaches = await self._breaches(session, member)
        return breaches[0] if breaches else None

    async def _breaches(self, session: AsyncSession, member: Membership) -> list[str]:
        """The rules ``member`` would break by taking the cell, counting their published shifts and the draft's."""
        from app.services.rota.rules import Work, check_change, member_context

        tz, cell = self.tz, self.cell
        person, existing = await member_context(session, self.draft.organization_id, member, [cell.date], tz)
        drafted = (await session.execute(select(Assignment).where(
            Assignment.draft_id == self.draft.id, Assignment.membership_id == member.id,
            Assignment.status == "active", Assignment.id != cell.id))).scalars().unique()
        existing += [Work.of(a.shift_type, a.date, tz, assignment_id=a.id) for a in drafted]
        return [b.message for b in check_change(self.rules, person, existing,
                                                add=[Work.of(cell.shift_type, cell.date, tz)])]


@dataclass(frozen=True)
class EditOption:
    """A member a draft cell could go to by hand: their points in the cell's month, and why not (if not)."""

    membership: Membership
    points: float
    per_fte: float
    refusal: str | None = None

    @property
    def name(self) -> str:
        return self.membership.user.name


@dataclass(frozen=True)
class EditChoices:
    """Who could take a draft cell: ``options`` break no rule, fairest first; ``others`` would, each with why."""

    cell: Assignment
    options: list[EditOption]
    others: list[EditOption]


async def edit_choices(session: AsyncSession, actor: Actor, draft_id: int, assignment_id: int) -> EditChoices:
    """Everyone who takes shifts, checked as :func:`reassign_cell` checks them, for the hand-edit control.

    Ranked as the time-off cover picker ranks (:func:`app.services.rota.requests.cover_choices`): fewest points
    per FTE in the cell's month first, here counting the published schedule and this draft, the cell itself
    left out. The cell's current member is neither an option nor another."""
    require(actor, "schedule.manage")
    draft = await get_draft(session, actor, draft_id)
    cell = await _cell_of(session, draft, assignment_id)
    members = (await session.execute(select(Membership).join(User).where(
        Membership.organization_id == draft.organization_id, Membership.active.is_(True),
        Membership.in_schedule.is_(True), Membership.role != "viewer", Membership.id != cell.membership_id)
        .order_by(func.lower(User.name), Membership.id))).scalars().unique()
    check = await _EditCheck.load(session, draft, cell)
    totals = await _month_points(session, draft, cell)
    options, others = [], []
    for m in members:
        points = totals.get(m.id, 0.0)
        refusal = await check.refusal(session, m)
        option = EditOption(m, points, points / m.fte if m.fte and m.fte > 0 else points, refusal)
        (others if refusal else options).append(option)
    options.sort(key=lambda o: (o.per_fte, o.points, o.name.lower()))
    return EditChoices(cell, options, others)


async def _month_points(session: AsyncSession, draft: ScheduleDraft, cell: Assignment) -> dict[int, float]:
    """Each member's weighted points in ``cell``'s month: published shifts and the draft's, but not ``cell``."""
    from app.services.rota.load import points_of
    from app.services.rota.rules import holiday_dates

    first = cell.date.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    holidays = await holiday_dates(session, draft.organization_id, first, last)
    rows = await session.execute(select(Assignment).where(
        Assignment.organization_id == draft.organization_id, Assignment.status == "active",
        (Assignment.draft_id == draft.id) | Assignment.draft_id.is_(None), Assignment.id != cell.id,
        Assignment.date >= first, Assignment.date <= last))
    totals: dict[int, float] = defaultdict(float)
    for a in rows.scalars().unique():
        totals[a.membership_id] += points_of(a.shift_type, a.date, holidays).value
    return totals


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
    # Time off approved after the draft was made: publishing would put someone on a shift during their leave.
    from app.services.rota.requests import approved_time_off

    off = await approved_time_off(session, draft.organization_id, draft.start_date, draft.end_date)
    away = [a for a in cells if a.date in off.get(a.membership_id, set())]
    if away:
        a = away[0]
        raise Conflict(_("%(name)s has approved time off on %(day)s but is on %(shift)s in this draft (%(n)d such "
                         "shifts). Regenerate the draft, then publish.", name=a.membership.user.name,
                         day=a.date.isoformat(), shift=a.shift_type.name, n=len(away)))
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
                       after={**snapshot(draft), "assignments": len(cells)})
    event = await emit(session, actor.organization_id, "rota.published", entity_type="draft", entity_id=draft.id,
                       payload={"start": draft.start_date.isoformat(), "end": draft.end_date.isoformat(),
                                "count": len(cells)})
    await published.tell_members(session, draft, {a.membership_id for a in cells}, event)
    await commit(session)
    return len(cells)


async def reset_draft(session: AsyncSession, draft_id: int) -> None:
    """Drop a draft's unlocked assignments (before regenerating around its locks)."""
    await session.execute(delete(Assignment).where(Assignment.draft_id == draft_id, Assignment.locked.is_(False)))
