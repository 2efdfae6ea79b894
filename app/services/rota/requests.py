"""The request workflow: time off, managers' decisions, the lists members and managers see, open shifts;
and what the generator reads (approved time off). Preferences are in :mod:`app.services.rota.preferences`.

Swaps, give-aways and volunteering are in :mod:`app.services.rota.trades`; what both share (previews,
moving shifts, emails) in :mod:`app.services.rota.request_support`. Every change here is authorised,
written, audited and announced (topic ``requests``; ``rota`` when the schedule changes) in one
transaction, and everyone involved gets an email.

Time off over an assigned shift: approving asks the manager who takes each shift. :func:`cover_choices`
lists the members who would break no rule, fairest first (fewest weighted points in the shift's month
per FTE); the reassignment happens in the approval's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from app.i18n import _
from app.models import Assignment, Membership, RotaRequest, User, utcnow
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import commit
from app.services.permissions import can, require
from app.services.rota import trades
from app.services.rota.load import points_of
from app.services.rota.request_support import (
    OPEN_STATUSES,
    ChangePreview,
    announce,
    cancel_assignment,
    days_between,
    fetch_request,
    managers_of,
    member,
    membership_of,
    notify,
    org_tz,
    range_label,
    takes_shifts,
    today_in,
    transfer,
)
from app.services.rota.rules import Breach, Work, check_change, holiday_dates, load_rules, member_context
from app.services.rota.staffing import qualified_gaps

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import ShiftType
    from app.services.actor import Actor
    from app.services.rota.dates import Occurrence

__all__ = (
    "MAX_AHEAD_DAYS",
    "MAX_DAYS",
    "CoverChoice",
    "CoverOption",
    "OpenShift",
    "affected_assignments",
    "approved_time_off",
    "cancel",
    "colleague_shifts",
    "colleagues",
    "cover_choices",
    "create_time_off",
    "decide",
    "decider_names",
    "get_request",
    "inbox",
    "list_mine",
    "my_upcoming_shifts",
    "open_shifts",
    "parse_day",
)

MAX_DAYS = 366
MAX_AHEAD_DAYS = 730  # time off starts at most two years ahead (the date inputs say so too)
MAX_NOTE = 1000
UPCOMING_DAYS = 62


def parse_day(raw: Any, field_name: str) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValidationFailed({field_name: _("Enter a date.")})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field_name: _("Enter a date as YYYY-MM-DD.")}) from None


def clean_text(raw: Any) -> str:
    """Typed text as stored: trimmed, without NUL characters (PostgreSQL refuses them in text columns)."""
    return str(raw or "").replace("\x00", "").strip()


def _note(raw: Any, field_name: str = "note") -> str:
    text = clean_text(raw)
    if len(text) > MAX_NOTE:
        raise ValidationFailed({field_name: _("Keep it under %(n)d characters.", n=MAX_NOTE)})
    return text


# -- reading ---------------------------------------------------------------------------------------------


async def get_request(session: AsyncSession, actor: Actor, request_id: int) -> RotaRequest:
    """A request the actor may see: managers see all; members theirs, offers to them, and give-aways."""
    require(actor, "requests.create")
    req = await fetch_request(session, actor, request_id)
    if can(actor, "schedule.manage"):
        return req
    me = await membership_of(session, actor)
    mine = me is not None and me.id in {req.membership_id, req.target_membership_id}
    if mine or req.kind == "giveaway":  # give-aways are posted to everyone
        return req
    raise NotFound(_("No such request."))


async def decider_names(session: AsyncSession, reqs: list[RotaRequest]) -> dict[int, str]:
    """User id -> name of whoever decided these requests."""
    ids = {r.decided_by_id for r in reqs if r.decided_by_id}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows.all()}


async def list_mine(session: AsyncSession, actor: Actor, *, limit: int = 100) -> list[RotaRequest]:
    """Requests I made or that name me (offers to me, shifts I claimed), newest first."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    if me is None:
        return []
    rows = await session.execute(
        select(RotaRequest).where(RotaRequest.organization_id == actor.organization_id,
                                  or_(RotaRequest.membership_id == me.id, RotaRequest.target_membership_id == me.id))
        .order_by(RotaRequest.created_at.desc(), RotaRequest.id.desc()).limit(limit)
    )
    return list(rows.scalars().unique())


