"""The hospital operator at 3 a.m. with the service down: who is on call, read from the device's copy.

The operator (a read-only viewer) signs in; the service worker keeps "/oncall" and "/rota/mine" fresh in
the background without either being opened; the server is stopped; the saved on-call page still shows,
says "Offline, as of HH:MM", and its search box still filters, on the device alone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_VIEWER, ROOT, LiveServer, shoot, sign_in, wait_for_service_worker, wait_until

pytestmark = pytest.mark.e2e

DEMO_PHYSICIAN = "amir.patel@riverside.example"

# A published rota around today in the demo practice, made through the rota services as a manager would:
# three 24-hour calls (so someone is on each whatever the time of the test) for yesterday, today and
# tomorrow, and an overnight clinic for Dr. Patel's agenda. Existing shift types and taken slots are kept.
SEED_ROTA = r"""
import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import get_database
from app.demo import DEMO_SLUG
from app.models import Membership, Organization, ShiftType, User, utcnow
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.services.rota import schedule, setup

SHIFTS = [
    ("peds-call", "Pediatric call", "AMC", "08:00", 1440, "PEDS",
     ["olivia.owner@riverside.example", "amir.patel@riverside.example"]),
    ("ob-call", "Obstetric call", "St. Mary", "08:00", 1440, "OB", ["carl.jensen@riverside.example"]),
    ("hosp-rounds", "Hospital rounding", "Main hospital", "00:00", 1440, None, ["bea.nguyen@riverside.example"]),
    ("urgent-night", "Urgent care night", "Main clinic", "19:00", 720, None, ["amir.patel@riverside.example"]),
]


async def main():
    async with get_database().write_session() as session:
        org = (await session.execute(select(Organization).where(Organization.slug == DEMO_SLUG))).scalar_one()
        actor = Actor.system("e2e-seed", organization_id=org.id)
        people = {
            u.email: m.id
            for m, u in (await session.execute(
                select(Membership, User).join(User).where(Membership.organization_id == org.id))).all()
        }
        today = utcnow().astimezone(ZoneInfo(org.timezone)).date()
        wanted = []
        for code, name, location, start, minutes, qualification, who in SHIFTS:
            shift = (await session.execute(select(ShiftType).where(
                ShiftType.organization_id == org.id, ShiftType.code == code))).scalar_one_or_none()
            if shift is None:
                fields = setup.parse_shift_type({
                    "code": code, "name": name, "location": location, "start_time": start,
                    "duration_minutes": minutes, "days_of_week": list(range(7)), "qualification": qualification,
                })
                shift = await setup.save_shift_type(session, actor, fields)
            offsets = (-1, 0, 1) if minutes == 1440 else (0, 2, 5)
            wanted += [(shift.id, today + timedelta(days=offset), people[who[i % len(who)]])
                       for i, offset in enumerate(offsets)]
    for shift_id, day, membership_id in wanted:
        async with get_database().write_session() as session:
            try:
                await schedule.assign(session, actor, shift_type_id=shift_id, day=day, membership_id=membership_id)
            except ServiceError:
                pass  # already staffed by the demo's own rota


