"""Rota date arithmetic at the edges: DST nights, month ends, leap days, midnight crossings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.services.rota.dates import (
    local_wall_to_utc,
    month_bounds,
    month_grid,
    occurrence,
    parse_when,
    week_bounds,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def test_it_credits_a_night_shift_on_spring_forward_with_one_hour_less() -> None:
    # 2026-03-08: New York clocks jump from 02:00 to 03:00.
    night = occurrence(date(2026, 3, 7), time(23, 0), 8 * 60, NY)
    assert night.hours == 7
    assert night.ends_at.astimezone(NY).time() == time(7, 0)


def test_it_credits_a_night_shift_on_fall_back_with_one_hour_more() -> None:
    # 2026-11-01: New York clocks go back from 02:00 to 01:00.
    night = occurrence(date(2026, 10, 31), time(23, 0), 8 * 60, NY)
    assert night.hours == 9
    assert night.ends_at.astimezone(NY).time() == time(7, 0)


def test_it_keeps_an_ordinary_night_at_its_length() -> None:
    night = occurrence(date(2026, 3, 14), time(23, 0), 8 * 60, NY)
    assert night.hours == 8


def test_it_moves_a_start_inside_the_spring_gap_forward() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; it happens at 03:30 local.
    start = local_wall_to_utc(date(2026, 3, 29), time(2, 30), BERLIN)
    assert start.astimezone(BERLIN).time() == time(3, 30)


def test_it_takes_the_first_of_a_repeated_hour() -> None:
    start = local_wall_to_utc(date(2026, 10, 25), time(2, 30), BERLIN)
    assert start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still summer time (+02:00)


def test_it_shows_a_midnight_crossing_shift_on_both_days() -> None:
    night = occurrence(date(2026, 1, 31), time(19, 0), 12 * 60, BERLIN)
    assert night.local_days(BERLIN) == [date(2026, 1, 31), date(2026, 2, 1)]


def test_it_shows_a_day_shift_ending_at_midnight_on_one_day() -> None:
    evening = occurrence(date(2026, 1, 31), time(16, 0), 8 * 60, BERLIN)
    assert evening.local_days(BERLIN) == [date(2026, 1, 31)]


@pytest.mark.parametrize(
    ("day", "last"),
    [
        (date(2026, 1, 15), 31),
        (date(2026, 2, 28), 28),
        (date(2028, 2, 10), 29),  # leap year
        (date(2100, 2, 10), 28),  # not a leap year
        (date(2000, 2, 10), 29),  # leap year
        (date(2026, 4, 30), 30),
        (date(2026, 12, 31), 31),
    ],
)
def test_it_knows_the_last_day_of_every_month(day: date, last: int) -> None:
    first, end = month_bounds(day)
    assert first.day == 1
    assert end.day == last


def test_it_builds_month_grids_of_whole_weeks_that_hold_every_day() -> None:
    for year in (2026, 2028):
        for month in range(1, 13):
            grid = month_grid(date(year, month, 1))
            flat = [d for week in grid for d in week]
            assert all(len(week) == 7 for week in grid)
            assert flat[0].weekday() == 0
            first, last = month_bounds(date(year, month, 1))
            assert first in flat and last in flat


def test_it_starts_weeks_on_monday() -> None:
    assert week_bounds(date(2026, 3, 8)) == (date(2026, 3, 2), date(2026, 3, 8))


def test_it_reads_when_like_a_person() -> None:
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert parse_when("now", NY, now) == now
    assert parse_when("tonight", NY, now).astimezone(NY) == datetime(2026, 3, 2, 20, 0, tzinfo=NY)
    assert parse_when("tomorrow", NY, now).astimezone(NY) == datetime(2026, 3, 3, 8, 0, tzinfo=NY)
    assert parse_when("2026-03-05 03:00", NY, now).astimezone(NY) == datetime(2026, 3, 5, 3, 0, tzinfo=NY)
    assert parse_when("2026-03-05T03:00+00:00", NY, now) == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    assert parse_when("next blue moon", NY, now) is None
