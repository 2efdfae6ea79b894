"""GET /rota/mine: the signed-in member's published shifts over the next 30 days, with real times."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.models import utcnow
from app.services.rota.dates import occurrence
from app.services.rota.schedule import Slot
from app.views.oncall import agenda
from tests.conftest import Browser, World
from tests.integration.oncall._rota import assign, draft_assignment, mid, seed_shift_types
from tests.integration.tenancy import page_text

BERLIN = ZoneInfo("Europe/Berlin")


def days(html: str) -> list[str]:
    """The visible text of each day of the agenda."""
    return [page_text(d) for d in re.findall(r'<li class="agenda-day.*?</ul>\s*</li>', html, re.S)]


def today() -> date:
    return utcnow().astimezone(BERLIN).date()


async def test_it_lists_my_shifts_by_day_with_real_times(client: Browser, world: World) -> None:
    shifts = await seed_shift_types(world)
    mel = mid(world.member)
    await assign(world.alpha_id, shifts["peds-call"], today(), mel)
    await assign(world.alpha_id, shifts["clinic-am"], today() + timedelta(days=2), mel)
    await client.login(world.member.email)

    response = await client.get("/rota/mine")

    assert response.status_code == 200
    assert "My shifts, next 30 days" in response.text
    first, second = days(response.text)
    assert first.startswith("Today")
    assert "Pediatric call" in first and "peds-call" in first and "AMC" in first
    assert "19:00 – 07:00" in first
    tomorrow = today() + timedelta(days=1)
    assert f"overnight, until {tomorrow.strftime('%a')} {tomorrow.day} {tomorrow.strftime('%b')} 07:00" in first
    assert "Clinic AM" in second and "08:00 – 12:00" in second and "4 h" in second
    assert "2 shifts." in page_text(response.text)


async def test_it_shows_only_my_own_published_shifts(client: Browser, world: World) -> None:
    shifts = await seed_shift_types(world)
    await assign(world.alpha_id, shifts["ob-call"], today() + timedelta(days=1), mid(world.owner))
    await draft_assignment(world.alpha_id, shifts["clinic-am"], today() + timedelta(days=3), mid(world.member))
    await assign(
        world.alpha_id, shifts["clinic-am"], today() + timedelta(days=30), mid(world.member)
    )  # day 31: beyond the agenda
    await assign(
        world.alpha_id, shifts["clinic-am"], today() + timedelta(days=29), mid(world.member)
    )  # day 30: the last one shown
    await client.login(world.member.email)

    response = await client.get("/rota/mine")

    [only] = days(response.text)
    assert "Clinic AM" in only
    assert "Obstetric call" not in response.text  # Olga's, not mine
    assert "1 shift." in page_text(response.text)


async def test_it_says_so_when_i_have_no_shifts(client: Browser, world: World) -> None:
    await seed_shift_types(world)
    await client.login(world.member.email)

    response = await client.get("/rota/mine")

    assert response.status_code == 200
    assert days(response.text) == []
    assert "You have no shifts in the next 30 days." in page_text(response.text)


async def test_it_tells_a_viewer_they_are_not_in_the_schedule(client: Browser, world: World) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/rota/mine")

    assert response.status_code == 200
    assert "You are not in the schedule" in page_text(response.text)
    assert 'href="/oncall"' in response.text


async def test_it_shows_an_outsider_only_its_own_shifts(client: Browser, world: World) -> None:
    shifts = await seed_shift_types(world)
    ny_today = utcnow().astimezone(ZoneInfo("America/New_York")).date()
    await assign(world.beta_id, shifts["beta-peds"], ny_today + timedelta(days=1), mid(world.outsider))
    await assign(world.alpha_id, shifts["peds-call"], today() + timedelta(days=1), mid(world.member))
    await client.login(world.outsider.email)

    response = await client.get("/rota/mine")

    [only] = days(response.text)
    assert "Beta pediatric call" in only and "Beta Hospital" in only
    assert "AMC" not in response.text and "Times in America/New_York." in page_text(response.text)


async def test_it_sends_strangers_to_sign_in(client: Browser) -> None:
    response = await client.get("/rota/mine")

    assert response.status_code in {302, 303}
    assert response.headers["location"].startswith("/login")


# -- the agenda view model: DST nights and shifts that started before the range ---------------------------


class _Shift:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class _Assignment:
    def __init__(self, membership_id: int) -> None:
        self.membership_id = membership_id


def _slot(day: date, start: str, minutes: int) -> Slot:
    from datetime import time

    shift = _Shift(name="Night call", code="night-call", color="#4338ca", location=None)
    when = occurrence(day, time.fromisoformat(start), minutes, BERLIN)
    return Slot(shift=shift, day=day, when=when, assignments=[_Assignment(7)])  # type: ignore[arg-type, list-item]


def test_it_credits_the_real_hours_of_a_night_across_a_dst_change() -> None:
    spring, autumn = date(2026, 3, 28), date(2026, 10, 24)  # Berlin changes clocks the next morning

    result = agenda(
        [_slot(spring, "19:00", 720), _slot(autumn, "19:00", 720)], 7, tz=BERLIN, start=spring, end=autumn, today=spring
    )

    assert [e.hours for d in result for e in d.entries] == ["11 h", "13 h"]
    assert [e.times for d in result for e in d.entries] == ["19:00 – 07:00", "19:00 – 07:00"]
    assert result[0].entries[0].note == "overnight, until Sun 29 Mar 07:00"


def test_it_lists_last_nights_shift_on_the_first_day_as_continuing() -> None:
    first = date(2026, 2, 28)

    result = agenda(
        [_slot(first - timedelta(days=1), "19:00", 720)],
        7,
        tz=BERLIN,
        start=first,
        end=first + timedelta(days=29),
        today=first,
    )

    [day] = result
    assert day.day == first and day.relative == "Today"
    assert day.entries[0].note == "continues from Fri 27 Feb, until 07:00"


async def test_it_starts_the_agenda_at_a_later_day_when_asked(client: Browser, world: World) -> None:
    shifts = await seed_shift_types(world)
    later = today() + timedelta(days=45)
    await assign(world.alpha_id, shifts["clinic-am"], today() + timedelta(days=1), mid(world.member))
    await assign(world.alpha_id, shifts["clinic-am"], later + timedelta(days=2), mid(world.member))
    await client.login(world.member.email)

    response = await client.get(f"/rota/mine?from={later.isoformat()}")

    assert response.status_code == 200
    [only] = days(response.text)  # the shift of tomorrow lies before the asked day
    assert "Clinic AM" in only and not only.startswith(("Today", "Tomorrow"))
    assert f'hx-get="/rota/mine?from={later.isoformat()}"' in response.text  # live refresh keeps the range
    assert "My shifts from" in page_text(response.text)


async def test_it_ignores_a_from_day_it_cannot_use(client: Browser, world: World) -> None:
    await seed_shift_types(world)
    await client.login(world.member.email)

    for raw in ("yesterday", "2001-01-01", (today() + timedelta(days=2000)).isoformat(), "9999-99-99"):
        response = await client.get(f"/rota/mine?from={raw}")
        assert response.status_code == 200, raw
        assert "My shifts, next 30 days" in response.text, raw
