"""Shifts changing hands at members' request: swaps, give-aways to the open pool, claims and volunteering.

A swap: the requester offers one of their shifts to a colleague, optionally taking one of the colleague's
back; the colleague accepts or declines; then, if the practice wants it (or a rule would break), a
manager approves. A give-away puts a shift in the open pool, where a colleague claims it; volunteering
asks for an open seat nobody holds. Before anyone confirms, :func:`preview_swap` / :func:`preview_claim`
say which rules the change would break and what it does to each person's load. Rules that would break
never stop a change outright (a manager may accept them), but they always send it to a manager; hard
conflicts (two shifts at once, approved leave, a missing qualification) stop it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.i18n import _
from app.models import Assignment, Membership, RotaRequest, utcnow
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import commit
from app.services.permissions import can, require
from app.services.rota.load import load_delta, points_of
from app.services.rota.request_support import (
    OPEN_STATUSES,
    ChangePreview,
    Move,
    Side,
    add_assignment,
    announce,
    fetch_request,
    future_assignment,
    managers_of,
    member,
    membership_of,
    notify,
    org_tz,
    preview,
    today_in,
    transfer,
)
from app.services.rota.rules import holiday_dates, load_rules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import ShiftType
    from app.services.actor import Actor

__all__ = (
    "assignment_of",
    "claim",
    "execute",
    "give_away",
    "offer_swap",
    "preview_claim",
    "preview_giveaway",
    "preview_request",
    "preview_swap",
    "preview_volunteer",
    "respond",
    "volunteer",
)

MAX_NOTE = 1000


def _note(raw: Any) -> str:
    text = str(raw or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(text) > MAX_NOTE:
        raise ValidationFailed({"note": _("Keep the note under %(n)d characters.", n=MAX_NOTE)})
    return text


async def _requester(session: AsyncSession, actor: Actor, membership_id: Any) -> Membership:
    """Whose request this is: the actor's own membership, or (managers, API keys) the member named."""
    require(actor, "requests.create")
    mine = await membership_of(session, actor)
    if membership_id in (None, "") or (mine is not None and str(membership_id) == str(mine.id)):
        if mine is None:
            raise ValidationFailed({"member_id": _("Say whose request this is.")})
        return await member(session, actor, mine.id)
    require(actor, "schedule.manage")
    return await member(session, actor, membership_id)


async def _open_offer_exists(session: AsyncSession, assignment_id: int) -> bool:
    found = await session.execute(
        select(func.count()).select_from(RotaRequest).where(
            RotaRequest.assignment_id == assignment_id, RotaRequest.kind.in_(("swap", "giveaway")),
            RotaRequest.status.in_(OPEN_STATUSES)))
    return found.scalar_one() > 0


async def assignment_of(session: AsyncSession, actor: Actor, *, membership_id: Any, shift_code: Any, day: Any,
                        field_name: str, date_field: str | None = None) -> Assignment:
    """A member's published shift found by shift type code and date (how the JSON API names a shift).
    Errors name ``field_name`` (the code) or ``date_field`` (the date; ``field_name`` when not given)."""
    errors: dict[str, str] = {}
    if not str(shift_code or "").strip():
        errors[field_name] = _("Give the shift type's code, e.g. 'night-call'.")
    when = None
    try:
        when = day if isinstance(day, date) else date.fromisoformat(str(day or ""))
    except ValueError:
        errors[date_field or field_name] = _("Enter a date as YYYY-MM-DD.")
    if errors or when is None:
        raise ValidationFailed(errors)
    from app.models import ShiftType

    row = (await session.execute(select(Assignment).join(ShiftType, ShiftType.id == Assignment.shift_type_id).where(
        Assignment.organization_id == actor.organization_id, Assignment.membership_id == membership_id,
        Assignment.date == when, Assignment.status == "active", Assignment.draft_id.is_(None),
        ShiftType.code == str(shift_code or "")))).scalars().first()
    if row is None:
        raise ValidationFailed({field_name: _("That member has no '%(code)s' shift on %(day)s.", code=shift_code,
                                              day=when.isoformat())})
    return row


# -- swaps -----------------------------------------------------------------------------------------------


