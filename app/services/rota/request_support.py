"""What the request workflow's services share: members, summaries, previews of a change, moving a shift
from one member to another (audited and announced), and the emails to everyone involved.

Nothing here commits: the callers (:mod:`app.services.rota.requests`, :mod:`app.services.rota.trades`)
write, audit and announce in one transaction and commit once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from sqlalchemy import func, select

from app.config import get_settings
from app.i18n import DEFAULT_LOCALE, _
from app.models import Assignment, Membership, Organization, RotaRequest, User, utcnow
from app.notify.push import PushMessage
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import after_commit, emit
from app.services.notices import tell
from app.services.rota.load import describe_delta, load_delta, points_of
from app.services.rota.rules import Breach, Rules, Work, check_change, format_points, holiday_dates, member_context

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import OutboxEvent, ShiftType
    from app.services.actor import Actor

__all__ = (
    "OPEN_STATUSES",
    "ChangePreview",
    "Move",
    "Side",
    "announce",
    "day_label",
    "describe",
    "fetch_request",
    "future_assignment",
    "managers_of",
    "member",
    "membership_of",
    "notify",
    "preview",
    "takes_shifts",
    "today_in",
    "transfer",
)

OPEN_STATUSES = ("pending", "accepted", "open")
_ANNOUNCED = "rounds_announced_requests"  # session.info: request id -> the change event announce() emitted


# -- time and people -------------------------------------------------------------------------------------


async def org_tz(session: AsyncSession, organization_id: int) -> ZoneInfo:
    org = await session.get(Organization, organization_id)
    return ZoneInfo(org.timezone if org else "UTC")


def today_in(tz: ZoneInfo) -> date:
    return utcnow().astimezone(tz).date()


def _far(*days: date) -> bool:
    """Whether a date is far enough from today (half a year) that "Mon, Jan 1" alone would be ambiguous."""
    today = utcnow().date()
    return any(abs((d - today).days) > 183 for d in days)


def day_label(day: date) -> str:
    """"Sat, Dec 5"; with the year ("Mon, Jan 1, 2029") when the day is more than half a year away."""
    return format_skeleton("yMMMEd" if _far(day) else "MMMEd", day, locale=DEFAULT_LOCALE)


def range_label(start: date, end: date) -> str:
    if start == end:
        return day_label(start)
    return format_interval(start, end, "yMMMEd" if _far(start, end) else "MMMEd", locale=DEFAULT_LOCALE)


def takes_shifts(m: Membership) -> bool:
    return m.active and m.in_schedule and m.role in {"owner", "manager", "member"}


async def membership_of(session: AsyncSession, actor: Actor) -> Membership | None:
    """The actor's own membership in their organization (None for API keys and the system)."""
    if actor.user_id is None or actor.organization_id is None:
        return None
    return (
        await session.execute(select(Membership).where(Membership.user_id == actor.user_id,
                                                       Membership.organization_id == actor.organization_id))
    ).scalar_one_or_none()


