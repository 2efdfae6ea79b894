"""The generator's objective: fair shares of points per FTE, then weekends and holidays, then preferences.

In this order (lexicographic through weights that no lower term can outweigh):

1. fairness: the largest deviation, over members, of weighted load *per FTE* from the member's fair
   share. Load counts the history window (published shifts of earlier months), each shift at its
   weight, weekend weight on Saturdays and Sundays, holiday weight on holidays. The fair share of a
   member is the whole load (history plus every seat of the range) times their FTE over the sum of FTEs;
2. the same for weekend and holiday points only (their spread);
3. preferences: each avoided shift worked costs its strength (1-3), each wanted one earns it.

Points are scaled by :data:`POINTS_SCALE` and per-FTE deviations by :data:`FTE_SCALE` (the model is
integral); :func:`decode` turns objective values back into "points per FTE".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from app.services.rota.load import points_of
from app.services.rota.solver import Fairness, Request

if TYPE_CHECKING:
    from app.services.rota.generate import Built

__all__ = ("FTE_SCALE", "POINTS_SCALE", "add_objective", "decode", "fte_scale", "scaled_points")

POINTS_SCALE = 20  # 0.05-point resolution: weights such as 1.5, 1.25, 0.2 are exact
FTE_SCALE = 20  # deviation x 20/FTE: 1.0 -> 20, 0.5 -> 40, 0.8 -> 25


def scaled_points(shift: Any, day: date, holidays: Iterable[date]) -> tuple[str, int]:
    p = points_of(shift, day, holidays)
    return p.category, round(p.value * POINTS_SCALE)


def fte_scale(fte: float) -> int:
    return max(1, round(FTE_SCALE / (fte if fte and fte > 0 else 1.0)))


def add_objective(built: Built, *, open_cell: list[list[bool]], name_of: Callable[[int, int], str],
                  prefilled: list[tuple[int, int, date]]) -> None:
    """Give ``built.problem`` its objective (fairness, weekend spread, preferences) and ``built`` its weights.

    ``open_cell[i][j]``: whether unit ``j`` may be worked on day ``i``; ``name_of(j, i)``: the solver shift
    standing for unit ``j`` on day ``i``; ``prefilled``: the fixed cells the solver does not decide, which
    count as already earned.
    """
    inputs = built.inputs
    days = built.days
    base = built.units[: built.base_units]
    by_id = {s.id: s for s in inputs.shifts}
    shifts = [s for s in inputs.shifts if s.active]
    members = list(inputs.members)
    member_ids = {m.id for m in members}
    holidays = inputs.holidays
    requirement = built.requirement

    # Fairness: points per cell, history per member, fair share per member.
    points: dict[tuple[int, str], int] = {}
    wk_points: dict[tuple[int, str], int] = {}
    total = total_wk = 0
    for i, day in enumerate(days):
        for j, u in enumerate(base):
            if not open_cell[i][j]:
                continue
            parts = [scaled_points(by_id[x], day, holidays) for x in u]
            name = name_of(j, i)
            points[(i, name)] = sum(p for _c, p in parts)
            weekendish = sum(p for c, p in parts if c != "weekday")
            if weekendish:
                wk_points[(i, name)] = weekendish
        for s in shifts:
            cat, pts = scaled_points(s, day, holidays)
            seats = requirement[(s.id, day)]
            total += seats * pts
            if cat != "weekday":
                total_wk += seats * pts
    history: dict[str, int] = defaultdict(int)
    history_wk: dict[str, int] = defaultdict(int)
    window_start = inputs.history_start or inputs.start
    counted_cells = [(mid, sid, day) for mid, sid, day in inputs.published
                     if window_start <= day < inputs.start and mid in member_ids] + \
                    [c for c in prefilled if c[0] in member_ids]
    for mid, sid, day in counted_cells:
        shift = by_id.get(sid)
        if shift is None:
            continue
        cat, pts = scaled_points(shift, day, holidays)
        history[str(mid)] += pts
        total += pts
        if cat != "weekday":
            history_wk[str(mid)] += pts
            total_wk += pts
    fte_sum = sum(m.fte or 1.0 for m in members)
    target = {str(m.id): round(total * (m.fte or 1.0) / fte_sum) for m in members}
    target_wk = {str(m.id): round(total_wk * (m.fte or 1.0) / fte_sum) for m in members}
    scale = {str(m.id): fte_scale(m.fte) for m in members}

    requests: list[Request] = []
    for wish in inputs.wishes:
        if wish.membership_id not in member_ids:
            continue
        strength = max(1, min(3, wish.strength))
        for i, day in enumerate(days):
            if wish.day is not None and wish.day != day:
                continue
            for j, u in enumerate(base):
                if not open_cell[i][j] or not all(by_id[x].runs_on(day) for x in u):
                    continue
                if wish.shift_type_id is not None and wish.shift_type_id not in u:
                    continue
                # avoid: costs its strength when worked; want: earns it (a negative cost, no constant offset)
                weight = strength if wish.kind == "avoid" else -strength
                requests.append(Request(str(wish.membership_id), i, name_of(j, i), weight, on=False))
    # Two shifts on one day only when needed: each combined day costs like a mild "avoid".
    for m in members:
        for i, day in enumerate(days):
            for j, u in enumerate(base):
                if len(u) > 1 and open_cell[i][j] and all(by_id[x].runs_on(day) for x in u):
                    requests.append(Request(str(m.id), i, name_of(j, i), 1, on=False))
    positive = sum(r.weight for r in requests if r.weight > 0)
    negative = -sum(r.weight for r in requests if r.weight < 0)
    spread = positive + negative
    top_wk = sum(wk_points.values())
    b2 = max((scale[str(m.id)] * (top_wk + abs(history_wk[str(m.id)] - target_wk[str(m.id)])) for m in members),
             default=0)
    w2 = spread + 1
    w1 = w2 * (b2 + 1) + spread + 1
    built.problem.requests = requests
    built.problem.fairness = Fairness(points=points, target=target, history=dict(history), weight=w1, scale=scale)
    built.problem.extra_fairness = [Fairness(points=wk_points, target=target_wk, history=dict(history_wk), weight=w2,
                                             scale=scale)]
    built.w1, built.w2, built.negative = w1, w2, negative


def decode(built: Built, objective: float | None) -> float | None:
    """The largest deviation from fair share, in points per FTE, that an objective value stands for."""
    if objective is None or objective + built.negative < 0:
        return None  # no bound proven yet
    main = (int(objective) + built.negative) // built.w1
    return round(main / (POINTS_SCALE * FTE_SCALE), 2)