async def _swap_parts(session: AsyncSession, actor: Actor, giver: Membership, *, assignment_id: Any,
                      to_membership_id: Any,
                      take_assignment_id: Any) -> tuple[Assignment, Membership, Assignment | None]:
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    errors: dict[str, str] = {}
    give = to = take = None
    try:
        give = await future_assignment(session, actor, assignment_id, owner=giver, field_name="assignment_id", tz=tz)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        to = await member(session, actor, to_membership_id, field_name="to_membership_id")
        if to.id == giver.id:
            errors["to_membership_id"] = _("Choose a colleague, not yourself.")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if to is not None and take_assignment_id not in (None, "", "none") and "to_membership_id" not in errors:
        try:
            take = await future_assignment(session, actor, take_assignment_id, owner=to,
                                           field_name="take_assignment_id", tz=tz)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    assert give is not None and to is not None
    return give, to, take


def _swap_moves(give: Assignment, to: Membership, take: Assignment | None) -> list[Move]:
    moves = [Move(give.shift_type, give.date, taker=to, giver=give.membership, assignment_id=give.id)]
    if take is not None:
        moves.append(Move(take.shift_type, take.date, taker=give.membership, giver=to, assignment_id=take.id))
    return moves


async def preview_swap(session: AsyncSession, actor: Actor, *, assignment_id: Any, to_membership_id: Any,
                       take_assignment_id: Any = None, membership_id: Any = None) -> ChangePreview:
    """What offering ``assignment_id`` to a colleague (and taking ``take_assignment_id`` back) would do."""
    giver = await _requester(session, actor, membership_id)
    give, to, take = await _swap_parts(session, actor, giver, assignment_id=assignment_id,
                                       to_membership_id=to_membership_id, take_assignment_id=take_assignment_id)
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    return await preview(session, actor.organization_id, rules, _swap_moves(give, to, take),  # type: ignore[arg-type]
                         approval_setting=rules.swap_needs_approval, tz=tz)


async def offer_swap(session: AsyncSession, actor: Actor, *, assignment_id: Any, to_membership_id: Any,
                     take_assignment_id: Any = None, note: Any = "", membership_id: Any = None) -> RotaRequest:
    """Offer a shift to a colleague; they are asked by email. Hard conflicts are refused beside the colleague."""
    giver = await _requester(session, actor, membership_id)
    text = _note(note)
    give, to, take = await _swap_parts(session, actor, giver, assignment_id=assignment_id,
                                       to_membership_id=to_membership_id, take_assignment_id=take_assignment_id)
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    check = await preview(session, actor.organization_id, rules, _swap_moves(give, to, take),  # type: ignore[arg-type]
                          approval_setting=rules.swap_needs_approval, tz=tz)
    if check.blocked:
        raise ValidationFailed({"to_membership_id": check.blocking[0].message})
    if await _open_offer_exists(session, give.id):
        raise ValidationFailed({"assignment_id": _("This shift is already offered; cancel that offer first.")})
    req = RotaRequest(organization_id=actor.organization_id, kind="swap", status="pending", membership_id=giver.id,
                      assignment_id=give.id, counter_assignment_id=take.id if take else None,
                      target_membership_id=to.id, note=text, created_by_id=actor.user_id)
    session.add(req)
    await session.flush()
    await session.refresh(req)
    await announce(session, actor, req, "requests.created", "request.created", to=to.user.email,
                   breaks=[b.message for b in check.breaches])
    await notify(session, req, "request_swap_offer", [to], skip_user=actor.user_id,
                 headline=_("%(name)s asks you to swap a shift", name=giver.user.name),
                 breaches=[b.message for b in check.breaches], effect=check.effect, giver=giver.user.name)
    await commit(session)
    return req


