"""GET /oncall: who is on call, for every role, searched as you type, at now / tonight / tomorrow / a time."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.db import get_database
from app.models import utcnow
from app.services.actor import Actor
from app.services.rota import schedule
from tests.conftest import Browser, World
from tests.integration.oncall._rota import MEL_PHONE, assign, draft_assignment, mid, seed_shift_types
from tests.integration.tenancy import page_text

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = date(2026, 3, 3)  # a Tuesday; its night shifts end on Wednesday 4 March at 07:00


def rows(html: str) -> list[str]:
    """The visible text of each on-call row."""
    return [page_text(r) for r in re.findall(r'<li class="oncall-row".*?</li>', html, re.S)]


@pytest.fixture
async def night(world: World) -> dict[str, int]:
    """Tuesday night: Mel on pediatric call, Olga on obstetric call; Wednesday morning: Mona in clinic."""
    shifts = await seed_shift_types(world)
    await assign(world.alpha_id, shifts["peds-call"], NIGHT, mid(world.member))
    await assign(world.alpha_id, shifts["ob-call"], NIGHT, mid(world.owner))
    await assign(world.alpha_id, shifts["clinic-am"], NIGHT + timedelta(days=1), mid(world.manager))
    await assign(world.beta_id, shifts["beta-peds"], NIGHT, mid(world.outsider))
    return shifts


async def test_it_finds_a_night_shift_at_three_the_next_morning(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "2026-03-04 03:00"})

    assert response.status_code == 200
    found = rows(response.text)
    assert len(found) == 2
    peds = next(r for r in found if "Pediatric call" in r)
    assert "peds-call" in peds and "AMC" in peds and "Mel Member" in peds and "PEDS" in peds
    assert "until 07:00 Wed 4 Mar" in peds
    assert "since 19:00 Tue 3 Mar" in peds
    assert MEL_PHONE in peds
    assert 'href="tel:+49301234567"' in response.text
    assert "On call at 03:00, Wednesday 4 March" in page_text(response.text)
    assert "Clinic AM" not in page_text(response.text)


async def test_it_shows_no_phone_on_file_instead_of_a_dead_link(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "2026-03-04 03:00", "q": "olga"})

    [olga] = rows(response.text)
    assert "Olga Owner" in olga and "no phone on file" in olga
    assert "tel:" not in response.text


async def test_it_is_not_on_call_once_the_shift_has_ended(client: Browser, world: World, night: dict[str, int]) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "2026-03-04 07:00"})

    assert [r for r in rows(response.text) if "call" in r.lower()] == []
    assert "Nobody is on call at 07:00, Wednesday 4 March." in page_text(response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("peds", ["Mel Member"]),  # shift code
        ("AMC", ["Mel Member"]),  # location
        ("st. mary", ["Olga Owner"]),  # location, two words
        ("olga", ["Olga Owner"]),  # member name
        ("Obstetric", ["Olga Owner"]),  # shift name
        ("PEDS mel", ["Mel Member"]),  # qualification and name together
        ("call", ["Mel Member", "Olga Owner"]),
    ],
)
async def test_it_filters_by_shift_location_name_and_qualification(
    client: Browser, world: World, night: dict[str, int], query: str, expected: list[str]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "at", "at": "2026-03-03T22:00", "q": query})

    assert response.status_code == 200
    names = sorted(name for r in rows(response.text) for name in ("Mel Member", "Olga Owner") if name in r)
    assert names == expected
    assert f'value="{query}"' in response.text  # the search box keeps what was typed


async def test_it_says_nobody_is_on_call_for_a_search_without_match(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "2026-03-04 03:00", "q": "cardio"})

    assert rows(response.text) == []
    assert "Nobody is on call for “cardio” at 03:00, Wednesday 4 March." in page_text(response.text)


async def test_it_answers_htmx_with_the_results_list_only(client: Browser, world: World, night: dict[str, int]) -> None:
    await client.login(world.viewer.email)

    response = await client.get(
        "/oncall", params={"when": "2026-03-04 03:00", "q": "peds"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="oncall-results"')
    assert "<html" not in response.text and 'id="f-q"' not in response.text
    assert [r for r in rows(response.text) if "Mel Member" in r]
    assert len(rows(response.text)) == 1
    # the message beside the "when" field is cleared out of band
    assert 'id="f-at-message"' in response.text and 'hx-swap-oob="true"' in response.text


async def test_it_works_as_a_plain_form_without_javascript(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall")

    html = response.text
    assert re.search(r'<form id="oncall-form"[^>]*method="get"[^>]*action="/oncall"', html)
    assert '<label for="f-q">Search</label>' in html and 'name="q"' in html
    assert 'hx-trigger="input changed delay:150ms, search"' in html
    for key, label in (("now", "Now"), ("tonight", "Tonight"), ("tomorrow", "Tomorrow"), ("at", "Pick a time")):
        assert f'<label for="when-{key}">{label}</label>' in html
    assert re.search(r'id="when-now" name="when" value="now" checked', html)
    assert '<label for="f-at">Date and time</label>' in html
    assert re.search(r'<button class="btn" type="submit"[^>]*>Look up</button>', html)


@pytest.mark.parametrize("raw", ["soonish", "2026-02-30 10:00", "31/12/2026", "9999-12-31 23:00"])
async def test_it_explains_a_when_it_cannot_read_beside_the_field(
    client: Browser, world: World, night: dict[str, int], raw: str
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "at", "at": raw})

    assert response.status_code == 422
    message = re.search(r'<p class="error" id="f-at-error">(.*?)</p>', response.text, re.S)
    assert message, response.text
    assert "date" in message.group(1)
    assert 'aria-invalid="true"' in response.text
    assert rows(response.text) == []
    assert 'id="f-q"' in response.text  # the page is still there to correct it


async def test_it_asks_for_a_time_when_pick_a_time_is_left_empty(client: Browser, world: World) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "at", "at": ""})

    assert response.status_code == 422
    assert "Choose a date and time, or now, tonight or tomorrow." in response.text


async def test_it_reads_a_date_and_time_typed_in_the_address(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "2026-03-03T21:30"})

    assert response.status_code == 200
    assert len(rows(response.text)) == 2
    assert 'value="2026-03-03T21:30"' in response.text
    assert re.search(r'id="when-at" name="when" value="at" checked', response.text)


async def test_it_looks_up_now_tonight_and_tomorrow_in_the_practice_timezone(client: Browser, world: World) -> None:
    shifts = await seed_shift_types(world)
    today = utcnow().astimezone(BERLIN).date()
    day_long = await _day_long_shift(world)
    await assign(world.alpha_id, day_long, today, mid(world.owner))
    await assign(world.alpha_id, shifts["peds-call"], today, mid(world.member))
    await assign(world.alpha_id, shifts["clinic-am"], today + timedelta(days=1), mid(world.manager))
    await client.login(world.viewer.email)

    now = page_text((await client.get("/oncall")).text)
    tonight = page_text((await client.get("/oncall", params={"when": "tonight"})).text)
    tomorrow = page_text((await client.get("/oncall", params={"when": "tomorrow"})).text)

    assert "On call now" in now and "Olga Owner" in now
    assert "On call tonight" in tonight and "Mel Member" in tonight and "Pediatric call" in tonight
    assert "On call tomorrow, 08:00" in tomorrow
    assert "Mona Manager" in tomorrow and "Clinic AM" in tomorrow
    assert "Mel Member" not in tomorrow  # tonight's call ends at 07:00


async def _day_long_shift(world: World) -> int:
    from tests.integration.oncall._rota import _shift

    return await _shift(
        world.alpha_id, code="day-call", name="Day-long call", location="AMC", start_time="00:00", duration_minutes=1440
    )


@pytest.mark.parametrize("persona", ["owner", "manager", "member", "viewer"])
async def test_it_is_open_to_every_role(client: Browser, world: World, night: dict[str, int], persona: str) -> None:
    await client.login(getattr(world, persona).email)

    response = await client.get("/oncall", params={"when": "2026-03-04 03:00"})

    assert response.status_code == 200
    assert len(rows(response.text)) == 2


async def test_it_sends_strangers_to_sign_in(client: Browser, world: World, night: dict[str, int]) -> None:
    response = await client.get("/oncall", params={"when": "2026-03-04 03:00"})

    assert response.status_code in {302, 303}
    assert response.headers["location"].startswith("/login")
    assert "Mel Member" not in response.text


async def test_it_shows_an_outsider_only_its_own_practice(client: Browser, world: World, night: dict[str, int]) -> None:
    await client.login(world.outsider.email)

    # 03:00 in New York is the middle of Beta's night shift (and 09:00 in Berlin)
    response = await client.get("/oncall", params={"when": "2026-03-04 03:00", "q": "peds"})

    text = page_text(response.text)
    assert [r for r in rows(response.text) if "Otto Outsider" in r and "Beta Hospital" in r]
    assert len(rows(response.text)) == 1
    for name in ("Mel Member", "Olga Owner", "Mona Manager", "AMC", "Main clinic"):
        assert name not in text
    assert "Times in America/New_York." in text


async def test_it_never_shows_draft_assignments(
    client: Browser, make_browser: Any, world: World, night: dict[str, int]
) -> None:
    await draft_assignment(world.alpha_id, night["clinic-am"], NIGHT + timedelta(days=1), mid(world.owner))
    await draft_assignment(world.alpha_id, night["peds-call"], NIGHT + timedelta(days=1), mid(world.member))
    viewer = await make_browser()
    await viewer.login(world.viewer.email)
    await client.login(world.owner.email)  # even an owner, who sees drafts in the calendar

    for browser in (client, viewer):
        morning = rows((await browser.get("/oncall", params={"when": "2026-03-04 09:00"})).text)
        night_after = rows((await browser.get("/oncall", params={"when": "2026-03-05 01:00"})).text)

        assert len(morning) == 1 and "Mona Manager" in morning[0]
        assert night_after == []


async def test_it_drops_a_cancelled_assignment(client: Browser, world: World, night: dict[str, int]) -> None:
    from sqlalchemy import select

    from app.models import Assignment

    async with get_database().write_session() as session:
        peds = (
            await session.execute(select(Assignment).where(Assignment.shift_type_id == night["peds-call"]))
        ).scalar_one()
        await schedule.unassign(session, Actor.system("test", organization_id=world.alpha_id), peds.id)
    await client.login(world.viewer.email)

    found = rows((await client.get("/oncall", params={"when": "2026-03-04 03:00"})).text)

    assert len(found) == 1 and "Olga Owner" in found[0]


async def test_it_refreshes_its_results_when_the_rota_changes(
    client: Browser, world: World, night: dict[str, int]
) -> None:
    await client.login(world.viewer.email)

    html = (await client.get("/oncall")).text

    results = re.search(r'<section id="oncall-results"[^>]*>', html, re.S)
    assert results and 'hx-trigger="sse:rota"' in results.group(0)
    assert 'hx-include="#oncall-form"' in results.group(0)


async def test_it_repeats_an_unreadable_when_safely(client: Browser, world: World) -> None:
    await client.login(world.viewer.email)

    response = await client.get("/oncall", params={"when": "<b>soon</b>"})

    assert response.status_code == 422
    assert "“&lt;b&gt;soon&lt;/b&gt;” is not a date and time we can read." in response.text
    assert "<b>soon</b>" not in response.text
