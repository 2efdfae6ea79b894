"""The generator's inputs: an organization's data for one range as plain values, and reading them from the database.

:func:`load_inputs` reads what the generator needs (shift types, members with FTE and qualifications,
approved time off, fixed days off, rules, holidays, preferences, the published schedule around the range and
the draft's locked cells) into :class:`Inputs`, which :func:`app.services.rota.generate.build_problem` maps
to the solver's problem. Tests and benchmarks build :class:`Inputs` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.models import Assignment, Holiday, Membership, Organization, Preference, ShiftType
from app.services.rota.rules import Rules, load_rules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ("DEFAULT_HISTORY_MONTHS", "Inputs", "MemberSpec", "ShiftSpec", "Wish", "load_inputs")

DEFAULT_HISTORY_MONTHS = 3


# -- plain inputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSpec:
    id: int
    code: str
    name: str
    start_time: time
    minutes: int
    days_of_week: tuple[int, ...]
    headcount: int = 1
    weight: float = 1.0
    weekend_weight: float = 1.5
    holiday_weight: float = 2.0
    qualification: str | None = None
    active: bool = True

    def runs_on(self, day: date) -> bool:
        return self.active and day.weekday() in self.days_of_week


@dataclass(frozen=True)
class MemberSpec:
    id: int
    name: str
    fte: float = 1.0
    qualifications: frozenset[str] = frozenset()
    leave: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Wish:
    """A preference: ``kind`` want | avoid, on a date and/or a shift type, strength 1-3."""

    membership_id: int
    kind: str
    day: date | None = None
    shift_type_id: int | None = None
    strength: int = 2


@dataclass
class Inputs:
    start: date
    end: date
    shifts: list[ShiftSpec]
    members: list[MemberSpec]
    rules: Rules = field(default_factory=Rules)
    holidays: frozenset[date] = frozenset()
    holiday_names: dict[date, str] = field(default_factory=dict)
    # (membership id, shift type id, day): published around the range (history window to a month after)
    published: list[tuple[int, int, date]] = field(default_factory=list)
    # the draft's locked cells, same shape
    locks: list[tuple[int, int, date]] = field(default_factory=list)
    wishes: list[Wish] = field(default_factory=list)
    history_start: date | None = None
    timezone: str = "UTC"  # the organization's: rest between shifts is counted in real hours

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


# -- from the database -----------------------------------------------------------------------------------


def _month_back(day: date, months: int) -> date:
    y, m = day.year, day.month - months
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


async def load_inputs(session: AsyncSession, organization_id: int, start: date, end: date, *,
                      draft_id: int | None = None, history_months: int = DEFAULT_HISTORY_MONTHS) -> Inputs:
    """Everything the generator needs about one organization and range, as plain :class:`Inputs`."""
    history_start = _month_back(start, history_months) if history_months > 0 else start
    shift_rows = (await session.execute(select(ShiftType).where(ShiftType.organization_id == organization_id)
                                        .order_by(ShiftType.position, ShiftType.code))).scalars().unique()
    shifts = [ShiftSpec(s.id, s.code, s.name, s.start_time, s.duration_minutes, tuple(s.days_of_week or ()),
                        s.headcount, s.weight, s.weekend_weight, s.holiday_weight, s.qualification, s.active)
              for s in shift_rows]
    member_rows = list((await session.execute(
        select(Membership).where(Membership.organization_id == organization_id, Membership.active.is_(True),
                                 Membership.in_schedule.is_(True), Membership.role != "viewer")
    )).scalars().unique())
    try:
        from app.services.rota.requests import approved_time_off

        leave = await approved_time_off(session, organization_id, start, end)
    except ImportError:  # the request workflow is not installed
        leave = {}
    members = [MemberSpec(m.id, m.user.name, float(m.fte or 1.0), frozenset(m.qualifications or []),
                          frozenset(leave.get(m.id, ()))) for m in member_rows]
    members.sort(key=lambda m: (m.name.lower(), m.id))
    rules = await load_rules(session, organization_id)
    hol_rows = (await session.execute(select(Holiday).where(
        Holiday.organization_id == organization_id, Holiday.active.is_(True), Holiday.date >= history_start,
        Holiday.date <= end))).scalars()
    holiday_names = {h.date: h.name for h in hol_rows}
    published = [(a.membership_id, a.shift_type_id, a.date) for a in (await session.execute(
        select(Assignment.membership_id, Assignment.shift_type_id, Assignment.date).where(
            Assignment.organization_id == organization_id, Assignment.status == "active",
            Assignment.draft_id.is_(None), Assignment.date >= history_start,
            Assignment.date <= end + timedelta(days=31)))).all()]
    locks = []
    if draft_id is not None:
        locks = [(a.membership_id, a.shift_type_id, a.date) for a in (await session.execute(
            select(Assignment.membership_id, Assignment.shift_type_id, Assignment.date).where(
                Assignment.draft_id == draft_id, Assignment.status == "active", Assignment.locked.is_(True)))).all()]
    wish_rows = (await session.execute(select(Preference).where(Preference.organization_id == organization_id)))
    wishes = [Wish(p.membership_id, p.kind, p.date, p.shift_type_id, p.strength) for p in wish_rows.scalars().unique()
              if p.date is None or start <= p.date <= end]
    org = await session.get(Organization, organization_id)
    return Inputs(start=start, end=end, shifts=shifts, members=members, rules=rules,
                  holidays=frozenset(holiday_names), holiday_names=holiday_names, published=published, locks=locks,
                  wishes=wishes, history_start=history_start, timezone=org.timezone if org else "UTC")