async def respond(session: AsyncSession, actor: Actor, request_id: int, *, accept: bool,
                  comment: Any = "") -> RotaRequest:
    """The colleague's answer to a swap offer. Accepting swaps at once unless a manager must approve."""
    require(actor, "requests.create")
    req = await fetch_request(session, actor, request_id, lock=True)
    me = await membership_of(session, actor)
    if req.kind != "swap" or me is None or req.target_membership_id != me.id:
        if me is not None and req.membership_id == me.id:
            raise Forbidden(_("Only %(name)s can answer this offer.", name=req.target_membership.user.name
                              if req.target_membership else ""))
        raise NotFound(_("No such request."))
    if req.status != "pending":
        raise Conflict(_("This offer has already been answered."))
    text = _note(comment)
    req.responded_at, req.response_comment, req.updated_at = utcnow(), text, utcnow()
    if not accept:
        req.status = "declined"
        await announce(session, actor, req, "requests.refused", "request.refused", comment=text)
        await notify(session, req, "request_update", [req.membership], skip_user=actor.user_id,
                     headline=_("%(name)s declined your swap.", name=me.user.name), comment=text)
        await commit(session)
        return req
    check = await preview_request(session, actor, req)
    if check.blocked:
        raise Conflict(check.blocking[0].message)
    if check.needs_manager:
        req.status = "accepted"
        await announce(session, actor, req, "requests.accepted", "request.accepted", comment=text)
        await notify(session, req, "request_submitted", await managers_of(session, req.organization_id),
                     skip_user=actor.user_id, headline=_("A swap is waiting for your approval."),
                     breaches=[b.message for b in check.breaches], effect=check.effect)
        await notify(session, req, "request_update", [req.membership], skip_user=actor.user_id,
                     headline=_("%(name)s accepted your swap; a manager will approve it.", name=me.user.name),
                     comment=text)
        await commit(session)
        return req
    await execute(session, actor, req, source_actor_label=me.user.name)
    await notify(session, req, "request_update", [req.membership], skip_user=actor.user_id,
                 headline=_("%(name)s accepted your swap. The schedule has changed.", name=me.user.name), comment=text)
    await commit(session)
    return req


# -- give-aways, claims, volunteering --------------------------------------------------------------------


async def give_away(session: AsyncSession, actor: Actor, *, assignment_id: Any, note: Any = "",
                    membership_id: Any = None) -> RotaRequest:
    """Offer one of my shifts to whoever claims it (the open pool). I keep it until someone does."""
    giver = await _requester(session, actor, membership_id)
    text = _note(note)
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    give = await future_assignment(session, actor, assignment_id, owner=giver, field_name="assignment_id", tz=tz)
    if await _open_offer_exists(session, give.id):
        raise ValidationFailed({"assignment_id": _("This shift is already offered; cancel that offer first.")})
    req = RotaRequest(organization_id=actor.organization_id, kind="giveaway", status="open", membership_id=giver.id,
                      assignment_id=give.id, note=text, created_by_id=actor.user_id)
    session.add(req)
    await session.flush()
    await session.refresh(req)
    await announce(session, actor, req, "requests.created", "request.created")
    await commit(session)
    return req


async def preview_giveaway(session: AsyncSession, actor: Actor, *, assignment_id: Any,
                           membership_id: Any = None) -> tuple[Assignment, ChangePreview]:
    """The shift I would give away, and what it does to my load once someone takes it."""
    giver = await _requester(session, actor, membership_id)
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    give = await future_assignment(session, actor, assignment_id, owner=giver, field_name="assignment_id", tz=tz)
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    holidays = await holiday_dates(session, actor.organization_id, give.date, give.date)  # type: ignore[arg-type]
    delta = load_delta(losses=[points_of(give.shift_type, give.date, holidays)])
    check = ChangePreview([Side(giver, [], delta)], approval_setting=rules.claim_needs_approval)
    return give, check


async def _claimer(session: AsyncSession, actor: Actor) -> Membership:
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    if me is None:
        raise Forbidden(_("Only members who take shifts can volunteer."))
    try:
        return await member(session, actor, me.id)
    except ValidationFailed:
        raise ValidationFailed({"form": _("You do not take shifts in this practice.")}) from None


async def preview_claim(session: AsyncSession, actor: Actor, request_id: int) -> ChangePreview:
    """What taking a given-away shift would do to me (and to the giver's load)."""
    me = await _claimer(session, actor)
    req = await fetch_request(session, actor, request_id)
    if req.kind != "giveaway" or req.status != "open" or req.assignment is None:
        raise NotFound(_("This shift is no longer offered."))
    if req.membership_id == me.id:
        raise ValidationFailed({"form": _("This is your own shift.")})
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    give = req.assignment
    return await preview(session, req.organization_id, rules,
                         [Move(give.shift_type, give.date, taker=me, giver=give.membership, assignment_id=give.id)],
                         approval_setting=rules.claim_needs_approval, tz=tz)


