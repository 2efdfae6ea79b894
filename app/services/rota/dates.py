"""Date and time arithmetic of the rota, all through ``zoneinfo``.

A shift type starts at a local wall-clock time and lasts a wall-clock duration,
so "19:00 for 12 hours" ends at 07:00 local the next morning whatever the clocks
do overnight: on the night clocks spring forward it lasts 11 real hours, on the
night they fall back 13. Members are credited with the real hours.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = (
    "Occurrence",
    "day_bounds",
    "days",
    "is_weekend",
    "local_wall_to_utc",
    "month_bounds",
    "month_grid",
    "occurrence",
    "parse_when",
    "week_bounds",
)


def local_wall_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a local wall-clock time happens.

    A time that does not exist (skipped by a spring-forward) is moved forward by
    the gap, as clocks do; an ambiguous one (repeated by a fall-back) is the first.
    """
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:  # skipped: fold=0 used the earlier offset
        later = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        utc = max(utc, later)
    return utc


@dataclass(frozen=True)
class Occurrence:
    """A shift on a local date, as real instants."""

    day: date
    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    def local_days(self, tz: ZoneInfo) -> list[date]:
        """Every local date the shift touches (a night shift shows on both days)."""
        first = self.starts_at.astimezone(tz).date()
        last = (self.ends_at - timedelta(microseconds=1)).astimezone(tz).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def occurrence(day: date, start: time, duration_minutes: int, tz: ZoneInfo) -> Occurrence:
    """The real start and end of a shift starting ``start`` local on ``day`` and lasting that wall-clock time."""
    starts_at = local_wall_to_utc(day, start, tz)
    end_wall = datetime.combine(day, start) + timedelta(minutes=duration_minutes)
    ends_at = local_wall_to_utc(end_wall.date(), end_wall.time(), tz)
    return Occurrence(day=day, starts_at=starts_at, ends_at=ends_at)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def days(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def day_bounds(day: date) -> tuple[date, date]:
    return day, day


def week_bounds(day: date) -> tuple[date, date]:
    """Monday to Sunday of ``day``'s week."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of ``day``'s month (28, 29, 30 or 31 days)."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def month_grid(day: date) -> list[list[date]]:
    """The weeks (Monday first) that show ``day``'s month, including the spill-over days."""
    first, last = month_bounds(day)
    start, _ = week_bounds(first)
    _, end = week_bounds(last)
    all_days = days(start, end)
    return [all_days[i : i + 7] for i in range(0, len(all_days), 7)]


def parse_when(raw: str | None, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A person's "when" as an instant: now, tonight (20:00), tomorrow (08:00), a date, a date and time.

    Returns None for text it cannot read.
    """
    text = (raw or "now").strip().lower()
    local_now = now.astimezone(tz)
    if text in {"", "now"}:
        return now
    if text == "tonight":
        return local_wall_to_utc(local_now.date(), time(20, 0), tz) if local_now.hour < 20 else now
    if text == "tomorrow":
        return local_wall_to_utc(local_now.date() + timedelta(days=1), time(8, 0), tz)
    text = text.replace("t", " ", 1) if len(text) > 10 and text[10] == "t" else text
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return local_wall_to_utc(parsed.date(), parsed.time(), tz)
    try:
        return local_wall_to_utc(date.fromisoformat(text), time(12, 0), tz)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(raw.strip())  # an instant with offset, from the API
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else local_wall_to_utc(parsed.date(), parsed.time(), tz)
