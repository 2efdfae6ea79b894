"""Load arithmetic: what a shift weighs (its weight, its weekend weight on a weekend, its holiday weight on a
holiday) and how a change moves a person's points, said in words ("+1.5 weekend points, \u22121 point")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.i18n import _, ngettext
from app.services.rota.dates import is_weekend
from app.services.rota.rules import format_points

__all__ = ("Points", "describe_delta", "load_delta", "points_of")


@dataclass(frozen=True)
class Points:
    """What one shift adds to a member's load: its weight, and whether it counts as weekday, weekend or holiday."""

    category: str  # weekday | weekend | holiday
    value: float


def points_of(shift: Any, day: date, holidays: Iterable[date] = ()) -> Points:
    """The weight a shift on ``day`` carries (holiday weight on a holiday, weekend weight on a weekend)."""
    if day in set(holidays):
        return Points("holiday", float(shift.holiday_weight))
    if is_weekend(day):
        return Points("weekend", float(shift.weekend_weight))
    return Points("weekday", float(shift.weight))


def load_delta(gains: Iterable[Points] = (), losses: Iterable[Points] = ()) -> dict[str, float]:
    """Change of one person's load by category; categories that net to zero are left out."""
    delta: dict[str, float] = {}
    for p in gains:
        delta[p.category] = delta.get(p.category, 0.0) + p.value
    for p in losses:
        delta[p.category] = delta.get(p.category, 0.0) - p.value
    return {k: round(v, 4) for k, v in delta.items() if abs(v) > 1e-9}


def _signed(value: float) -> str:
    return ("+" if value > 0 else "\u2212") + format_points(abs(value))


def describe_delta(delta: Mapping[str, float]) -> str:
    """E.g. "+1.5 weekend points, \u22121 point"; "no change in points" when empty."""
    if not delta:
        return _("no change in points")
    parts = []
    for category in ("weekday", "weekend", "holiday"):
        if category not in delta:
            continue
        value = delta[category]
        amount = _signed(value)
        if category == "weekend":
            parts.append(ngettext("%(amount)s weekend point", "%(amount)s weekend points", 1 if abs(value) == 1 else 2,
                                  amount=amount))
        elif category == "holiday":
            parts.append(ngettext("%(amount)s holiday point", "%(amount)s holiday points", 1 if abs(value) == 1 else 2,
                                  amount=amount))
        else:
            parts.append(ngettext("%(amount)s point", "%(amount)s points", 1 if abs(value) == 1 else 2,
                                  amount=amount))
    return ", ".join(parts)