async def claim(session: AsyncSession, actor: Actor, request_id: int) -> RotaRequest:
    """Take a shift from the open pool: at once, or once a manager approves (the practice's setting, or a rule)."""
    me = await _claimer(session, actor)
    req = await fetch_request(session, actor, request_id, lock=True)
    if req.kind != "giveaway" or req.status != "open":
        if req.kind == "giveaway" and req.status in {"accepted", "approved"}:
            raise Conflict(_("Someone else has already claimed this shift."))
        raise NotFound(_("This shift is no longer offered."))
    check = await preview_claim(session, actor, request_id)
    if check.blocked:
        raise ValidationFailed({"form": check.blocking[0].message})
    req.target_membership_id, req.responded_at, req.updated_at = me.id, utcnow(), utcnow()
    await session.flush()
    await session.refresh(req)
    if check.needs_manager:
        req.status = "accepted"
        await announce(session, actor, req, "requests.claimed", "request.claimed",
                       breaks=[b.message for b in check.breaches])
        await notify(session, req, "request_submitted", await managers_of(session, req.organization_id),
                     skip_user=actor.user_id, headline=_("A claimed shift is waiting for your approval."),
                     breaches=[b.message for b in check.breaches], effect=check.effect)
        await notify(session, req, "request_update", [req.membership], skip_user=actor.user_id,
                     headline=_("%(name)s will take your shift once a manager approves.", name=me.user.name))
    else:
        await execute(session, actor, req, source_actor_label=me.user.name)
        await notify(session, req, "request_update", [req.membership], skip_user=actor.user_id,
                     headline=_("%(name)s took your shift. The schedule has changed.", name=me.user.name))
    await commit(session)
    return req


async def _open_seat(session: AsyncSession, actor: Actor, shift_type_id: Any, day: Any) -> tuple[ShiftType, date]:
    from app.services.rota.setup import get_shift_type

    try:
        shift = await get_shift_type(session, actor, int(str(shift_type_id)))
    except ValueError:
        raise NotFound(_("No such shift type.")) from None
    try:
        when = day if isinstance(day, date) else date.fromisoformat(str(day))
    except ValueError:
        raise ValidationFailed({"form": _("That is not a date.")}) from None
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    if not shift.active or when.weekday() not in shift.days_of_week:
        raise ValidationFailed({"form": _("%(shift)s does not run on that day.", shift=shift.name)})
    if when < today_in(tz):
        raise ValidationFailed({"form": _("That shift is in the past.")})
    taken = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.shift_type_id == shift.id, Assignment.date == when, Assignment.status == "active",
        Assignment.draft_id.is_(None)))).scalar_one()
    if taken >= shift.headcount:
        raise Conflict(_("%(shift)s on that day is already fully staffed.", shift=shift.name))
    return shift, when


async def preview_volunteer(session: AsyncSession, actor: Actor, *, shift_type_id: Any, day: Any) -> ChangePreview:
    me = await _claimer(session, actor)
    shift, when = await _open_seat(session, actor, shift_type_id, day)
    rules = await load_rules(session, actor.organization_id)  # type: ignore[arg-type]
    tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
    return await preview(session, actor.organization_id, rules, [Move(shift, when, taker=me)],  # type: ignore[arg-type]
                         approval_setting=rules.claim_needs_approval, tz=tz)