async def member(session: AsyncSession, actor: Actor, membership_id: Any, *,
                 field_name: str = "member_id") -> Membership:
    """A member of the actor's organization who takes shifts; :class:`ValidationFailed` on ``field_name`` otherwise."""
    try:
        wanted = int(str(membership_id))
    except ValueError:
        raise ValidationFailed({field_name: _("Choose a member of this practice.")}) from None
    row = (
        await session.execute(select(Membership).where(Membership.id == wanted,
                                                       Membership.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if row is None:
        raise ValidationFailed({field_name: _("Choose a member of this practice.")})
    if not takes_shifts(row):
        raise ValidationFailed({field_name: _("%(name)s does not take shifts.", name=row.user.name)})
    return row


async def managers_of(session: AsyncSession, organization_id: int) -> list[Membership]:
    rows = await session.execute(
        select(Membership).join(User).where(Membership.organization_id == organization_id,
                                            Membership.active.is_(True), Membership.role.in_(("owner", "manager")))
        .order_by(func.lower(User.name))
    )
    return list(rows.scalars().unique())


async def future_assignment(session: AsyncSession, actor: Actor, assignment_id: Any, *, owner: Membership | None,
                            field_name: str, tz: ZoneInfo) -> Assignment:
    """A published, active assignment from today on, of ``owner`` (when given); else a message on ``field_name``."""
    try:
        wanted = int(str(assignment_id))
    except ValueError:
        raise ValidationFailed({field_name: _("Choose a shift.")}) from None
    row = (
        await session.execute(select(Assignment).where(Assignment.id == wanted,
                                                       Assignment.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such shift."))
    if row.status != "active" or row.draft_id is not None:
        raise ValidationFailed({field_name: _("That shift is no longer on the schedule.")})
    if owner is not None and row.membership_id != owner.id:
        raise ValidationFailed({field_name: _("Choose one of %(name)s's shifts.", name=owner.user.name)})
    if row.date < today_in(tz):
        raise ValidationFailed({field_name: _("That shift is in the past.")})
    return row


async def fetch_request(session: AsyncSession, actor: Actor, request_id: int, *, lock: bool = False) -> RotaRequest:
    """A request of the actor's organization (another organization's is not found)."""
    query = select(RotaRequest).where(RotaRequest.id == request_id,
                                      RotaRequest.organization_id == actor.organization_id)
    if lock:
        query = query.with_for_update(of=RotaRequest).execution_options(populate_existing=True)
    row = (await session.execute(query)).unique().scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such request."))
    return row


# -- what a request says ---------------------------------------------------------------------------------


def shift_label(shift: ShiftType, day: date) -> str:
    return _("%(shift)s on %(day)s", shift=shift.name, day=day_label(day))


def describe(req: RotaRequest) -> str:
    """One sentence saying what the request asks for."""
    who = req.membership.user.name
    if req.kind == "time_off":
        assert req.start_date and req.end_date
        if req.urgency == "emergency":
            return _("%(name)s asks for emergency time off: %(when)s.", name=who,
                     when=range_label(req.start_date, req.end_date))
        return _("%(name)s asks for time off: %(when)s.", name=who, when=range_label(req.start_date, req.end_date))
    if req.kind == "swap":
        assert req.assignment and req.target_membership
        give = shift_label(req.assignment.shift_type, req.assignment.date)
        if req.counter_assignment:
            take = shift_label(req.counter_assignment.shift_type, req.counter_assignment.date)
            return _("%(name)s offers %(give)s to %(other)s and takes %(take)s in return.", name=who, give=give,
                     other=req.target_membership.user.name, take=take)
        return _("%(name)s offers %(give)s to %(other)s.", name=who, give=give, other=req.target_membership.user.name)
    if req.kind == "giveaway":
        assert req.assignment
        give = shift_label(req.assignment.shift_type, req.assignment.date)
        if req.target_membership:
            return _("%(name)s gives away %(give)s; %(other)s volunteered to take it.", name=who, give=give,
                     other=req.target_membership.user.name)
        return _("%(name)s gives away %(give)s.", name=who, give=give)
    assert req.shift_type and req.shift_date
    return _("%(name)s volunteers for %(shift)s.", name=who, shift=shift_label(req.shift_type, req.shift_date))


# -- previews --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A shift changing hands: from ``giver`` (None for an open seat) to ``taker``."""

    shift: ShiftType
    day: date
    taker: Membership
    giver: Membership | None = None
    assignment_id: int | None = None


@dataclass
class Side:
    """One person in a change: what they gain and lose, which rules that breaks, what it does to their load."""

    membership: Membership
    breaches: list[Breach] = field(default_factory=list)
    delta: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.membership.user.name

    @property
    def effect(self) -> str:
        return describe_delta(self.delta)

    @property
    def effect_with_net(self) -> str:
        """E.g. "+1 point, \u22123 weekend points (\u22122 in all)"; the net only when several kinds of points move."""
        if len(self.delta) < 2:
            return self.effect
        net = sum(self.delta.values())
        sign = "+" if net > 0 else ("\u2212" if net < 0 else "")
        return _("%(change)s (%(net)s in all)", change=self.effect, net=sign + format_points(abs(net)))


@dataclass
class ChangePreview:
    """What a swap, give-away or claim would do, shown before anyone confirms it."""

    sides: list[Side]
    approval_setting: bool

    @property
    def breaches(self) -> list[Breach]:
        return [b for s in self.sides for b in s.breaches]

    @property
    def blocked(self) -> bool:
        return any(b.hard for b in self.breaches)

    @property
    def blocking(self) -> list[Breach]:
        return [b for b in self.breaches if b.hard]

    @property
    def needs_manager(self) -> bool:
        """A manager approves when the practice says so, and always when a rule would break."""
        return self.approval_setting or bool(self.breaches)

    @property
    def simple_effect(self) -> str | None:
        """One sentence when it reads well: "+1.5 weekend points to Bea Nguyen, \u22121.5 to Amir Patel"."""
        moving = [s for s in self.sides if s.delta]
        if not moving:
            return _("No change in anyone's points.")
        if len(moving) == 1:
            return _("%(change)s to %(name)s", change=moving[0].effect, name=moving[0].name)
        if len(moving) == 2:
            a, b = sorted(moving, key=lambda s: -sum(s.delta.values()))
            if len(a.delta) == 1 and a.delta.keys() == b.delta.keys():
                (category, value), = a.delta.items()
                if abs(value + b.delta[category]) < 1e-9:
                    return _("%(change)s to %(a)s, \u2212%(amount)s to %(b)s", change=describe_delta(a.delta),
                             a=a.name, amount=format_points(abs(value)), b=b.name)
        return None

    @property
    def effect(self) -> str:
        """The simple sentence, or each person's change in turn (for emails)."""
        return self.simple_effect or "; ".join(_("%(change)s to %(name)s", change=s.effect_with_net, name=s.name)
                                               for s in self.sides if s.delta)


async def preview(session: AsyncSession, organization_id: int, rules: Rules, moves: list[Move], *,
                  approval_setting: bool, tz: ZoneInfo) -> ChangePreview:
    """Check each person a set of moves touches against the rules, and sum what it does to their load."""
    gains: dict[int, list[Move]] = defaultdict(list)
    losses: dict[int, list[Move]] = defaultdict(list)
    people: dict[int, Membership] = {}
    for move in moves:
        gains[move.taker.id].append(move)
        people[move.taker.id] = move.taker
        if move.giver is not None:
            losses[move.giver.id].append(move)
            people[move.giver.id] = move.giver
    all_days = [m.day for m in moves]
    holidays = await holiday_dates(session, organization_id, min(all_days), max(all_days)) if all_days else set()
    sides = []
    for membership_id, membership in people.items():
        days = [m.day for m in gains[membership_id] + losses[membership_id]]
        person, existing = await member_context(session, organization_id, membership, days, tz)
        add = [Work.of(m.shift, m.day, tz) for m in gains[membership_id]]
        remove = [Work.of(m.shift, m.day, tz, assignment_id=m.assignment_id) for m in losses[membership_id]]
        breaches = check_change(rules, person, existing, add=add, remove=remove)
        delta = load_delta([points_of(m.shift, m.day, holidays) for m in gains[membership_id]],
                           [points_of(m.shift, m.day, holidays) for m in losses[membership_id]])
        sides.append(Side(membership, breaches, delta))
    # Whoever gains comes first: it is their rules that matter most.
    sides.sort(key=lambda s: (not gains[s.membership.id], s.name.lower()))
    return ChangePreview(sides, approval_setting)


# -- changing the schedule -------------------------------------------------------------------------------


def _snapshot(a: Assignment) -> dict[str, object]:
    return {"shift": a.shift_type.code, "date": a.date.isoformat(), "member": a.membership.user.email,
            "membership_id": a.membership_id, "source": a.source}


async def _announce(session: AsyncSession, actor: Actor, kind: str, a: Assignment, **extra: object) -> None:
    # The same shape as app.services.rota.schedule's events: the push and SSE hooks read them alike.
    await emit(session, actor.organization_id, kind, entity_type="assignment", entity_id=a.id,
               payload={"date": a.date.isoformat(), "user_id": a.membership.user_id, "shift": a.shift_type.code,
                        **extra})


async def cancel_assignment(session: AsyncSession, actor: Actor, a: Assignment, *, reason: str,
                            request_id: int) -> None:
    """Take the member off a published shift (kept as cancelled for calendar feeds), audited and announced as
    request ``request_id``'s change (its people hear of it from the request, not from a push per shift)."""
    before = _snapshot(a)
    a.status, a.sequence, a.updated_at = "cancelled", a.sequence + 1, utcnow()
    await session.flush()
    await audit.record(session, actor, "assignment.removed", entity_type="assignment", entity_id=a.id,
                       before=before, after={"reason": reason})
    await _announce(session, actor, "rota.unassigned", a, request_id=request_id)


async def add_assignment(session: AsyncSession, actor: Actor, shift: ShiftType, day: date, to: Membership, *,
                         source: str, replaces: Assignment | None = None, reason: str, request_id: int) -> Assignment:
    """Put ``to`` on a published shift after the same checks as the calendar's (headcount, overlap, qualification).

    With ``replaces`` (already cancelled by the caller) it is recorded as a reassignment.
    """
    from app.services.rota.schedule import _check_assignable

    await _check_assignable(session, actor, shift, day, to)
    new = Assignment(organization_id=actor.organization_id, shift_type_id=shift.id, date=day, membership_id=to.id,
                     source=source)
    session.add(new)
    await session.flush()
    await session.refresh(new)
    if replaces is not None:
        await audit.record(session, actor, "assignment.reassigned", entity_type="assignment", entity_id=new.id,
                           before=_snapshot(replaces), after={**_snapshot(new), "reason": reason})
        await _announce(session, actor, "rota.unassigned", replaces, request_id=request_id)
        await _announce(session, actor, "rota.assigned", new, replaces=replaces.id, request_id=request_id)
    else:
        await audit.record(session, actor, "assignment.created", entity_type="assignment", entity_id=new.id,
                           after={**_snapshot(new), "reason": reason})
        await _announce(session, actor, "rota.assigned", new, request_id=request_id)
    return new


async def transfer(session: AsyncSession, actor: Actor, moves: list[tuple[Assignment, Membership]], *, source: str,
                   reason: str, request_id: int) -> list[Assignment]:
    """Hand each assignment to another member, all in the caller's transaction.

    Every old assignment is cancelled first, so a swap of two shifts at the same time is no overlap.
    """
    for old, _to in moves:
        if old.status != "active" or old.draft_id is not None:
            raise Conflict(_("%(shift)s is no longer on the schedule as it was; nothing was changed.",
                             shift=shift_label(old.shift_type, old.date)))
        old.status, old.sequence, old.updated_at = "cancelled", old.sequence + 1, utcnow()
    await session.flush()
    created = []
    for old, to in moves:
        try:
            created.append(await add_assignment(session, actor, old.shift_type, old.date, to, source=source,
                                                replaces=old, reason=reason, request_id=request_id))
        except ValidationFailed as exc:
            raise Conflict(next(iter(exc.errors.values()))) from None
    return created


# -- telling people --------------------------------------------------------------------------------------


async def announce(session: AsyncSession, actor: Actor, req: RotaRequest, kind: str, action: str, *,
                   before: dict[str, Any] | None = None, **after: Any) -> OutboxEvent:
    """Audit entry and change event (topic ``requests``) of a request's change; :func:`notify` then records
    on that event whom it told."""
    await audit.record(session, actor, action, entity_type="request", entity_id=req.id, before=before,
                       after={"kind": req.kind, "status": req.status, "member": req.membership.user.email, **after})
    # ``user_id`` is the requester; ``target_user_id`` the colleague offered a swap or taking a give-away.
    target = req.target_membership.user_id if req.target_membership is not None else None
    event = await emit(session, actor.organization_id, kind, entity_type="request", entity_id=req.id,
                       payload={"user_id": req.membership.user_id, "target_user_id": target, "kind": req.kind,
                                "status": req.status})
    announced = session.info.setdefault(_ANNOUNCED, {})
    announced[req.id] = event
    after_commit(session, lambda: announced.pop(req.id, None))
    return event


async def notify(session: AsyncSession, req: RotaRequest, template: str, recipients: list[Membership], *,
                 headline: str, skip_user: int | None = None, **context: Any) -> None:
    """Tell each recipient by email and web push (once; never the person who acted, never a member added by
    name without an address, only active members of the organization).

    Call it after :func:`announce`: the people emailed here are recorded on the event it emitted, and the
    worker pushes ``headline`` and what the request says, linking to the request, to exactly them.
    """
    event = session.info.get(_ANNOUNCED, {}).get(req.id)
    if event is None:
        raise RuntimeError(f"request {req.id}: announce() the change before notify()")
    org = await session.get(Organization, req.organization_id)
    summary = describe(req)
    path = f"/requests/{req.id}"
    push = PushMessage(title=headline, body=summary, url=path, tag=f"request-{req.id}")
    done: set[int] = set()
    for m in recipients:
        if m.user_id in done or m.user_id == skip_user:
            continue
        values = {"name": m.user.name, "organization": org.name if org else "", "summary": summary,
                  "link": get_settings().base_url + path, "note": req.note, "headline": headline, **context}
        if await tell(session, event, m, template=template, context=values, push=push):
            done.add(m.user_id)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
