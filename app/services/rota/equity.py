"""The equity ledger: each member's weighted points, and how they arose.

The arithmetic (the same the generator optimises, :mod:`app.services.rota.objective`):

- a shift earns its *weight*; on a Saturday or Sunday its *weekend weight*; on a holiday of the
  organization its *holiday weight* (a holiday on a weekend counts as a holiday);
- a member's *points per FTE* are their points divided by their FTE (a half-time member with 10
  points has 20 per FTE);
- a member's *fair share* of a period is all points earned in it times their FTE over the sum of the
  FTEs of everyone who takes shifts; the *deviation* is (points - fair share) / FTE, in points per FTE.

Only the published schedule counts: drafts are nobody's load until they are published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from babel.dates import format_skeleton
from sqlalchemy import select

from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.models import Assignment, Holiday, Membership
from app.services.permissions import require
from app.services.rota.load import points_of
from app.services.rota.rules import format_points

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor
    from app.services.rota.generate import Built

__all__ = ("Ledger", "LedgerRow", "can_see", "deviations", "draft_summary", "ledger", "max_deviation")


def can_see(actor: Actor) -> bool:
    """Owners, managers and members (who see every published shift anyway); not viewers. API keys with
    ``schedule:read`` act as viewers but are let through by the API, which serves integrators."""
    return actor.is_system or (not actor.viewing_as and actor.role in {"owner", "manager", "member"})


def deviations(loads: Mapping[Any, float], ftes: Mapping[Any, float], total: float | None = None) -> dict[Any, float]:
    """Each member's (load - fair share) / FTE; the fair share splits ``total`` (default: the sum of loads) by FTE."""
    if not ftes:
        return {}
    fte_sum = sum(f or 1.0 for f in ftes.values())
    whole = sum(loads.values()) if total is None else total
    return {k: (loads.get(k, 0.0) - whole * (f or 1.0) / fte_sum) / (f or 1.0) for k, f in ftes.items()}


def max_deviation(loads: Mapping[Any, float], ftes: Mapping[Any, float], total: float | None = None) -> float:
    """The largest absolute deviation from fair share, in points per FTE."""
    devs = deviations(loads, ftes, total)
    return max((abs(v) for v in devs.values()), default=0.0)


# -- the draft's figures (the worker stores them with the draft) -----------------------------------------


def draft_summary(built: Built, cells: Iterable[tuple[int, int, date]]) -> dict[str, Any]:
    """Fairness of a generated draft: load = history window + published + the draft's cells."""
    inputs = built.inputs
    shifts = {s.id: s for s in inputs.shifts}
    window = inputs.history_start or inputs.start
    loads: dict[int, float] = defaultdict(float)
    weekend: dict[int, float] = defaultdict(float)
    members = {m.id: m for m in inputs.members}
    counted = [c for c in inputs.published if window <= c[2] <= inputs.end]
    counted += [c for c in inputs.locks if inputs.start <= c[2] <= inputs.end]
    counted += list(cells)
    for mid, sid, day in counted:
        if mid not in members or sid not in shifts:
            continue
        p = points_of(shifts[sid], day, inputs.holidays)
        loads[mid] += p.value
        if p.category != "weekday":
            weekend[mid] += p.value
    ftes = {m.id: m.fte for m in inputs.members}
    return {
        "max_deviation": round(max_deviation(loads, ftes), 2),
        "weekend_max_deviation": round(max_deviation(weekend, ftes), 2),
        "members": len(members),
    }


# -- the ledger ------------------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    membership_id: int
    name: str
    fte: float
    points: float = 0.0
    weekday_points: float = 0.0
    weekend_points: float = 0.0
    holiday_points: float = 0.0
    shifts: int = 0
    weekends: int = 0
    holidays: int = 0
    nights: int = 0
    ytd_points: float = 0.0
    fair_share: float = 0.0
    deviation: float = 0.0  # points per FTE, signed
    lines: list[str] = field(default_factory=list)

    @property
    def per_fte(self) -> float:
        return self.points / (self.fte or 1.0)

    @property
    def ytd_per_fte(self) -> float:
        return self.ytd_points / (self.fte or 1.0)


@dataclass
class Ledger:
    start: date
    end: date
    year_start: date
    rows: list[LedgerRow]
    total: float
    max_deviation: float


def _day(day: date) -> str:
    return format_skeleton("MMMd", day, locale=DEFAULT_LOCALE)