async def volunteer(session: AsyncSession, actor: Actor, *, shift_type_id: Any, day: Any,
                    note: Any = "") -> RotaRequest:
    """Ask for an open seat on a published shift: taken at once, or once a manager approves."""
    me = await _claimer(session, actor)
    text = _note(note)
    shift, when = await _open_seat(session, actor, shift_type_id, day)
    duplicate = (await session.execute(select(func.count()).select_from(RotaRequest).where(
        RotaRequest.kind == "volunteer", RotaRequest.membership_id == me.id, RotaRequest.shift_type_id == shift.id,
        RotaRequest.shift_date == when, RotaRequest.status == "pending"))).scalar_one()
    if duplicate:
        raise ValidationFailed({"form": _("You have already volunteered for this shift.")})
    check = await preview_volunteer(session, actor, shift_type_id=shift.id, day=when)
    if check.blocked:
        raise ValidationFailed({"form": check.blocking[0].message})
    req = RotaRequest(organization_id=actor.organization_id, kind="volunteer", status="pending", membership_id=me.id,
                      shift_type_id=shift.id, shift_date=when, note=text, created_by_id=actor.user_id)
    session.add(req)
    await session.flush()
    await session.refresh(req)
    if check.needs_manager:
        await announce(session, actor, req, "requests.created", "request.created",
                       breaks=[b.message for b in check.breaches])
        await notify(session, req, "request_submitted", await managers_of(session, req.organization_id),
                     skip_user=actor.user_id, headline=_("A volunteer is waiting for your approval."),
                     breaches=[b.message for b in check.breaches], effect=check.effect)
    else:
        await announce(session, actor, req, "requests.created", "request.created")
        await execute(session, actor, req, source_actor_label=me.user.name)
    await commit(session)
    return req


# -- carrying a request out ------------------------------------------------------------------------------


async def preview_request(session: AsyncSession, actor: Actor, req: RotaRequest) -> ChangePreview:
    """The preview of a stored swap, claim or volunteer request, from the schedule as it is now."""
    rules = await load_rules(session, req.organization_id)
    tz = await org_tz(session, req.organization_id)
    if req.kind == "swap":
        assert req.assignment and req.target_membership
        moves = _swap_moves(req.assignment, req.target_membership, req.counter_assignment)
        setting = rules.swap_needs_approval
    elif req.kind == "giveaway":
        assert req.assignment
        taker = req.target_membership
        if taker is None:
            return await preview(session, req.organization_id, rules, [], approval_setting=True, tz=tz)
        moves = [Move(req.assignment.shift_type, req.assignment.date, taker=taker, giver=req.membership,
                      assignment_id=req.assignment.id)]
        setting = rules.claim_needs_approval
    elif req.kind == "volunteer":
        assert req.shift_type and req.shift_date
        moves = [Move(req.shift_type, req.shift_date, taker=req.membership)]
        setting = rules.claim_needs_approval
    else:
        raise ValueError(req.kind)
    give, take = req.assignment, req.counter_assignment
    if (give is not None and (give.status != "active" or give.membership_id != req.membership_id)) or (
            take is not None and (take.status != "active" or take.membership_id != req.target_membership_id)):
        raise Conflict(_("The schedule has changed since this request was made; it no longer applies."))
    return await preview(session, req.organization_id, rules, moves, approval_setting=setting, tz=tz)


async def execute(session: AsyncSession, actor: Actor, req: RotaRequest, *, source_actor_label: str = "",
                  comment: str = "") -> None:
    """Change the schedule as the request says and mark it approved; in the caller's transaction."""
    reason = _("request #%(id)d", id=req.id)
    if req.kind == "swap":
        assert req.assignment and req.target_membership
        moves = [(req.assignment, req.target_membership)]
        if req.counter_assignment is not None:
            moves.append((req.counter_assignment, req.membership))
        await transfer(session, actor, moves, source="swap", reason=reason, request_id=req.id)
    elif req.kind == "giveaway":
        assert req.assignment and req.target_membership
        await transfer(session, actor, [(req.assignment, req.target_membership)], source="swap", reason=reason,
                       request_id=req.id)
    elif req.kind == "volunteer":
        assert req.shift_type and req.shift_date
        try:
            await add_assignment(session, actor, req.shift_type, req.shift_date, req.membership, source="manual",
                                 reason=reason, request_id=req.id)
        except ValidationFailed as exc:
            raise Conflict(next(iter(exc.errors.values()))) from None
    req.status, req.updated_at = "approved", utcnow()
    if can(actor, "schedule.manage") and actor.user_id is not None:
        req.decided_by_id, req.decided_at, req.decision_comment = actor.user_id, utcnow(), comment
    else:
        req.decided_at = utcnow()
        req.auto_reason = _("No manager's approval needed: the practice lets members do this themselves and it "
                            "breaks no rule.")
    await announce(session, actor, req, "requests.approved", "request.approved", by=source_actor_label or actor.label)

