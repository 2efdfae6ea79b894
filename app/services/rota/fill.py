"""A quick, fair fill of a short range (the setup wizard's first week): round-robin by weighted points.

Not the month's generator (that is the constraint model): a greedy pass that a new practice can
watch happen in a second. Each open seat goes to the eligible member with the fewest weighted
points per FTE, ties going to whoever was picked least recently (round-robin). Eligible means:
takes shifts, holds the shift type's qualification, is not already on that slot and is not on
any shift that overlaps it in real time. As preferences (never at the price of an empty seat),
nobody starts a shift within 11 hours of the end of a long one (10 hours or more), nor starts a
long one within 11 hours of their next shift, and long shifts (nights, 24-hour calls) are not given
on consecutive days to one person while someone else could take them.

The planning step (:func:`plan_fill`) is pure; :func:`fill_range` loads the schedule, plans, and
writes the assignments as the published schedule in the caller's transaction, each audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.i18n import _
from app.models import Assignment, Holiday, Membership
from app.services import audit
from app.services.errors import Conflict
from app.services.events import commit, emit
from app.services.permissions import require
from app.services.rota.dates import is_weekend, occurrence
from app.services.rota.schedule import load_slots, org_timezone

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor
    from app.services.rota.schedule import Slot

__all__ = ("HISTORY_DAYS", "LONG_SHIFT", "REST", "FillResult", "Need", "Person", "Plan", "fill_range", "plan_fill")

REST = timedelta(hours=11)
LONG_SHIFT = timedelta(hours=10)
# Points earned this long before the range count too, so a second fill does not start from zero.
HISTORY_DAYS = 28


@dataclass(frozen=True)
class Need:
    """Open seats on one slot (a shift type on a local date), with its real times and weight."""

    shift_type_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    weight: float
    seats: int
    qualification: str | None = None
    taken: frozenset[int] = frozenset()

    @property
    def is_long(self) -> bool:
        return self.ends_at - self.starts_at >= LONG_SHIFT


@dataclass
class Person:
    """A member who takes shifts, with the load and the hours they already carry."""

    membership_id: int
    name: str
    fte: float = 1.0
    qualifications: frozenset[str] = frozenset()
    points: float = 0.0
    shifts: int = 0
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    last_pick: int = -1

    def overlaps(self, need: Need) -> bool:
        return any(s < need.ends_at and need.starts_at < e for s, e in self.busy)

    def long_shifts_before(self, need: Need) -> int:
        """Long shifts ending in the 36 hours before ``need`` starts (a night the day before, say)."""
        return sum(1 for s, e in self.busy
                   if e - s >= LONG_SHIFT and need.starts_at - timedelta(hours=36) < e <= need.starts_at)

    def rested_for(self, need: Need) -> bool:
        for s, e in self.busy:
            if e - s >= LONG_SHIFT and need.starts_at - REST < e <= need.starts_at:
                return False  # just came off a long shift
            if need.is_long and need.ends_at <= s < need.ends_at + REST:
                return False  # a long shift right before their next one
        return True


@dataclass
class Plan:
    picks: list[tuple[Need, int]] = field(default_factory=list)
    unfilled: list[tuple[Need, int]] = field(default_factory=list)  # (need, seats left open)


def plan_fill(needs: Iterable[Need], people: Iterable[Person]) -> Plan:
    """Who takes each open seat. ``people`` are updated with what they are given."""
    people = list(people)
    plan = Plan()

    def qualified(person: Person, need: Need) -> bool:
        return not need.qualification or need.qualification in person.qualifications

    # The scarcest slots first (fewest qualified people), so a qualified member is not used up on a shift
    # anyone could take; otherwise in time order.
    ordered = sorted(needs, key=lambda n: (sum(qualified(p, n) for p in people), n.starts_at, n.shift_type_id))
    turn = 0
    for need in ordered:
        on_it = set(need.taken)
        for seat in range(need.seats):
            pool = [p for p in people
                    if qualified(p, need) and p.membership_id not in on_it and not p.overlaps(need)]
            if not pool:
                plan.unfilled.append((need, need.seats - seat))
                break
            best = min(pool, key=lambda p: (not p.rested_for(need),
                                            p.long_shifts_before(need) if need.is_long else 0,
                                            p.points / (p.fte or 1.0), p.shifts, p.last_pick, p.name.lower(),
                                            p.membership_id))
            plan.picks.append((need, best.membership_id))
            on_it.add(best.membership_id)
            best.points += need.weight
            best.shifts += 1
            best.busy.append((need.starts_at, need.ends_at))
            best.last_pick = turn
            turn += 1
    return plan


@dataclass
class FillResult:
    start: date
    end: date
    created: int
    unfilled: list[tuple[str, date, int]]  # (shift name, day, seats left open)


def _weight(shift: object, day: date, holidays: dict[date, Holiday]) -> float:
    if day in holidays:
        return shift.holiday_weight  # type: ignore[attr-defined]
    return shift.weekend_weight if is_weekend(day) else shift.weight  # type: ignore[attr-defined]


async def fill_range(session: AsyncSession, actor: Actor, start: date, end: date, *,
                     commit_now: bool = True) -> FillResult:
    """Fill every open seat of the published schedule that shows from ``start`` to ``end`` (inclusive)."""
    require(actor, "schedule.manage")
    org_id = actor.organization_id
    assert org_id is not None
    tz = await org_timezone(session, org_id)
    # load_slots includes the day before's slots that reach into ``start`` (Sunday's night call ends on
    # Monday morning): they show in the week, so they are filled too.
    slots: list[Slot] = [
        s for s in await load_slots(session, actor, start, end)
        if s.shift.active and s.day.weekday() in s.shift.days_of_week and s.open_seats
    ]
    members = list(
        (
            await session.execute(
                select(Membership).where(Membership.organization_id == org_id, Membership.active.is_(True),
                                         Membership.in_schedule.is_(True), Membership.role != "viewer")
            )
        ).scalars().unique()
    )
    people = {m.id: Person(m.id, m.user.name, fte=m.fte or 1.0, qualifications=frozenset(m.qualifications or []))
              for m in members}
    history_start = start - timedelta(days=HISTORY_DAYS + 1)
    holidays = {
        h.date: h for h in (
            await session.execute(select(Holiday).where(Holiday.organization_id == org_id, Holiday.active.is_(True),
                                                        Holiday.date >= history_start, Holiday.date <= end))
        ).scalars()
    }
    held = (
        await session.execute(
            select(Assignment).where(Assignment.organization_id == org_id, Assignment.status == "active",
                                     Assignment.draft_id.is_(None), Assignment.date >= history_start,
                                     Assignment.date <= end + timedelta(days=1),
                                     Assignment.membership_id.in_(list(people) or [0]))
        )
    ).scalars().unique()
    for a in held:
        person = people[a.membership_id]
        when = occurrence(a.date, a.shift_type.start_time, a.shift_type.duration_minutes, tz)
        person.busy.append((when.starts_at, when.ends_at))
        if a.date <= end:
            person.points += _weight(a.shift_type, a.date, holidays)
            person.shifts += 1

    needs = {}
    for slot in slots:
        need = Need(shift_type_id=slot.shift.id, day=slot.day, starts_at=slot.when.starts_at,
                    ends_at=slot.when.ends_at, weight=slot.weight, seats=slot.open_seats,
                    qualification=slot.shift.qualification,
                    taken=frozenset(a.membership_id for a in slot.assignments))
        needs[(need.shift_type_id, need.day)] = (need, slot.shift)
    plan = plan_fill((n for n, _s in needs.values()), people.values())

    created = []
    for need, membership_id in plan.picks:
        row = Assignment(organization_id=org_id, shift_type_id=need.shift_type_id, date=need.day,
                         membership_id=membership_id, source="generated")
        session.add(row)
        created.append((row, needs[(need.shift_type_id, need.day)][1], membership_id))
    try:
        await session.flush()
    except IntegrityError:  # someone put a member on one of these slots meanwhile: nothing of this stays
        await session.rollback()
        raise Conflict(_("The schedule changed while it was being filled. Try again.")) from None
    emails = {m.id: m.user.email for m in members}
    for row, shift, membership_id in created:
        await audit.record(session, actor, "assignment.created", entity_type="assignment", entity_id=row.id,
                           after={"shift": shift.code, "date": row.date.isoformat(), "member": emails[membership_id],
                                  "membership_id": membership_id, "source": "generated"})
    if created:
        # One event for the whole fill: open views refresh once, not once per seat.
        await emit(session, org_id, "rota.filled", entity_type="schedule",
                   payload={"start": start.isoformat(), "end": end.isoformat(), "count": len(created)})
    if commit_now:
        await commit(session)
    unfilled = [(needs[(n.shift_type_id, n.day)][1].name, n.day, left) for n, left in plan.unfilled]
    unfilled.sort(key=lambda u: (u[1], u[0]))
    return FillResult(start=start, end=end, created=len(created), unfilled=unfilled)
