"""Whether the practice can still staff its qualified shifts while a member is off.

Used before time off is approved automatically (an approval that leaves, say, Christmas pediatrics call
with nobody qualified free must reach a manager instead) and on the manager's decision page, as a warning.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.i18n import _
from app.models import Membership, ShiftType
from app.services.rota.request_support import day_label, days_between, takes_shifts
from app.services.rota.rules import load_rules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ("qualified_gaps",)


async def qualified_gaps(session: AsyncSession, membership: Membership, start: date, end: date) -> list[str]:
    """The shifts between ``start`` and ``end`` that need a qualification ``membership`` holds and would lack
    enough qualified members free (not off, not on a fixed day off) if ``membership`` were off too."""
    from app.services.rota.requests import approved_time_off

    mine = set(membership.qualifications or [])
    shifts = [s for s in (await session.execute(select(ShiftType).where(
        ShiftType.organization_id == membership.organization_id, ShiftType.active.is_(True),
        ShiftType.qualification.is_not(None)))).scalars() if s.qualification in mine]
    if not shifts:
        return []
    others = [m for m in (await session.execute(select(Membership).where(
        Membership.organization_id == membership.organization_id, Membership.id != membership.id))).scalars()
        if takes_shifts(m)]
    off = await approved_time_off(session, membership.organization_id, start, end)
    fixed = (await load_rules(session, membership.organization_id)).fixed_days_off
    gaps: list[str] = []
    for day in days_between(start, end):
        for shift in sorted(shifts, key=lambda s: (s.start_time, s.name)):
            if day.weekday() not in shift.days_of_week:
                continue
            free = [m for m in others if shift.qualification in (m.qualifications or [])
                    and day not in off.get(m.id, set()) and day.weekday() not in fixed.get(m.id, frozenset())]
            if len(free) < shift.headcount:
                gaps.append(_("%(day)s %(shift)s needs %(n)d member qualified %(q)s; %(free)d would be free.",
                              day=day_label(day), shift=shift.name, n=shift.headcount, q=shift.qualification,
                              free=len(free)))
    return gaps
