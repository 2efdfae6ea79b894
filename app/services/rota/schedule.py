"""The schedule: reading it (slots over a date range, who is on duty at an instant) and changing it
(assign, unassign, reassign), each change audited and announced in one transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.i18n import _
from app.models import Assignment, Holiday, Membership, Organization, ShiftType, User, utcnow
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import commit, emit
from app.services.permissions import can, require
from app.services.rota.dates import Occurrence, days, is_weekend, occurrence

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "Candidate",
    "Slot",
    "assign",
    "candidates",
    "load_slots",
    "on_duty",
    "org_timezone",
    "reassign",
    "unassign",
)


@dataclass
class Slot:
    """One shift type on one local date: its real times and who is on it."""

    shift: ShiftType
    day: date
    when: Occurrence
    assignments: list[Assignment] = field(default_factory=list)
    holiday: Holiday | None = None

    @property
    def open_seats(self) -> int:
        return max(0, self.shift.headcount - len(self.assignments))

    @property
    def is_weekend(self) -> bool:
        return is_weekend(self.day)

    @property
    def weight(self) -> float:
        if self.holiday is not None:
            return self.shift.holiday_weight
        return self.shift.weekend_weight if self.is_weekend else self.shift.weight


async def org_timezone(session: AsyncSession, organization_id: int) -> ZoneInfo:
    org = await session.get(Organization, organization_id)
    return ZoneInfo(org.timezone if org else "UTC")


def _sees_drafts(actor: Actor) -> bool:
    return can(actor, "schedule.manage")


async def load_slots(
    session: AsyncSession,
    actor: Actor,
    start: date,
    end: date,
    *,
    location_id: int | None = None,
    shift_code: str | None = None,
    membership_id: int | None = None,
    draft_id: int | None = None,
) -> list[Slot]:
    """Every slot starting from ``start - 1`` (a night shift reaches into ``start``) to ``end``.

    Only the published schedule, unless a manager asks for a draft (``draft_id``).
    With ``membership_id`` only that member's slots are kept.
    """
    require(actor, "schedule.read")
    if draft_id is not None and not _sees_drafts(actor):
        raise NotFound(_("No such draft."))
    tz = await org_timezone(session, actor.organization_id)  # type: ignore[arg-type]
    shift_query = select(ShiftType).where(ShiftType.organization_id == actor.organization_id)
    if location_id is not None:
        shift_query = shift_query.where(ShiftType.location_id == location_id)
    if shift_code:
        shift_query = shift_query.where(ShiftType.code == shift_code)
    shifts = {s.id: s for s in (await session.execute(shift_query)).scalars().unique()}
    first = start - timedelta(days=1)
    assignment_query = select(Assignment).where(
        Assignment.organization_id == actor.organization_id,
        Assignment.date >= first,
        Assignment.date <= end,
        Assignment.status == "active",
        Assignment.shift_type_id.in_(list(shifts) or [0]),
    )
    assignment_query = assignment_query.where(
        Assignment.draft_id == draft_id if draft_id is not None else Assignment.draft_id.is_(None)
    )
    by_slot: dict[tuple[int, date], list[Assignment]] = defaultdict(list)
    for row in (await session.execute(assignment_query.order_by(Assignment.id))).scalars().unique():
        by_slot[(row.shift_type_id, row.date)].append(row)
    holidays = {
        h.date: h
        for h in (
            await session.execute(
                select(Holiday).where(Holiday.organization_id == actor.organization_id, Holiday.date >= first,
                                      Holiday.date <= end, Holiday.active.is_(True))
            )
        ).scalars()
    }
    slots = []
    ordered = sorted(shifts.values(), key=lambda s: (s.start_time, s.position, s.code))
    for day in days(first, end):
        for shift in ordered:
            assigned = by_slot.get((shift.id, day), [])
            runs = shift.active and day.weekday() in shift.days_of_week
            if not runs and not assigned:
                continue
            slot = Slot(shift=shift, day=day, when=occurrence(day, shift.start_time, shift.duration_minutes, tz),
                        assignments=sorted(assigned, key=lambda a: a.membership.user.name.lower()),
                        holiday=holidays.get(day))
            if day < start and slot.when.local_days(tz)[-1] < start:
                continue  # yesterday's slot that does not reach into the range
            if membership_id is not None and not any(a.membership_id == membership_id for a in assigned):
                continue
            slots.append(slot)
    return slots


async def on_duty(session: AsyncSession, actor: Actor, at: datetime, *, query: str = "",
                  shift_code: str | None = None, location: str | None = None) -> list[tuple[Slot, Assignment]]:
    """Who is on a published shift at the instant ``at``, optionally filtered by a search text."""
    tz = await org_timezone(session, actor.organization_id)  # type: ignore[arg-type]
    local_day = at.astimezone(tz).date()
    slots = await load_slots(session, actor, local_day - timedelta(days=1), local_day, shift_code=shift_code)
    needle = query.strip().lower()
    rows = []
    for slot in slots:
        if not slot.when.starts_at <= at < slot.when.ends_at:
            continue
        loc = slot.shift.location.name if slot.shift.location else ""
        if location and loc.lower() != location.strip().lower():
            continue
        for assignment in slot.assignments:
            haystack = " ".join([slot.shift.code, slot.shift.name, loc, assignment.membership.user.name,
                                 slot.shift.qualification or ""]).lower()
            if needle and not all(word in haystack for word in needle.split()):
                continue
            rows.append((slot, assignment))
    rows.sort(key=lambda r: (r[0].when.ends_at, r[0].shift.code, r[1].membership.user.name))
    return rows


# -- candidates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    membership: Membership
    status: str  # free | working | on_shift | unqualified | not_in_schedule
    note: str

    @property
    def selectable(self) -> bool:
        return self.status in {"free", "working"}


async def _member_occurrences(session: AsyncSession, organization_id: int, membership_ids: list[int],
                              day: date, tz: ZoneInfo) -> dict[int, list[tuple[Assignment, Occurrence]]]:
    rows = await session.execute(
        select(Assignment).where(
            Assignment.organization_id == organization_id,
            Assignment.membership_id.in_(membership_ids or [0]),
            # Shifts last up to 48 hours: one starting two days either side can still overlap.
            Assignment.date >= day - timedelta(days=2),
            Assignment.date <= day + timedelta(days=2),
            Assignment.status == "active",
            Assignment.draft_id.is_(None),
        )
    )
    found: dict[int, list[tuple[Assignment, Occurrence]]] = defaultdict(list)
    for a in rows.scalars().unique():
        found[a.membership_id].append(
            (a, occurrence(a.date, a.shift_type.start_time, a.shift_type.duration_minutes, tz)))
    return found


async def candidates(session: AsyncSession, actor: Actor, shift_type_id: int, day: date) -> list[Candidate]:
    """Every active member for a slot, marked free / already working / on it / not qualified, free first."""
    require(actor, "schedule.manage")
    from app.services.rota.setup import get_shift_type

    shift = await get_shift_type(session, actor, shift_type_id)
    tz = await org_timezone(session, actor.organization_id)  # type: ignore[arg-type]
    slot_when = occurrence(day, shift.start_time, shift.duration_minutes, tz)
    members = list(
        (
            await session.execute(
                select(Membership).join(User).where(Membership.organization_id == actor.organization_id,
                                                    Membership.active.is_(True))
                .order_by(func.lower(User.name))
            )
        ).scalars().unique()
    )
    busy = await _member_occurrences(session, actor.organization_id, [m.id for m in members], day, tz)  # type: ignore[arg-type]
    result = []
    for m in members:
        if not m.in_schedule or m.role == "viewer":
            result.append(Candidate(m, "not_in_schedule", _("not in the schedule")))
            continue
        mine = busy.get(m.id, [])
        if any(a.shift_type_id == shift.id and a.date == day for a, _w in mine):
            result.append(Candidate(m, "on_shift", _("on this shift")))
            continue
        if shift.qualification and shift.qualification not in (m.qualifications or []):
            result.append(Candidate(m, "unqualified", _("not qualified %(q)s", q=shift.qualification)))
            continue
        overlapping = [a for a, w in mine if w.starts_at < slot_when.ends_at and slot_when.starts_at < w.ends_at]
        if overlapping:
            result.append(Candidate(m, "busy", _("busy: %(shift)s", shift=overlapping[0].shift_type.name)))
            continue
        same_day = [a for a, w in mine if day in w.local_days(tz)]
        if same_day:
            result.append(Candidate(m, "working", _("also working: %(shift)s", shift=same_day[0].shift_type.name)))
        else:
            result.append(Candidate(m, "free", _("free")))
    order = {"free": 0, "working": 1, "busy": 2, "unqualified": 3, "on_shift": 4, "not_in_schedule": 5}
    result.sort(key=lambda c: (order[c.status], c.membership.user.name.lower()))
    return result


# -- changes ---------------------------------------------------------------------------------------------


def _snapshot(a: Assignment) -> dict[str, object]:
    return {"shift": a.shift_type.code, "date": a.date.isoformat(), "member": a.membership.user.email,
            "membership_id": a.membership_id, "source": a.source}


async def _announce(session: AsyncSession, actor: Actor, kind: str, assignment: Assignment, **extra: object) -> None:
    await emit(session, actor.organization_id, kind, entity_type="assignment", entity_id=assignment.id,
               payload={"date": assignment.date.isoformat(), "user_id": assignment.membership.user_id,
                        "shift": assignment.shift_type.code, **extra})


async def _check_assignable(session: AsyncSession, actor: Actor, shift: ShiftType, day: date,
                            membership: Membership, *, ignore_assignment: int | None = None) -> None:
    if not membership.active or not membership.in_schedule or membership.role == "viewer":
        raise ValidationFailed({"member_id": _("%(name)s does not take shifts.", name=membership.user.name)})
    if not shift.active:
        raise ValidationFailed({"shift": _("This shift type is archived.")})
    if day.weekday() not in shift.days_of_week:
        raise ValidationFailed({"date": _("%(shift)s does not run on that day of the week.", shift=shift.name)})
    if shift.qualification and shift.qualification not in (membership.qualifications or []):
        raise ValidationFailed({"member_id": _("%(shift)s needs the qualification %(q)s, which %(name)s lacks.",
                                               shift=shift.name, q=shift.qualification, name=membership.user.name)})
    taken = (
        await session.execute(
            select(func.count()).select_from(Assignment).where(
                Assignment.shift_type_id == shift.id, Assignment.date == day, Assignment.status == "active",
                Assignment.draft_id.is_(None),
                Assignment.id != (ignore_assignment or 0))
        )
    ).scalar_one()
    if taken >= shift.headcount:
        raise Conflict(_("%(shift)s on %(day)s is already fully staffed (%(n)d of %(n)d).", shift=shift.name,
                         day=day.isoformat(), n=shift.headcount))
    tz = await org_timezone(session, shift.organization_id)
    when = occurrence(day, shift.start_time, shift.duration_minutes, tz)
    others = await _member_occurrences(session, shift.organization_id, [membership.id], day, tz)
    for other, w in others.get(membership.id, []):
        if other.id == ignore_assignment:
            continue
        if other.shift_type_id == shift.id and other.date == day:
            raise Conflict(_("%(name)s is already on this shift.", name=membership.user.name))
        if w.starts_at < when.ends_at and when.starts_at < w.ends_at:
            raise Conflict(_("%(name)s is already working %(shift)s at that time.", name=membership.user.name,
                             shift=other.shift_type.name))


async def _membership(session: AsyncSession, actor: Actor, membership_id: int) -> Membership:
    member = (
        await session.execute(select(Membership).where(Membership.id == membership_id,
                                                       Membership.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if member is None:
        raise ValidationFailed({"member_id": _("Choose a member of this organization.")})
    return member


async def assign(session: AsyncSession, actor: Actor, *, shift_type_id: int, day: date, membership_id: int,
                 source: str = "manual") -> Assignment:
    """Put a member on a published slot (effective at once; the member is notified)."""
    require(actor, "schedule.manage")
    from app.services.rota.setup import get_shift_type

    shift = await get_shift_type(session, actor, shift_type_id)
    member = await _membership(session, actor, membership_id)
    await _check_assignable(session, actor, shift, day, member)
    assignment = Assignment(organization_id=actor.organization_id, shift_type_id=shift.id, date=day,
                            membership_id=member.id, source=source)
    session.add(assignment)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(_("%(name)s is already on this shift.", name=member.user.name)) from None
    await session.refresh(assignment)
    await audit.record(session, actor, "assignment.created", entity_type="assignment", entity_id=assignment.id,
                       after=_snapshot(assignment))
    await _announce(session, actor, "rota.assigned", assignment)
    await commit(session)
    return assignment


async def get_assignment(session: AsyncSession, actor: Actor, assignment_id: int) -> Assignment:
    require(actor, "schedule.read")
    row = (
        await session.execute(
            select(Assignment).where(Assignment.id == assignment_id,
                                     Assignment.organization_id == actor.organization_id,
                                     Assignment.status == "active")
        )
    ).scalar_one_or_none()
    if row is None or (row.draft_id is not None and not _sees_drafts(actor)):
        raise NotFound(_("No such assignment."))
    return row


async def unassign(session: AsyncSession, actor: Actor, assignment_id: int) -> Assignment:
    """Take a member off a slot; kept as cancelled so calendar feeds can say so."""
    require(actor, "schedule.manage")
    assignment = await get_assignment(session, actor, assignment_id)
    before = _snapshot(assignment)
    assignment.status = "cancelled"
    assignment.sequence += 1
    assignment.updated_at = utcnow()
    await audit.record(session, actor, "assignment.removed", entity_type="assignment", entity_id=assignment.id,
                       before=before)
    await _announce(session, actor, "rota.unassigned", assignment)
    await commit(session)
    return assignment


async def reassign(session: AsyncSession, actor: Actor, assignment_id: int, membership_id: int) -> Assignment:
    """Hand a slot to another member: the old assignment is cancelled, a new one created, in one transaction."""
    require(actor, "schedule.manage")
    old = await get_assignment(session, actor, assignment_id)
    if old.membership_id == membership_id:
        return old
    member = await _membership(session, actor, membership_id)
    await _check_assignable(session, actor, old.shift_type, old.date, member, ignore_assignment=old.id)
    before = _snapshot(old)
    old.status, old.sequence, old.updated_at = "cancelled", old.sequence + 1, utcnow()
    await session.flush()
    new = Assignment(organization_id=old.organization_id, shift_type_id=old.shift_type_id, date=old.date,
                     membership_id=member.id, source="manual")
    session.add(new)
    await session.flush()
    await session.refresh(new)
    await audit.record(session, actor, "assignment.reassigned", entity_type="assignment", entity_id=new.id,
                       before=before, after=_snapshot(new))
    await _announce(session, actor, "rota.unassigned", old)
    await _announce(session, actor, "rota.assigned", new, replaces=old.id)
    await commit(session)
    return new


async def bump_sequences(session: AsyncSession, shift_type_id: int) -> None:
    """A shift type's times changed: every assignment's calendar entry is a new version."""
    await session.execute(
        update(Assignment).where(Assignment.shift_type_id == shift_type_id).values(sequence=Assignment.sequence + 1)
    )