async def inbox(session: AsyncSession, actor: Actor) -> list[RotaRequest]:
    """What waits for the actor: swap offers to answer; for managers also everything awaiting approval."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    conditions = []
    if me is not None:
        conditions.append((RotaRequest.kind == "swap") & (RotaRequest.status == "pending")
                          & (RotaRequest.target_membership_id == me.id))
    if can(actor, "schedule.manage"):
        conditions.append(RotaRequest.kind.in_(("time_off", "volunteer")) & (RotaRequest.status == "pending"))
        conditions.append(RotaRequest.kind.in_(("swap", "giveaway")) & (RotaRequest.status == "accepted"))
    if not conditions:
        return []
    rows = await session.execute(
        select(RotaRequest).where(RotaRequest.organization_id == actor.organization_id, or_(*conditions))
        .order_by(RotaRequest.created_at, RotaRequest.id)
    )
    found = list(rows.scalars().unique())
    # Emergencies first, then oldest first.
    found.sort(key=lambda r: (r.urgency != "emergency", r.created_at))
    return found


async def my_upcoming_shifts(session: AsyncSession, actor: Actor, *, days: int = UPCOMING_DAYS) -> list[Assignment]:
    """My published shifts from today on (what I can swap or give away)."""
    me = await membership_of(session, actor)
    if me is None:
        return []
    return await _upcoming(session, actor, me.id, days)


async def _upcoming(session: AsyncSession, actor: Actor, membership_id: int, days: int) -> list[Assignment]:
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    today = today_in(tz)
    rows = await session.execute(
        select(Assignment).where(Assignment.organization_id == actor.organization_id,
                                 Assignment.membership_id == membership_id, Assignment.status == "active",
                                 Assignment.draft_id.is_(None), Assignment.date >= today,
                                 Assignment.date <= today + timedelta(days=days))
        .order_by(Assignment.date, Assignment.id)
    )
    return list(rows.scalars().unique())


async def colleagues(session: AsyncSession, actor: Actor) -> list[Membership]:
    """Members who take shifts, except me, by name."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    rows = await session.execute(
        select(Membership).join(User).where(Membership.organization_id == actor.organization_id)
        .order_by(func.lower(User.name))
    )
    return [m for m in rows.scalars().unique() if takes_shifts(m) and (me is None or m.id != me.id)]


async def colleague_shifts(session: AsyncSession, actor: Actor, membership_id: int) -> list[Assignment]:
    """A colleague's upcoming published shifts (what I could take back in a swap)."""
    require(actor, "requests.create")
    colleague = await member(session, actor, membership_id, field_name="to_membership_id")
    return await _upcoming(session, actor, colleague.id, UPCOMING_DAYS)


@dataclass(frozen=True)
class OpenShift:
    """A shift anyone may take: given away by a colleague (``request``), or a seat nobody holds."""

    shift: ShiftType
    day: date
    when: Occurrence
    request: RotaRequest | None = None
    seats: int = 1
    mine: bool = False
    asked: bool = False  # I already volunteered for it


