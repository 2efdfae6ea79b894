"""Which shifts one member may not both work, as the generator sees it: on real instants, DST included.

:class:`Clashes` answers for two shifts on different days (overlap, a forbidden succession, too little rest
in real hours in the organization's time zone); :func:`allowed_pairs` lists the shift types one member may
work on the same day. :func:`app.services.rota.generate.build_problem` states the rules with them, so that
the generator agrees with :func:`app.services.rota.rules.check_change`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.services.rota.dates import occurrence

if TYPE_CHECKING:
    from app.services.rota.generate_inputs import Inputs, ShiftSpec

__all__ = ("Clashes", "allowed_pairs", "shift_minutes")


def shift_minutes(s: ShiftSpec) -> tuple[int, int]:
    """Start and end of a shift in minutes from its day's midnight, by the wall clock."""
    start = s.start_time.hour * 60 + s.start_time.minute
    return start, start + s.minutes


def allowed_pairs(inputs: Inputs) -> list[tuple[ShiftSpec, ShiftSpec]]:
    """Pairs of shift types one member may work on the same day: they do not overlap and the rules allow it.

    By the wall clock; :class:`Clashes` also closes a pair on a day its real instants overlap (a shift in the
    hour a spring-forward skips)."""
    shifts = [s for s in inputs.shifts if s.active]
    rules = inputs.rules
    pairs = []
    for i, a in enumerate(shifts):
        for b in shifts[i + 1:]:
            (a0, a1), (b0, b1) = shift_minutes(a), shift_minutes(b)
            if a0 < b1 and b0 < a1:
                continue
            if rules.limit_same_day and frozenset((a.id, b.id)) not in rules.combinable:
                continue
            pairs.append((a, b) if a0 <= b0 else (b, a))
    return pairs


class Clashes:
    """Which two shifts (a shift type on a local date each) one member may not both work.

    The arithmetic of :func:`app.services.rota.rules.check_change`, on the real instants of
    :func:`app.services.rota.dates.occurrence` in the organization's time zone, so that the generator
    never makes an assignment the rules checker refuses, nor refuses one it allows: shifts on different
    days clash when they overlap, when the second follows the first the next day as a forbidden
    succession, or when the rest between them is under the minimum rest (real hours: the night clocks
    spring forward has one hour less, the night they fall back one more). With ``rules=False`` (the
    explanation's search relaxing "successions") only overlaps clash.
    """

    def __init__(self, inputs: Inputs, *, rules: bool = True) -> None:
        self.tz = ZoneInfo(inputs.timezone or "UTC")
        self.by_id = {s.id: s for s in inputs.shifts}
        self.forbidden = inputs.rules.forbidden_successions if rules else frozenset()
        self.rest = inputs.rules.min_rest_hours if rules else None
        self._when: dict[tuple[int, date], tuple[datetime, datetime]] = {}
        self._clash: dict[tuple[int, date, int, date], bool] = {}

    def when(self, sid: int, day: date) -> tuple[datetime, datetime]:
        key = (sid, day)
        found = self._when.get(key)
        if found is None:
            s = self.by_id[sid]
            o = occurrence(day, s.start_time, s.minutes, self.tz)
            found = self._when[key] = (o.starts_at, o.ends_at)
        return found

    def reach(self) -> int:
        """The most days apart two shifts can be and still clash (a 48-hour shift, a long minimum rest)."""
        if not self.by_id:
            return 1
        latest_end = max(shift_minutes(s)[1] for s in self.by_id.values())
        earliest = min(shift_minutes(s)[0] for s in self.by_id.values())
        rest = round((self.rest or 0) * 60)
        return max(1, (latest_end - earliest + rest + 120) // (24 * 60) + 1)

    def overlap(self, a: int, b: int, day: date) -> bool:
        """Whether shift types ``a`` and ``b`` overlap in real time on ``day`` (both starting that day)."""
        (a0, a1), (b0, b1) = self.when(a, day), self.when(b, day)
        return a0 < b1 and b0 < a1

    def clash(self, a: int, day_a: date, b: int, day_b: date) -> bool:
        """Whether ``a`` on ``day_a`` and ``b`` on ``day_b`` (different days) cannot both be worked."""
        if day_b < day_a:
            a, day_a, b, day_b = b, day_b, a, day_a
        key = (a, day_a, b, day_b)
        found = self._clash.get(key)
        if found is None:
            found = self._clash[key] = self._decide(a, day_a, b, day_b)
        return found

    def _decide(self, a: int, day_a: date, b: int, day_b: date) -> bool:
        (a0, a1), (b0, b1) = self.when(a, day_a), self.when(b, day_b)
        if a0 < b1 and b0 < a1:
            return True
        if (day_b - day_a).days == 1 and (a, b) in self.forbidden:
            return True
        if self.rest is None:
            return False
        rest = (b0 - a1) if b0 >= a1 else (a0 - b1)
        return rest.total_seconds() / 3600 < self.rest

    def units(self, u: tuple[int, ...], day_u: date, v: tuple[int, ...], day_v: date) -> bool:
        return any(self.clash(a, day_u, b, day_v) for a in u for b in v)
