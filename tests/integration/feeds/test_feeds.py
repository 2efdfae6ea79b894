"""Calendar feeds: a member's secret iCal URL of their published shifts, and managers' per shift type feeds.
Every feed is parsed with ``icalendar`` as a calendar app would read it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select, update

from app.db import get_database
from app.models import AuditEntry, CalendarFeed, Membership
from tests.conftest import Browser, Persona, World
from tests.integration.feeds.rota_support import (
    BERLIN,
    add_draft,
    age_assignment,
    assign,
    local_today,
    make_shift,
    next_weekday,
    reassign,
    unassign,
)
from tests.integration.tenancy import page_text

FEED_URL = re.compile(r'value="(http://testserver\.local/feeds/([A-Za-z0-9_\-]+)\.ics)"')
HOST = "testserver.local"


async def signed_in(make_browser: Any, who: Persona) -> Browser:
    browser = await make_browser()
    await browser.login(who.email)
    return browser


async def create_my_feed(browser: Browser) -> str:
    response = await browser.post("/feeds/mine")
    assert response.status_code == 200, response.text
    match = FEED_URL.search(response.text)
    assert match, "the new feed's address is on the page"
    assert "webcal://testserver.local/feeds/" in response.text
    return match.group(1)


async def fetch(client: Browser, url: str) -> icalendar.Calendar:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def uid(assignment_id: int, *, team: bool = False) -> str:
    return f"{'team-' if team else ''}assignment-{assignment_id}@{HOST}"


async def test_it_serves_a_members_published_shifts_as_an_icalendar_feed(client: Browser, make_browser: Any,
                                                                         world: World) -> None:
    night = await make_shift(world.manager)
    clinic = await make_shift(world.manager, code="clinic-am", name="Clinic AM", start="08:00", minutes=240,
                              location="", headcount=2)
    day = next_weekday(1)  # a Tuesday
    mine = await assign(world.manager, night, day, world.member)
    theirs = await assign(world.manager, night, day + timedelta(days=1), world.owner)
    clinic_id = await assign(world.manager, clinic, day + timedelta(days=2), world.member)
    draft = await add_draft(world.manager, clinic, day + timedelta(days=3), world.member)

    member = await signed_in(make_browser, world.member)
    url = await create_my_feed(member)
    anonymous = await make_browser()  # calendar apps send no cookie
    cal = await fetch(anonymous, url)

    assert str(cal["VERSION"]) == "2.0"
    assert "Rounds" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]) == "Alpha Clinic: shifts of Mel Member"
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Berlin"]
    found = events(cal)
    assert set(found) == {uid(mine), uid(clinic_id)}, "only my published shifts: not a colleague's, not drafts"
    assert uid(theirs) not in found and uid(draft) not in found
    night_event = found[uid(mine)]
    assert str(night_event["SUMMARY"]) == "Night call · AMC"
    assert str(night_event["LOCATION"]) == "AMC"
    assert night_event["STATUS"] == "CONFIRMED"
    assert int(night_event["SEQUENCE"]) == 0
    start, end = night_event["DTSTART"], night_event["DTEND"]
    assert start.params["TZID"] == "Europe/Berlin" and end.params["TZID"] == "Europe/Berlin"
    assert start.dt.replace(tzinfo=None) == datetime.combine(day, datetime.min.time()).replace(hour=19)
    assert end.dt.replace(tzinfo=None) == datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=7)
    assert str(found[uid(clinic_id)]["SUMMARY"]) == "Clinic AM"
    assert "DTSTAMP" in night_event


async def test_it_keeps_uids_stable_bumps_the_sequence_and_marks_removed_shifts_cancelled(
    client: Browser, make_browser: Any, world: World
) -> None:
    night = await make_shift(world.manager)
    day = next_weekday(2)
    first = await assign(world.manager, night, day, world.member)
    second = await assign(world.manager, night, day + timedelta(days=1), world.member)
    member = await signed_in(make_browser, world.member)
    url = await create_my_feed(member)

    before = events(await fetch(client, url))
    again = events(await fetch(client, url))
    assert set(before) == set(again) == {uid(first), uid(second)}

    # The manager hands the first night to the owner, and takes the member off the second.
    handed = await reassign(world.manager, first, world.owner)
    await unassign(world.manager, second)
    after = events(await fetch(client, url))
    assert set(after) == {uid(first), uid(second)}, "the same UIDs, so calendars update instead of duplicating"
    assert after[uid(first)]["STATUS"] == "CANCELLED"
    assert int(after[uid(first)]["SEQUENCE"]) == 1
    assert after[uid(second)]["STATUS"] == "CANCELLED"
    assert int(after[uid(second)]["SEQUENCE"]) == 1
    assert uid(handed) not in after

    # The owner's own feed has the night now, as a new event.
    owner = await signed_in(make_browser, world.owner)
    owner_events = events(await fetch(client, await create_my_feed(owner)))
    assert set(owner_events) == {uid(handed)}
    assert owner_events[uid(handed)]["STATUS"] == "CONFIRMED"

    # Long-cancelled shifts drop out of the feed.
    await age_assignment(second, 61)
    assert set(events(await fetch(client, url))) == {uid(first)}


def _next_spring_forward(tz: ZoneInfo, after: date) -> date:
    """The first day from ``after`` on whose clocks go forward (its noon is further ahead of UTC than its midnight),
    not the autumn change, whose night is an hour longer."""
    day = after
    for _ in range(53 * 7):  # spring-forward days are 52 or 53 weeks apart
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
        midnight = datetime(day.year, day.month, day.day, 0, tzinfo=tz).utcoffset()
        if noon is not None and midnight is not None and noon > midnight:
            return day
        day += timedelta(days=1)
    raise AssertionError("no spring-forward change within 53 weeks")


async def test_it_gives_local_times_with_their_timezone_across_a_dst_change(client: Browser, make_browser: Any,
                                                                          world: World) -> None:
    # The feed reaches 60 days back and a year ahead; spring-forward days can be 53 weeks apart, so look from
    # 50 days back (a spring change of these last weeks is in the feed too) rather than from tomorrow.
    spring = _next_spring_forward(BERLIN, local_today() - timedelta(days=50))
    night = await make_shift(world.manager)
    eve = spring - timedelta(days=1)
    short_night = await assign(world.manager, night, eve, world.member)
    member = await signed_in(make_browser, world.member)
    event = events(await fetch(client, await create_my_feed(member)))[uid(short_night)]
    start, end = event["DTSTART"].dt, event["DTEND"].dt
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert (start.date(), start.hour, start.minute) == (eve, 19, 0)
    assert (end.date(), end.hour, end.minute) == (spring, 7, 0)
    real = end.astimezone(UTC) - start.astimezone(UTC)  # same-zone subtraction would give wall-clock hours
    assert real == timedelta(hours=11), "the night the clocks spring forward lasts 11 real hours"


async def test_it_rotates_an_address_so_that_the_old_one_stops_working(client: Browser, make_browser: Any,
                                                                     world: World) -> None:
    night = await make_shift(world.manager)
    shift = await assign(world.manager, night, next_weekday(3), world.member)
    member = await signed_in(make_browser, world.member)
    old = await create_my_feed(member)
    feed_id = await _feed_id(world.member)

    response = await member.post(f"/feeds/{feed_id}/rotate")
    assert response.status_code == 200
    new = FEED_URL.search(response.text).group(1)  # type: ignore[union-attr]
    assert new != old
    assert (await client.get(old)).status_code == 404
    assert set(events(await fetch(client, new))) == {uid(shift)}
    assert await _feed_id(world.member) == feed_id, "the same feed, with a new secret"

    # Reloading the page never shows the address again: only its hash is stored.
    page = await member.get("/feeds")
    assert new not in page.text and "Get a new address" in page.text


async def test_it_turns_a_feed_off(client: Browser, make_browser: Any, world: World) -> None:
    member = await signed_in(make_browser, world.member)
    url = await create_my_feed(member)
    feed_id = await _feed_id(world.member)
    response = await member.post(f"/feeds/{feed_id}/revoke")
    assert response.status_code == 303
    page = await member.get(response.headers["location"])
    assert "Calendar feed turned off" in page_text(page.text)
    assert "Create my calendar feed" in page.text
    assert (await client.get(url)).status_code == 404
    assert (await member.post(f"/feeds/{feed_id}/rotate")).status_code == 404, "a revoked feed stays dead"


async def test_it_answers_404_to_unknown_and_malformed_addresses(client: Browser, world: World) -> None:
    for path in ("/feeds/" + "x" * 32 + ".ics", "/feeds/short.ics", "/feeds/" + "x" * 32, "/feeds/..%2F.ics"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "BEGIN:VCALENDAR" not in response.text


async def test_it_ends_a_members_feed_when_they_leave_the_organization(client: Browser, make_browser: Any,
                                                                      world: World) -> None:
    member = await signed_in(make_browser, world.member)
    url = await create_my_feed(member)
    async with get_database().write_session() as session:
        await session.execute(update(Membership).where(Membership.id == world.member.membership_id)
                              .values(active=False))
        await session.commit()
    assert (await client.get(url)).status_code == 404


async def test_it_gives_managers_a_feed_per_shift_type(client: Browser, make_browser: Any, world: World) -> None:
    night = await make_shift(world.manager)
    clinic = await make_shift(world.manager, code="clinic-am", name="Clinic AM", start="08:00", minutes=240)
    day = next_weekday(0)
    a = await assign(world.manager, night, day, world.member)
    b = await assign(world.manager, night, day + timedelta(days=1), world.owner)
    other = await assign(world.manager, clinic, day, world.owner)
    draft = await add_draft(world.manager, night, day + timedelta(days=2), world.member)

    manager = await signed_in(make_browser, world.manager)
    page = await manager.get("/feeds")
    assert "Feeds per shift type" in page.text and "Night call" in page.text
    response = await manager.post(f"/feeds/shift-types/{night}")
    assert response.status_code == 200
    url = FEED_URL.search(response.text).group(1)  # type: ignore[union-attr]
    cal = await fetch(client, url)
    assert str(cal["X-WR-CALNAME"]) == "Alpha Clinic: Night call"
    found = events(cal)
    assert set(found) == {uid(a, team=True), uid(b, team=True)}
    assert uid(other, team=True) not in found and uid(draft, team=True) not in found
    assert str(found[uid(a, team=True)]["SUMMARY"]) == "Night call: Mel Member"

    # Members and viewers cannot make one.
    member = await signed_in(make_browser, world.member)
    assert (await member.post(f"/feeds/shift-types/{night}")).status_code == 403
    assert "Feeds per shift type" not in (await member.get("/feeds")).text

    # A manager who is demoted takes the feeds they made down with them.
    async with get_database().write_session() as session:
        await session.execute(update(Membership).where(Membership.id == world.manager.membership_id)
                              .values(role="member"))
        await session.commit()
    assert (await client.get(url)).status_code == 404


async def test_it_never_lets_anyone_else_touch_a_feed(client: Browser, make_browser: Any, world: World) -> None:
    night = await make_shift(world.manager)
    await assign(world.manager, night, next_weekday(4), world.member)
    member = await signed_in(make_browser, world.member)
    member_url = await create_my_feed(member)
    member_feed = await _feed_id(world.member)
    manager = await signed_in(make_browser, world.manager)
    await manager.post(f"/feeds/shift-types/{night}")
    shift_feed = await _feed_id(None, shift_type_id=night)

    # The outsider (owner of Beta Surgery) has a feed of their own, with nothing of Alpha in it.
    outsider = await signed_in(make_browser, world.outsider)
    outsider_url = await create_my_feed(outsider)
    outsider_cal = await fetch(client, outsider_url)
    assert events(outsider_cal) == {}
    assert "Alpha" not in outsider_cal.to_ical().decode()
    for feed_id in (member_feed, shift_feed):
        assert (await outsider.post(f"/feeds/{feed_id}/rotate")).status_code == 404
        assert (await outsider.post(f"/feeds/{feed_id}/revoke")).status_code == 404
    assert (await outsider.post(f"/feeds/shift-types/{night}")).status_code == 404

    # In Alpha: the viewer cannot touch the member's feed, nor the member the shift type's feed.
    viewer = await signed_in(make_browser, world.viewer)
    assert (await viewer.post(f"/feeds/{member_feed}/rotate")).status_code == 404
    assert (await viewer.post(f"/feeds/{member_feed}/revoke")).status_code == 404
    assert (await member.post(f"/feeds/{shift_feed}/rotate")).status_code == 404
    assert (await member.post(f"/feeds/{shift_feed}/revoke")).status_code == 404
    # ... nor may the manager turn off a member's own feed.
    assert (await manager.post(f"/feeds/{member_feed}/revoke")).status_code == 404
    assert (await client.get(member_url)).status_code == 200, "the member's feed survived all of that"


async def test_it_records_feed_changes_in_the_audit_log(client: Browser, make_browser: Any, world: World) -> None:
    member = await signed_in(make_browser, world.member)
    await create_my_feed(member)
    feed_id = await _feed_id(world.member)
    await member.post(f"/feeds/{feed_id}/rotate")
    await member.post(f"/feeds/{feed_id}/revoke")
    async with get_database().read_session() as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.entity_type == "calendar_feed")
                                      .order_by(AuditEntry.id))).scalars().all()
    assert [(r.action, r.entity_id, r.actor_label) for r in rows] == [
        ("calendar_feed.created", str(feed_id), world.member.email),
        ("calendar_feed.rotated", str(feed_id), world.member.email),
        ("calendar_feed.revoked", str(feed_id), world.member.email),
    ]
    assert all(r.organization_id == world.alpha_id for r in rows)


async def test_it_links_the_page_from_the_account_menu(client: Browser, make_browser: Any, world: World) -> None:
    member = await signed_in(make_browser, world.member)
    home = await member.get("/home")
    assert 'href="/feeds"' in home.text and 'href="/push"' in home.text
    page = await member.get("/feeds")
    assert page.status_code == 200
    assert "<h1>Calendar feeds</h1>" in page.text and "Create my calendar feed" in page.text
    assert (await client.get("/feeds")).status_code in {302, 303}, "the page needs a sign-in"


async def _feed_id(who: Persona | None, *, shift_type_id: int | None = None) -> int:
    async with get_database().read_session() as session:
        query = select(CalendarFeed.id).where(CalendarFeed.revoked_at.is_(None))
        query = (query.where(CalendarFeed.membership_id == who.membership_id) if who
                 else query.where(CalendarFeed.shift_type_id == shift_type_id))
        return (await session.execute(query)).scalar_one()


@pytest.fixture(autouse=True)
def _empty_queues() -> None:
    """No job an earlier test left in the in-memory broker may run against this test's rows."""
    from workers.broker import broker

    broker.flush_all()