async def open_shifts(session: AsyncSession, actor: Actor, *, days: int = 42) -> list[OpenShift]:
    """Give-aways, and unfilled seats of the published schedule from today on (as far as it is published),
    soonest first."""
    require(actor, "requests.create")
    from app.services.rota.dates import occurrence
    from app.services.rota.schedule import load_slots

    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    today = today_in(tz)
    me = await membership_of(session, actor)
    asked = set()
    if me is not None:
        rows = await session.execute(select(RotaRequest.shift_type_id, RotaRequest.shift_date).where(
            RotaRequest.membership_id == me.id, RotaRequest.kind == "volunteer", RotaRequest.status == "pending"))
        asked = {(a, b) for a, b in rows.all()}
    found: list[OpenShift] = []
    giveaways = await session.execute(
        select(RotaRequest).join(Assignment, Assignment.id == RotaRequest.assignment_id)
        .where(RotaRequest.organization_id == actor.organization_id, RotaRequest.kind == "giveaway",
               RotaRequest.status == "open", Assignment.date >= today)
    )
    for req in giveaways.scalars().unique():
        a = req.assignment
        assert a is not None
        found.append(OpenShift(a.shift_type, a.date, occurrence(a.date, a.shift_type.start_time,
                                                                a.shift_type.duration_minutes, tz),
                               request=req, mine=me is not None and req.membership_id == me.id))
    # Unfilled seats only as far as the published schedule reaches: a month nobody has published yet is
    # not "open", it is not made yet.
    reach = (await session.execute(select(func.max(Assignment.date)).where(
        Assignment.organization_id == actor.organization_id, Assignment.draft_id.is_(None)))).scalar_one_or_none()
    last = min(today + timedelta(days=days), reach) if reach else today - timedelta(days=1)
    for slot in await load_slots(session, actor, today, last) if last >= today else []:
        if slot.day < today or not slot.shift.active or slot.open_seats <= 0:
            continue
        found.append(OpenShift(slot.shift, slot.day, slot.when, seats=slot.open_seats,
                               asked=(slot.shift.id, slot.day) in asked))
    found.sort(key=lambda o: (o.when.starts_at, o.shift.name, o.request is None))
    return found


# -- time off --------------------------------------------------------------------------------------------


async def affected_assignments(session: AsyncSession, req: RotaRequest) -> list[Assignment]:
    """The requester's published shifts within the time off."""
    assert req.start_date and req.end_date
    rows = await session.execute(
        select(Assignment).where(Assignment.organization_id == req.organization_id,
                                 Assignment.membership_id == req.membership_id, Assignment.status == "active",
                                 Assignment.draft_id.is_(None), Assignment.date >= req.start_date,
                                 Assignment.date <= req.end_date)
        .order_by(Assignment.date, Assignment.id)
    )
    return list(rows.scalars().unique())