asyncio.run(main())
"""


def seed_rota(server: LiveServer) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SEED_ROTA],
        env=server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


CACHED_PAGES = """
async () => {
  const found = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const url = new URL(request.url);
      if (response.headers.get("X-Rounds-Cached-At")) found.push(url.pathname + url.search);
    }
  }
  return found;
}
"""


def visible_rows(page: Any) -> Any:
    return page.locator("[data-oncall-row]:visible")


def test_it_finds_who_is_on_call_from_the_saved_copy_when_the_server_is_down(
    make_server: Callable[[], LiveServer], new_context: Callable[..., Any]
) -> None:
    server = make_server()
    seed_rota(server)
    context = new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, server.url, DEMO_VIEWER)
    wait_for_service_worker(page)
    # Neither page opened yet: the background refresh, asked by the home page, saves both.
    both_saved = f"({CACHED_PAGES})().then((urls) => urls.includes('/oncall') && urls.includes('/rota/mine'))"
    wait_until(page, both_saved, timeout=15)

    # Online: the on-call page, searched through the server as one types.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="On call").click()
    page.wait_for_url("**/oncall")
    expect(page.get_by_role("heading", level=2)).to_contain_text("On call now")
    rows = page.locator("[data-oncall-row]")
    total = rows.count()
    assert total >= 3, page.content()
    expect(page.get_by_role("link", name=re.compile(r"^Call Dr\. Carl Jensen"))).to_have_attribute(
        "href", "tel:+15550104"
    )
    shoot(page, "oncall-online")
    search = page.get_by_label("Search")
    search.fill("obstetric")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Dr. Carl Jensen")
    expect(page).to_have_url(re.compile(r"/oncall\?q=obstetric"))
    page.get_by_text("Tomorrow", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("On call tomorrow, 08:00")
    page.get_by_text("Pick a time", exact=True).click()
    page.get_by_label("Date and time").fill("2020-01-01T03:00")
    expect(page.get_by_text(re.compile("Nobody is on call for “obstetric”"))).to_be_visible()
    shoot(page, "oncall-online-empty", sizes=("phone",))
    page.goto(server.url + "/oncall?when=yesterday-ish")
    expect(page.locator("#f-at-error")).to_contain_text("“yesterday-ish” is not a date and time")
    shoot(page, "oncall-online-bad-when", sizes=("phone",))

    page.goto(server.url + "/rota/mine")
    expect(page.get_by_text("You are not in the schedule")).to_be_visible()
    shoot(page, "my-shifts-viewer")

    # A physician's agenda, on another phone, saved the same way.
    physician = new_context().new_page()
    physician.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(physician, server.url, DEMO_PHYSICIAN)
    wait_for_service_worker(physician)
    physician.goto(server.url + "/rota/mine")
    expect(physician.get_by_role("heading", level=1)).to_have_text("My shifts, next 30 days")
    expect(physician.get_by_text(re.compile(r"overnight, until"))).not_to_have_count(0)
    shoot(physician, "my-shifts-online")
    wait_until(physician, f"({CACHED_PAGES})().then((urls) => urls.includes('/rota/mine'))")

    # The page is back at "now" with no search when the server goes away.
    page.goto(server.url + "/oncall")
    expect(rows).to_have_count(total)
    wait_until(page, f"({CACHED_PAGES})().then((urls) => urls.includes('/oncall'))")
    server.stop()

    page.reload()
    banner = page.get_by_role("status").filter(has_text="Offline, as of")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(re.compile(r"Offline, as of \d{1,2}:\d{2}"))
    expect(rows).to_have_count(total)
    expect(page.get_by_role("radio", name="Tonight")).to_be_disabled()  # another time needs the server
    shoot(page, "oncall-offline")

    search = page.get_by_label("Search")
    search.press_sequentially("peds", delay=40)
    expect(visible_rows(page)).not_to_have_count(0)
    shown = visible_rows(page).count()
    assert shown < total
    for text in visible_rows(page).all_inner_texts():
        assert "peds" in text.lower(), text
    expect(page.locator("[data-oncall-count]")).to_have_text(f"{shown} of {total} shown in this saved copy.")
    shoot(page, "oncall-offline-filtered")
    search.fill("nobody-by-this-name")
    expect(visible_rows(page)).to_have_count(0)
    expect(page.get_by_text("Nobody in this saved copy matches “nobody-by-this-name”.")).to_be_visible()
    search.fill("")
    expect(visible_rows(page)).to_have_count(total)

    # An address the device never saved ("/oncall?q=peds") is answered by the saved "/oncall", filtered.
    page.goto(server.url + "/oncall?q=peds")
    expect(banner).to_be_visible()
    expect(page.get_by_label("Search")).to_have_value("peds")
    expect(visible_rows(page)).to_have_count(shown)

    page.goto(server.url + "/rota/mine")
    expect(page.get_by_role("heading", level=1)).to_have_text("My shifts, next 30 days")
    expect(banner).to_be_visible()

    physician.goto(server.url + "/rota/mine")
    expect(physician.get_by_role("status").filter(has_text="Offline, as of")).to_be_visible()
    expect(physician.get_by_text(re.compile(r"overnight, until"))).not_to_have_count(0)
    shoot(physician, "my-shifts-offline")

    assert not errors, f"JavaScript errors on the page: {errors}"


def test_it_falls_back_to_filtering_on_the_page_when_a_search_request_fails(
    make_server: Callable[[], LiveServer], new_context: Callable[..., Any]
) -> None:
    server = make_server()
    seed_rota(server)
    page = new_context().new_page()
    sign_in(page, server.url, DEMO_VIEWER)
    page.goto(server.url + "/oncall")
    rows = page.locator("[data-oncall-row]")
    total = rows.count()
    assert total >= 3

    server.stop()  # the page was loaded online; the next search request fails
    page.get_by_label("Search").press_sequentially("rounding", delay=40)

    expect(visible_rows(page)).to_have_count(1)
    expect(visible_rows(page).first).to_contain_text("Hospital rounding")
    expect(page.get_by_role("status").filter(has_text="Offline, as of")).to_be_visible()