async def ledger(session: AsyncSession, actor: Actor, start: date, end: date) -> Ledger:
    """Every member's points from ``start`` to ``end`` and since 1 January of ``end``'s year (published only)."""
    require(actor, "schedule.read")
    org_id = actor.organization_id
    year_start = date(end.year, 1, 1)
    first = min(start, year_start)
    members = list((await session.execute(select(Membership).where(
        Membership.organization_id == org_id, Membership.active.is_(True), Membership.in_schedule.is_(True),
        Membership.role != "viewer"))).scalars().unique())
    holidays = {h.date: h.name for h in (await session.execute(select(Holiday).where(
        Holiday.organization_id == org_id, Holiday.active.is_(True), Holiday.date >= first,
        Holiday.date <= end))).scalars()}
    rows = {m.id: LedgerRow(m.id, m.user.name, float(m.fte or 1.0)) for m in members}
    assignments = (await session.execute(select(Assignment).where(
        Assignment.organization_id == org_id, Assignment.status == "active", Assignment.draft_id.is_(None),
        Assignment.date >= first, Assignment.date <= end).order_by(Assignment.date))).scalars().unique()
    detail: dict[int, dict[tuple[str, str, float], list[date]]] = defaultdict(lambda: defaultdict(list))
    weekends: dict[int, set[date]] = defaultdict(set)
    for a in assignments:
        row = rows.get(a.membership_id)
        if row is None:
            continue
        p = points_of(a.shift_type, a.date, holidays)
        if a.date >= year_start:
            row.ytd_points += p.value
        if not start <= a.date <= end:
            continue
        row.points += p.value
        row.shifts += 1
        setattr(row, f"{p.category}_points", getattr(row, f"{p.category}_points") + p.value)
        if p.category == "holiday":
            row.holidays += 1
        if a.date.weekday() >= 5:
            weekends[row.membership_id].add(date.fromordinal(a.date.toordinal() - (a.date.weekday() - 5)))
        if a.shift_type.is_overnight:
            row.nights += 1
        detail[row.membership_id][(a.shift_type.name, p.category, p.value)].append(a.date)
    for mid, sats in weekends.items():
        rows[mid].weekends = len(sats)
    total = sum(r.points for r in rows.values())
    devs = deviations({k: r.points for k, r in rows.items()}, {k: r.fte for k, r in rows.items()}, total)
    fte_sum = sum(r.fte for r in rows.values()) or 1.0
    for mid, row in rows.items():
        row.fair_share = total * row.fte / fte_sum
        row.deviation = devs.get(mid, 0.0)
        row.lines = _explain(row, detail[mid], holidays)
    ordered = sorted(rows.values(), key=lambda r: (-r.per_fte, r.name.lower()))
    return Ledger(start, end, year_start, ordered, total, max((abs(r.deviation) for r in ordered), default=0.0))


def _explain(row: LedgerRow, detail: Mapping[tuple[str, str, float], list[date]],
             holidays: Mapping[date, str]) -> list[str]:
    lines = []
    labels = {"weekday": _("on weekdays"), "weekend": _("on weekends"), "holiday": _("on holidays")}
    for (name, category, value), dates in sorted(detail.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        n = len(dates)
        when = labels[category]
        if category == "holiday":
            when = _("on holidays (%(days)s)", days=", ".join(f"{_day(d)} {holidays.get(d, '')}".strip()
                                                              for d in dates[:4]))
        total = ngettext("%(amount)s point", "%(amount)s points", 1 if n * value == 1 else 2,
                         amount=format_points(n * value))
        lines.append(_("%(n)d × %(shift)s %(when)s × %(w)s = %(total)s", n=n, shift=name, when=when,
                       w=format_points(value), total=total))
    if not lines:
        lines.append(_("No published shifts in this period."))
    lines.append(_("Total %(points)s ÷ FTE %(fte)s = %(per)s points per FTE.", points=format_points(row.points),
                   fte=format_points(row.fte), per=format_points(round(row.per_fte, 2))))
    share = format_points(round(row.fair_share, 2))
    dev = row.deviation
    if abs(dev) < 0.005:
        lines.append(_("Fair share %(share)s: exactly on it.", share=share))
    elif dev > 0:
        lines.append(_("Fair share %(share)s: %(dev)s points per FTE above it.", share=share,
                       dev=format_points(round(dev, 2))))
    else:
        lines.append(_("Fair share %(share)s: %(dev)s points per FTE below it.", share=share,
                       dev=format_points(round(-dev, 2))))
    return lines
