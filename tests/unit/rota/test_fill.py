"""The round-robin fill's planning step: fewest weighted points per FTE first, qualifications, headcount,
no overlapping shifts, rest after a long shift as a preference, open seats reported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from app.services.rota.dates import occurrence
from app.services.rota.fill import Need, Person, plan_fill

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 3, 2)


def need(shift: int, day: date, start: str, hours: float, *, weight: float = 1.0, seats: int = 1,
         qualification: str | None = None, taken: frozenset[int] = frozenset(), tz: ZoneInfo = BERLIN) -> Need:
    h, m = map(int, start.split(":"))
    from datetime import time

    when = occurrence(day, time(h, m), int(hours * 60), tz)
    return Need(shift_type_id=shift, day=day, starts_at=when.starts_at, ends_at=when.ends_at, weight=weight,
                seats=seats, qualification=qualification, taken=taken)


def people(*names: str, **kw: object) -> list[Person]:
    return [Person(i + 1, name, **kw) for i, name in enumerate(names)]  # type: ignore[arg-type]


def test_it_takes_turns_when_everyone_has_the_same_points() -> None:
    needs = [need(1, MONDAY + timedelta(days=d), "08:00", 4) for d in range(6)]
    team = people("Ann", "Ben", "Cat")

    plan = plan_fill(needs, team)

    assert [m for _n, m in plan.picks] == [1, 2, 3, 1, 2, 3]
    assert plan.unfilled == []


def test_it_gives_the_next_seat_to_the_fewest_weighted_points_per_fte() -> None:
    ann, ben, cat = people("Ann", "Ben", "Cat")
    ann.points = 6.0  # 6 per FTE
    ben.points, ben.fte = 2.0, 0.5  # half time: 2 points weigh like 4 (by raw points Ben would go first)
    cat.points = 3.5  # 3.5 per FTE
    needs = [need(1, MONDAY + timedelta(days=d), "08:00", 4) for d in range(3)]

    plan = plan_fill(needs, [ann, ben, cat])

    # Cat 3.5 -> 4.5; then Ben 4 < 4.5 -> Ben 3 points = 6 per FTE; then Cat 4.5 < 6.
    assert [m for _n, m in plan.picks] == [3, 2, 3]
    assert (ann.points, ben.points, cat.points) == (6.0, 3.0, 5.5)


def test_it_counts_points_not_shifts() -> None:
    ann, ben = people("Ann", "Ben")
    ann.points, ann.shifts = 3.0, 1  # one holiday shift of weight 3
    ben.points, ben.shifts = 2.0, 2  # two ordinary weekday shifts

    plan = plan_fill([need(1, MONDAY, "08:00", 4)], [ann, ben])

    assert [m for _n, m in plan.picks] == [2]  # Ben: fewer points, though more shifts


def test_it_only_puts_qualified_members_on_a_shift_that_needs_it_and_serves_scarce_shifts_first() -> None:
    team = [Person(1, "Ann", qualifications=frozenset({"PEDS"})), Person(2, "Ben")]
    clinic = need(1, MONDAY, "08:00", 8)  # anyone; overlaps peds call
    peds = need(2, MONDAY, "09:00", 8, qualification="PEDS")

    plan = plan_fill([clinic, peds], team)

    assert {(n.shift_type_id, m) for n, m in plan.picks} == {(2, 1), (1, 2)}
    assert plan.unfilled == []


def test_it_never_puts_one_member_on_two_overlapping_shifts_and_reports_open_seats() -> None:
    team = people("Ann")
    night = need(1, MONDAY, "19:00", 12)
    early = need(2, MONDAY + timedelta(days=1), "06:00", 4)  # overlaps the night's last hour

    plan = plan_fill([night, early], team)

    assert [(n.shift_type_id, m) for n, m in plan.picks] == [(1, 1)]
    assert [(n.shift_type_id, left) for n, left in plan.unfilled] == [(2, 1)]


def test_it_fills_the_headcount_with_different_members() -> None:
    team = people("Ann", "Ben", "Cat")
    clinic = need(1, MONDAY, "08:00", 4, seats=2, taken=frozenset({3}))  # Cat is on it already

    plan = plan_fill([clinic], team)

    assert sorted(m for _n, m in plan.picks) == [1, 2]


def test_it_counts_a_member_already_on_the_slot_and_leaves_seats_open_when_nobody_is_left() -> None:
    team = people("Ann")
    clinic = need(1, MONDAY, "08:00", 4, seats=3)

    plan = plan_fill([clinic], team)

    assert [m for _n, m in plan.picks] == [1]
    assert [left for _n, left in plan.unfilled] == [2]


def test_it_prefers_someone_rested_after_a_night_but_uses_them_rather_than_leave_a_seat_open() -> None:
    ann, ben = people("Ann", "Ben")
    night = need(1, MONDAY, "19:00", 12)
    morning = need(2, MONDAY + timedelta(days=1), "08:00", 4)
    ann.points = 0.0
    ben.points = 5.0  # Ben has far more points, but Ann comes off the night shift at 07:00

    plan = plan_fill([night, morning], [ann, ben])
    assert [(n.shift_type_id, m) for n, m in plan.picks] == [(1, 1), (2, 2)]

    alone = Person(1, "Ann")
    plan = plan_fill([night, morning], [alone])
    assert [(n.shift_type_id, m) for n, m in plan.picks] == [(1, 1), (2, 1)]  # 07:00 to 08:00 does not overlap


def test_it_handles_a_night_across_the_spring_forward_in_real_hours() -> None:
    # 29 March 2026: clocks in Berlin go from 02:00 to 03:00, so 19:00 + 12 h of wall clock lasts 11 real hours.
    saturday = date(2026, 3, 28)
    night = need(1, saturday, "19:00", 12)
    assert night.ends_at - night.starts_at == timedelta(hours=11)
    just_after = need(2, saturday + timedelta(days=1), "07:00", 4)
    team = people("Ann")

    plan = plan_fill([night, just_after], team)

    assert len(plan.picks) == 2  # back to back, not overlapping
    assert plan.picks[0][0].ends_at == plan.picks[1][0].starts_at == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_it_spreads_a_realistic_week_evenly() -> None:
    team = people("Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus")
    needs = []
    for d in range(7):
        day = MONDAY + timedelta(days=d)
        weekend = d >= 5
        needs.append(need(1, day, "19:00", 12, weight=3.0 if weekend else 2.0))
        if not weekend:
            needs.append(need(2, day, "08:00", 4, seats=2))
            needs.append(need(3, day, "13:00", 4, seats=2))
        else:
            needs.append(need(4, day, "08:00", 24, weight=2.5))

    plan = plan_fill(needs, team)

    assert plan.unfilled == []
    nights: dict[int, list[date]] = {}
    for n, m in plan.picks:
        if n.is_long:
            nights.setdefault(m, []).append(n.day)
    for days in nights.values():  # nobody does long shifts on consecutive days while others can
        assert all((b - a).days > 1 for a, b in pairwise(sorted(days))), days
    points = sorted(p.points for p in team)
    assert points[-1] - points[0] <= 3.0  # nobody carries more than one heavy shift beyond anyone else
    for person in team:
        spans = sorted(person.busy)
        assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_it_does_not_give_one_member_a_run_of_nights() -> None:
    # Three people, a night call every night and day shifts they could all do: whoever worked last night
    # is kept off the day shifts (rest), so by points alone they would get the next night as well.
    team = people("Ann", "Ben", "Cat")
    needs = []
    for d in range(5):
        day = MONDAY + timedelta(days=d)
        needs += [need(1, day, "07:00", 5), need(2, day, "13:00", 4), need(3, day, "19:00", 12, weight=2.0)]

    plan = plan_fill(needs, team)

    nights = [m for n, m in sorted(plan.picks, key=lambda p: p[0].starts_at) if n.shift_type_id == 3]
    assert all(a != b for a, b in pairwise(nights)), nights
