"""View model of the equity ledger: the table, the bar chart (SVG, drawn on the server) and the explanations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_skeleton

from app.i18n import DEFAULT_LOCALE, _
from app.services.rota.rules import format_points

if TYPE_CHECKING:
    from app.services.rota.equity import Ledger

__all__ = ("chart", "default_period", "ledger_view", "parse_period")

BAR_H, GAP, LABEL_W, CHART_W, PAD = 22, 8, 140, 520, 8


def default_period(today: date) -> tuple[date, date]:
    """This month."""
    first = today.replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date, dict[str, str]]:
    start, end = default_period(today)
    errors: dict[str, str] = {}
    for key, raw in (("from", raw_from), ("to", raw_to)):
        if raw:
            try:
                value = date.fromisoformat(raw.strip())
            except ValueError:
                errors[key] = _("Enter a date as YYYY-MM-DD.")
                continue
            if key == "from":
                start = value
            else:
                end = value
    if not errors and end < start:
        errors["to"] = _("The last day comes before the first.")
    elif not errors and (end - start).days > 366:
        errors["to"] = _("Choose at most a year.")
    return start, end, errors


def _n(value: float) -> str:
    return format_points(round(value, 2))


def chart(ledger: Ledger) -> dict[str, Any]:
    """Horizontal bars of points per FTE, one per member, with the fair share (per FTE) as a line."""
    rows = ledger.rows
    fte_sum = sum(r.fte for r in rows) or 1.0
    fair = ledger.total / fte_sum
    top = max([r.per_fte for r in rows] + [fair, 1.0])
    scale = (CHART_W - LABEL_W - 70) / top
    bars = []
    for i, r in enumerate(rows):
        y = PAD + i * (BAR_H + GAP)
        width = max(0.0, r.per_fte * scale)
        bars.append({"y": y, "text_y": y + BAR_H * 0.7, "width": round(width, 1), "label": r.name,
                     "value": _n(r.per_fte), "value_x": round(LABEL_W + width + 6, 1),
                     "tone": "over" if r.deviation > 0.005 else "under" if r.deviation < -0.005 else "even"})
    height = PAD * 2 + len(rows) * (BAR_H + GAP)
    return {"width": CHART_W, "height": height, "label_w": LABEL_W, "bar_h": BAR_H, "bars": bars,
            "fair_x": round(LABEL_W + fair * scale, 1), "fair_label": _("fair share %(v)s", v=_n(fair)),
            "title": _("Points per FTE, %(start)s to %(end)s", start=_day(ledger.start), end=_day(ledger.end))}


def _day(day: date) -> str:
    return format_skeleton("yMMMd", day, locale=DEFAULT_LOCALE)


def ledger_view(ledger: Ledger, *, me: int | None = None) -> dict[str, Any]:
    """The page's figures; ``me`` (the reader's membership) marks their own row and explanation."""
    rows = []
    for r in ledger.rows:
        dev = r.deviation
        rows.append({
            "id": r.membership_id, "anchor": f"why-{r.membership_id}", "is_me": r.membership_id == me,
            "name": r.name, "fte": _n(r.fte), "points": _n(r.points), "per_fte": _n(r.per_fte),
            "deviation": ("+" if dev > 0.005 else "−" if dev < -0.005 else "±") + _n(abs(dev)),
            "tone": "over" if dev > 0.005 else "under" if dev < -0.005 else "even",
            "shifts": r.shifts, "weekends": r.weekends, "holidays": r.holidays, "nights": r.nights,
            "weekend_points": _n(r.weekend_points), "holiday_points": _n(r.holiday_points),
            "ytd": _n(r.ytd_points), "ytd_per_fte": _n(r.ytd_per_fte), "lines": r.lines,
        })
    mine = next((row for row in rows if row["is_me"]), None)
    return {
        "me": mine,
        "start": ledger.start.isoformat(), "end": ledger.end.isoformat(),
        "title": _("%(start)s to %(end)s", start=_day(ledger.start), end=_day(ledger.end)),
        "year": ledger.year_start.year, "rows": rows, "total": _n(ledger.total),
        "max_deviation": _n(ledger.max_deviation), "chart": chart(ledger) if ledger.rows else None,
    }
