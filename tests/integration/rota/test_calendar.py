"""The rota calendar through HTTP: bookmarkable day/week/month URLs, filters, fragments for htmx, edges."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Browser, World
from tests.integration.rota.support import add_draft_assignment, add_holiday, assign, make_shift, page_text, set_member

HTMX_CAL = {"HX-Request": "true", "HX-Target": "rota-calendar"}
HTMX_GRID = {"HX-Request": "true", "HX-Target": "rota-grid"}


def grid(html: str) -> str:
    """The calendar grid's text."""
    start = html.index('id="rota-grid"')
    return page_text(html[start:])


async def test_it_redirects_the_rota_to_this_week_in_the_organizations_timezone(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    response = await client.get("/rota")

    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    monday = date.fromordinal(today.toordinal() - today.weekday())
    assert response.status_code == 303
    assert response.headers["location"] == f"/rota/week/{monday.isoformat()}"


async def test_it_keeps_filters_when_redirecting(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    response = await client.get("/rota?member=me&shift=night-call")

    assert response.headers["location"].endswith("?shift=night-call&member=me")


async def test_it_shows_a_week_with_seven_days_and_who_is_on(client: Browser, world: World) -> None:
    shift = await make_shift(world.owner)
    await assign(world.manager, shift, date(2026, 3, 4), world.member.membership_id)
    await client.login(world.viewer.email)

    page = await client.get("/rota/week/2026-03-04")

    assert page.status_code == 200
    text = grid(page.text)
    for label in ("Mon, Mar 2", "Tue, Mar 3", "Wed, Mar 4", "Thu, Mar 5", "Fri, Mar 6", "Sat, Mar 7", "Sun, Mar 8"):
        assert label in text
    assert "Mel Member" in text
    assert "Week of Mar 2 – 8, 2026" in page_text(page.text)


async def test_it_accepts_any_day_of_the_week_and_links_to_neighbouring_weeks(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-08")

    assert 'href="/rota/week/2026-02-23"' in page.text
    assert 'href="/rota/week/2026-03-09"' in page.text
    assert 'hx-get="/rota/week/2026-03-09"' in page.text
    assert 'hx-push-url="true"' in page.text


@pytest.mark.parametrize("url", ["/rota/month/2026-02", "/rota/month/2026-02-17"])
async def test_it_shows_a_month_by_year_and_month_or_any_day_in_it(client: Browser, world: World, url: str) -> None:
    await make_shift(world.owner)
    await client.login(world.member.email)

    page = await client.get(url)

    assert page.status_code == 200
    assert "<h1 id=\"rota-title\">February 2026</h1>" in page.text
    assert 'href="/rota/month/2026-01"' in page.text
    assert 'href="/rota/month/2026-03"' in page.text
    assert 'aria-label="Saturday, February 28, 2026"' in page.text


@pytest.mark.parametrize("url", [
    "/rota/day/2026-02-30", "/rota/day/2026-13-01", "/rota/week/garbage", "/rota/month/2026-00",
    "/rota/day/20260302", "/rota/month/0001-01", "/rota/day/9999-12-31", "/rota/week/2026-W10-1",
])
async def test_it_answers_an_impossible_date_with_a_clear_404(client: Browser, world: World, url: str) -> None:
    await client.login(world.member.email)

    page = await client.get(url)

    assert page.status_code == 404
    assert "No such date" in page.text
    assert "is not a day in the calendar" in page_text(page.text)


async def test_it_returns_only_the_calendar_to_htmx_navigation(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-02", headers=HTMX_CAL)

    assert page.status_code == 200
    assert page.text.lstrip().startswith("<title>")
    assert 'id="rota-calendar"' in page.text
    assert "<html" not in page.text
    assert 'id="slot-panel"' not in page.text  # the panel is outside what navigation swaps


async def test_it_returns_only_the_grid_to_a_live_refresh(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-02", headers=HTMX_GRID)

    assert 'id="rota-grid"' in page.text
    assert 'id="rota-calendar"' not in page.text
    assert 'class="rota-toolbar"' not in page.text


async def test_it_makes_the_grid_refresh_itself_on_rota_events(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-02?shift=night-call")

    match = re.search(r'<div id="rota-grid"[^>]*>', page.text)
    assert match
    assert 'hx-trigger="sse:rota' in match.group(0)
    assert 'hx-get="/rota/week/2026-03-02?shift=night-call"' in match.group(0)


def day_cell(html: str, day: str) -> str:
    """The text of one day's cell in a week or month grid."""
    match = re.search(
        rf'<li class="rota-day[^"]*" aria-labelledby="d-{day}">(.*?)</li>\s*(?:<li class="rota-day|</ol>)', html, re.S)
    assert match, f"no cell for {day}"
    return page_text(match.group(1))


async def test_it_shows_a_night_shift_on_both_days_labelled(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, date(2026, 3, 4), world.member.membership_id)
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-02")

    assert "Night call 19:00 → 07:00 (+1)" in day_cell(page.text, "2026-03-04")
    assert "Mel Member" in day_cell(page.text, "2026-03-04")
    assert "(you)" in day_cell(page.text, "2026-03-04")
    thursday = day_cell(page.text, "2026-03-05")
    assert "Night call until 07:00" in thursday
    assert "Mel Member" in thursday


async def test_it_shows_a_night_across_a_month_end_on_the_first_of_the_next_month(client: Browser,
                                                                                    world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, date(2026, 3, 31), world.member.membership_id)
    await client.login(world.viewer.email)

    march = await client.get("/rota/month/2026-03")
    april = await client.get("/rota/month/2026-04")
    first_of_april = await client.get("/rota/day/2026-04-01")

    assert "19:00 → 07:00 (+1)" in day_cell(march.text, "2026-03-31")
    assert "until 07:00" in day_cell(april.text, "2026-04-01")
    assert "Mel Member" in day_cell(april.text, "2026-04-01")
    text = page_text(first_of_april.text)
    assert "Still on from the day before" in text
    assert "until 07:00 (since Tue, Mar 31, 19:00)" in text


async def test_it_shows_each_night_once_in_the_month_except_across_its_end(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, date(2026, 3, 10), world.member.membership_id)
    await client.login(world.viewer.email)

    march = await client.get("/rota/month/2026-03")

    assert "until 07:00" not in day_cell(march.text, "2026-03-11")
    assert "Mel Member" not in day_cell(march.text, "2026-03-11")


@pytest.mark.parametrize(("night", "hours"), [("2026-03-28", "7 h"), ("2026-10-24", "9 h"), ("2026-03-21", "8 h")])
async def test_it_shows_the_real_hours_of_a_night_across_a_dst_change(client: Browser, world: World, night: str,
                                                                      hours: str) -> None:
    shift = await make_shift(world.owner, start_time="23:00", duration_minutes=480)  # Alpha Clinic: Berlin
    await assign(world.manager, shift, date.fromisoformat(night), world.member.membership_id)
    await client.login(world.member.email)

    page = await client.get(f"/rota/day/{night}")

    text = page_text(page.text)
    assert f"23:00 → 07:00 (+1) · {hours}" in text
    if hours != "8 h":
        assert f"Clocks change during this shift: {hours} instead of 8 h." in text
    else:
        assert "Clocks change" not in text


async def test_it_marks_holidays_and_weekends_in_words(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    await add_holiday(world.alpha_id, date(2026, 12, 25), "Christmas Day")
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-12-21")

    assert "Holiday: Christmas Day" in day_cell(page.text, "2026-12-25")
    assert "Weekend" in day_cell(page.text, "2026-12-26")
    assert "Weekend" in day_cell(page.text, "2026-12-27")
    assert "Weekend" not in day_cell(page.text, "2026-12-24")
    assert 'class="rota-day is-holiday' in page.text or "is-holiday" in page.text


async def test_it_marks_today(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.member.email)
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()

    page = await client.get(f"/rota/week/{today.isoformat()}")

    assert "Today" in day_cell(page.text, today.isoformat())
    assert 'aria-current="page">Today</a>' in page.text


async def test_it_filters_by_location_shift_type_and_my_shifts(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    clinic = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240,
                              location="Main clinic")
    await assign(world.manager, night, date(2026, 3, 2), world.owner.membership_id)
    await assign(world.manager, clinic, date(2026, 3, 3), world.member.membership_id)
    await client.login(world.member.email)

    by_shift = grid((await client.get("/rota/week/2026-03-02?shift=clinic")).text)
    mine = grid((await client.get("/rota/week/2026-03-02?member=me")).text)
    page = await client.get("/rota/week/2026-03-02")
    location_id = re.search(r'<option value="(\d+)">Main clinic</option>', page.text).group(1)  # type: ignore[union-attr]
    by_location = grid((await client.get(f"/rota/week/2026-03-02?location={location_id}")).text)

    assert "Night call" not in by_shift and "Clinic" in by_shift
    assert "Olga Owner" not in mine and "Mel Member" in mine
    assert "Night call" not in by_location and "Mel Member" in by_location
    kept = await client.get("/rota/week/2026-03-02?member=me&shift=clinic")
    assert 'href="/rota/week/2026-03-09?shift=clinic&amp;member=me"' in kept.text
    assert 'href="/rota/month/2026-03?shift=clinic&amp;member=me"' in kept.text
    assert 'name="member" value="me" checked' in kept.text


async def test_it_lets_managers_filter_by_any_member(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, date(2026, 3, 2), world.owner.membership_id)
    await assign(world.manager, night, date(2026, 3, 3), world.member.membership_id)
    await client.login(world.manager.email)

    page = await client.get(f"/rota/week/2026-03-02?member={world.member.membership_id}")

    assert f'<option value="{world.member.membership_id}" selected>Mel Member</option>' in page.text
    assert "Olga Owner" not in grid(page.text)
    assert "Mel Member" in grid(page.text)


async def test_it_lets_only_managers_filter_by_someone_else(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, date(2026, 3, 2), world.owner.membership_id)
    await client.login(world.member.email)

    page = await client.get(f"/rota/week/2026-03-02?member={world.owner.membership_id}")

    assert "Olga Owner" in grid(page.text)  # the filter is ignored: members filter to their own shifts only


async def test_it_never_shows_drafts_to_a_member_even_their_own(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await add_draft_assignment(world.alpha_id, night, date(2026, 3, 3), world.member.membership_id)
    await client.login(world.member.email)

    for url in ("/rota/day/2026-03-03", "/rota/week/2026-03-02", "/rota/month/2026-03",
                "/rota/week/2026-03-02?member=me"):
        page = await client.get(url)
        assert "Mel Member" not in grid(page.text), url
        assert "Unfilled" in grid(page.text) or "No shifts" in grid(page.text), url


@pytest.mark.parametrize("role", ["viewer", "manager"])
async def test_it_keeps_drafts_out_of_other_roles_calendars(make_browser, world: World, role: str) -> None:
    night = await make_shift(world.owner)
    await add_draft_assignment(world.alpha_id, night, date(2026, 3, 3), world.member.membership_id)
    browser = await make_browser()
    await browser.login(getattr(world, role).email)

    for url in ("/rota/day/2026-03-03", "/rota/week/2026-03-02", "/rota/month/2026-03"):
        page = await browser.get(url)
        assert page.status_code == 200
        assert "Mel Member" not in grid(page.text), url


async def test_it_puts_tap_to_call_links_on_the_day_view(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await set_member(world.member.membership_id, phone="+49 30 1234-567")
    await assign(world.manager, night, date(2026, 3, 2), world.member.membership_id)
    await client.login(world.viewer.email)

    page = await client.get("/rota/day/2026-03-02")

    assert '<a class="tel" href="tel:+49301234567" aria-label="Call Mel Member">' in page.text
    assert "Main hospital" in grid(page.text)


async def test_it_serves_each_shift_types_colour_as_a_stylesheet(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, color="#4338CA")
    await client.login(world.member.email)

    page = await client.get("/rota/week/2026-03-02")
    href = re.search(r'<link rel="stylesheet" href="(/rota/shift-colors.css\?v=\w+)">', page.text)
    assert href
    css = await client.get(href.group(1))

    assert css.headers["content-type"].startswith("text/css")
    assert f".shift-{night} {{ --shift: #4338ca; }}" in css.text
    assert f"shift-{night}" in page.text


async def test_it_invites_managers_to_set_up_shifts_when_there_are_none(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    page = await client.get("/rota/week/2026-03-02")

    assert "No shift types yet." in page_text(page.text)
    assert 'href="/rota/setup"' in grid(page.text) or '<a href="/rota/setup">Set up shift types</a>' in page.text


async def test_it_reads_a_fifty_member_month_quickly_enough_to_render(client: Browser, world: World) -> None:
    from tests.integration.rota.seed import seed_big_group

    group = await seed_big_group(date(2026, 3, 1), domain="big.example", timezone="Europe/Berlin")
    await client.login(group.manager_email, "big-group-password-2026")

    month = await client.get("/rota/month/2026-03")
    week = await client.get("/rota/week/2026-03-02")

    assert month.status_code == 200 and week.status_code == 200
    assert group.assignments > 300
    assert "Founders' Day" in page_text(month.text) or "Founders&#39; Day" in month.text
    assert page_text(week.text).count("Night call") >= 14  # seven starts and seven "until" entries