async def create_time_off(session: AsyncSession, actor: Actor, *, start_date: Any, end_date: Any,
                          urgency: Any = "advance", note: Any = "", membership_id: Any = None) -> RotaRequest:
    """Ask for time off (mine; managers and API keys for any member). Approved at once when the practice's
    rule allows it (advance, asked early enough, no assigned shift affected), with the reason recorded."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    errors: dict[str, str] = {}
    requester = None
    try:
        if membership_id in (None, "") or (me is not None and str(membership_id) == str(me.id)):
            if me is None:
                raise ValidationFailed({"member_id": _("Say whose time off this is.")})
            requester = await member(session, actor, me.id)
        else:
            require(actor, "schedule.manage")
            requester = await member(session, actor, membership_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    start = end = None
    for key, raw in (("start_date", start_date), ("end_date", end_date)):
        try:
            value = parse_day(raw, key)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if key == "start_date":
            start = value
        else:
            end = value
    kind = str(urgency or "advance").strip()
    if kind not in {"advance", "emergency"}:
        errors["urgency"] = _("Choose advance or emergency.")
    try:
        text = _note(note)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        text = ""
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    today = today_in(tz)
    if start and end:
        if end < start:
            errors["end_date"] = _("The last day off cannot be before the first.")
        elif (end - start).days + 1 > MAX_DAYS:
            errors["end_date"] = _("Ask for at most %(n)d days at once.", n=MAX_DAYS)
    if start is not None:
        if start < today:
            errors["start_date"] = _("Time off cannot start in the past.")
        elif (start - today).days > MAX_AHEAD_DAYS:
            errors["start_date"] = _("Ask at most two years ahead.")
    if requester is not None and start and end and "end_date" not in errors and "start_date" not in errors:
        clash = (await session.execute(select(RotaRequest).where(
            RotaRequest.membership_id == requester.id, RotaRequest.kind == "time_off",
            RotaRequest.status.in_(("pending", "approved")), RotaRequest.start_date <= end,
            RotaRequest.end_date >= start))).scalars().first()
        if clash is not None:
            assert clash.start_date and clash.end_date
            errors["start_date"] = _("%(name)s already has time off asked for or approved on %(when)s.",
                                     name=requester.user.name, when=range_label(clash.start_date, clash.end_date))
    if errors:
        raise ValidationFailed(errors)
    assert requester is not None and start and end
    req = RotaRequest(organization_id=actor.organization_id, kind="time_off", status="pending",
                      membership_id=requester.id, urgency=kind, start_date=start, end_date=end, note=text,
                      created_by_id=actor.user_id)
    session.add(req)
    await session.flush()
    await session.refresh(req)
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    ahead = (start - today).days
    affected = await affected_assignments(session, req)
    automatic = rules.auto_approve_days is not None and kind == "advance" and ahead >= rules.auto_approve_days
    if automatic and not affected and not await qualified_gaps(session, requester, start, end):
        req.status, req.decided_at = "approved", utcnow()
        req.auto_reason = _("Approved automatically: asked %(n)d days ahead (the practice approves advance requests "
                            "made at least %(min)d days ahead) and no assigned shift is affected.",
                            n=ahead, min=rules.auto_approve_days)
        await announce(session, actor, req, "requests.approved", "request.approved", auto_reason=req.auto_reason,
                       start=start.isoformat(), end=end.isoformat())
        await notify(session, req, "request_update", [requester], skip_user=None,
                     headline=_("Your time off is approved."), comment=req.auto_reason)
    else:
        await announce(session, actor, req, "requests.created", "request.created", start=start.isoformat(),
                       end=end.isoformat(), urgency=kind, shifts_affected=len(affected))
        await notify(session, req, "request_submitted", await managers_of(session, req.organization_id),
                     skip_user=actor.user_id, headline=_("Time off is waiting for your approval."),
                     breaches=[], effect="", affected=len(affected))
        if actor.user_id != requester.user_id:
            await notify(session, req, "request_update", [requester],
                         headline=_("Time off was asked for on your behalf."), comment="")
    await commit(session)
    return req


@dataclass(frozen=True)
class CoverOption:
    membership: Membership
    points: float
    per_fte: float
    breaches: list[Breach]

    @property
    def name(self) -> str:
        return self.membership.user.name


@dataclass(frozen=True)
class CoverChoice:
    """Who could take one shift of the time off: ``options`` break no rule (fairest first); ``others`` would."""

    assignment: Assignment
    options: list[CoverOption]
    others: list[CoverOption]


async def _month_points(session: AsyncSession, organization_id: int, day: date) -> dict[int, float]:
    """Weighted points of each member's published shifts in ``day``'s month."""
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    holidays = await holiday_dates(session, organization_id, first, last)
    rows = await session.execute(select(Assignment).where(
        Assignment.organization_id == organization_id, Assignment.status == "active", Assignment.draft_id.is_(None),
        Assignment.date >= first, Assignment.date <= last))
    totals: dict[int, float] = defaultdict(float)
    for a in rows.scalars().unique():
        totals[a.membership_id] += points_of(a.shift_type, a.date, holidays).value
    return totals


async def cover_choices(session: AsyncSession, actor: Actor, req: RotaRequest) -> list[CoverChoice]:
    """For each shift the time off touches, who could take it: no rule broken, fewest points per FTE first."""
    require(actor, "schedule.manage")
    if req.kind != "time_off" or req.status != "pending":
        return []
    tz = await org_tz(session, req.organization_id)
    rules = await load_rules(session, req.organization_id)
    people = [m for m in await colleagues(session, actor) if m.id != req.membership_id]
    me = await membership_of(session, actor)
    if me is not None and takes_shifts(me) and me.id != req.membership_id and all(p.id != me.id for p in people):
        people.append(me)
    choices = []
    for a in await affected_assignments(session, req):
        totals = await _month_points(session, req.organization_id, a.date)
        work = Work.of(a.shift_type, a.date, tz)
        options, others = [], []
        for m in people:
            person, existing = await member_context(session, req.organization_id, m, [a.date], tz)
            breaches = check_change(rules, person, existing, add=[work])
            points = totals.get(m.id, 0.0)
            option = CoverOption(m, points, points / m.fte if m.fte > 0 else points, breaches)
            (others if breaches else options).append(option)
        options.sort(key=lambda o: (o.per_fte, o.points, o.name.lower()))
        others.sort(key=lambda o: (any(b.hard for b in o.breaches), o.per_fte, o.name.lower()))
        choices.append(CoverChoice(a, options, others))
    return choices


# -- deciding --------------------------------------------------------------------------------------------


async def decide(session: AsyncSession, actor: Actor, request_id: int, *, approve: bool, comment: Any = "",
                 cover: Mapping[str, Any] | None = None) -> RotaRequest:
    """A manager approves or declines. Approving time off over assigned shifts needs ``cover``:
    ``{"cover_<assignment id>": "<membership id>" | "open"}``; the shifts change hands in this transaction."""
    require(actor, "schedule.manage")
    req = await fetch_request(session, actor, request_id, lock=True)
    if req.status not in OPEN_STATUSES:
        raise Conflict(_("This request has already been settled (%(status)s).", status=req.status))
    text = _note(comment, "comment")
    before = {"status": req.status}
    involved = [req.membership] + ([req.target_membership] if req.target_membership else [])
    if not approve:
        req.status, req.decided_by_id, req.decided_at, req.decision_comment = "declined", actor.user_id, utcnow(), text
        req.updated_at = utcnow()
        await announce(session, actor, req, "requests.declined", "request.declined", before=before, comment=text)
        await notify(session, req, "request_update", involved, skip_user=actor.user_id,
                     headline=_("The request was declined."), comment=text)
        await commit(session)
        return req
    if req.kind == "time_off":
        covered = await _cover_time_off(session, actor, req, cover or {})
        req.status, req.decided_by_id, req.decided_at, req.decision_comment = "approved", actor.user_id, utcnow(), text
        req.updated_at = utcnow()
        await announce(session, actor, req, "requests.approved", "request.approved", before=before, comment=text,
                       covered={str(a.id): (m.user.email if m else "open") for a, m in covered})
        await notify(session, req, "request_update", involved, skip_user=actor.user_id,
                     headline=_("Your time off is approved."), comment=text)
        for a, m in covered:
            if m is not None:
                await notify(session, req, "request_shift_assigned", [m], skip_user=actor.user_id,
                             shift=a.shift_type.name, day=range_label(a.date, a.date),
                             headline=_("You now cover %(shift)s on %(day)s.", shift=a.shift_type.name,
                                        day=range_label(a.date, a.date)))
        await commit(session)
        return req
    if req.kind in {"swap", "giveaway"} and req.status != "accepted":
        who = req.target_membership.user.name if req.target_membership else ""
        raise Conflict(_("Wait for %(name)s to accept the swap first.", name=who) if req.kind == "swap"
                       else _("Nobody has claimed this shift yet."))
    check: ChangePreview = await trades.preview_request(session, actor, req)
    if check.blocked:
        raise Conflict(check.blocking[0].message)
    await trades.execute(session, actor, req, comment=text)
    await notify(session, req, "request_update", involved, skip_user=actor.user_id,
                 headline=_("The request is approved. The schedule has changed."), comment=text)
    await commit(session)
    return req


async def _cover_time_off(session: AsyncSession, actor: Actor, req: RotaRequest,
                          cover: Mapping[str, Any]) -> list[tuple[Assignment, Membership | None]]:
    affected = await affected_assignments(session, req)
    errors: dict[str, str] = {}
    plan: list[tuple[Assignment, Membership | None]] = []
    for a in affected:
        key = f"cover_{a.id}"
        choice = str(cover.get(key) or "").strip()
        if not choice:
            errors[key] = _("Choose who takes this shift, or leave it open.")
        elif choice == "open":
            plan.append((a, None))
        else:
            try:
                taker = await member(session, actor, choice, field_name=key)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
            if taker.id == req.membership_id:
                errors[key] = _("Choose someone other than the person taking time off.")
            else:
                plan.append((a, taker))
    if errors:
        raise ValidationFailed(errors)
    tz = await org_tz(session, req.organization_id)
    rules = await load_rules(session, req.organization_id)
    done: list[tuple[Assignment, Membership | None]] = []
    for a, taker in plan:
        reason = _("time off, request #%(id)d", id=req.id)
        if taker is None:
            await cancel_assignment(session, actor, a, reason=reason, request_id=req.id)
            done.append((a, None))
            continue
        # Checked against the schedule as it stands now, earlier cover of this approval included.
        person, existing = await member_context(session, req.organization_id, taker, [a.date], tz)
        breaches = check_change(rules, person, existing, add=[Work.of(a.shift_type, a.date, tz)])
        if breaches:
            raise ValidationFailed({f"cover_{a.id}": breaches[0].message})
        try:
            await transfer(session, actor, [(a, taker)], source="manual", reason=reason, request_id=req.id)
        except Conflict as exc:
            raise ValidationFailed({f"cover_{a.id}": exc.message}) from None
        done.append((a, taker))
    return done


async def cancel(session: AsyncSession, actor: Actor, request_id: int) -> RotaRequest:
    """The requester (or a manager) withdraws a request that is not settled yet."""
    require(actor, "requests.create")
    req = await get_request(session, actor, request_id)
    me = await membership_of(session, actor)
    if not (me is not None and me.id == req.membership_id) and not can(actor, "schedule.manage"):
        raise Forbidden(_("Only %(name)s or a manager can withdraw this request.", name=req.membership.user.name))
    req = await fetch_request(session, actor, request_id, lock=True)
    if req.status not in OPEN_STATUSES:
        raise Conflict(_("This request has already been settled (%(status)s).", status=req.status))
    before = {"status": req.status}
    req.status, req.updated_at = "cancelled", utcnow()
    await announce(session, actor, req, "requests.cancelled", "request.cancelled", before=before)
    others = [req.target_membership] if req.target_membership else []
    if others:
        await notify(session, req, "request_update", others, skip_user=actor.user_id,
                     headline=_("%(name)s withdrew the request.", name=req.membership.user.name), comment="")
    await commit(session)
    return req


# -- for the generator -----------------------------------------------------------------------------------


async def approved_time_off(session: AsyncSession, organization_id: int, start: date,
                            end: date) -> dict[int, set[date]]:
    """Membership id -> the dates between ``start`` and ``end`` on which they have approved time off."""
    rows = await session.execute(select(RotaRequest.membership_id, RotaRequest.start_date, RotaRequest.end_date).where(
        RotaRequest.organization_id == organization_id, RotaRequest.kind == "time_off",
        RotaRequest.status == "approved", RotaRequest.start_date <= end, RotaRequest.end_date >= start))
    off: dict[int, set[date]] = defaultdict(set)
    for membership_id, first, last in rows.all():
        off[membership_id].update(d for d in days_between(max(first, start), min(last, end)))
    return dict(off)
