"""The rota calendar in Chromium: a manager builds part of a week by hand, a 50-member group stays readable on a
phone and a desktop, another browser's change appears live without closing the panel or moving the page, and
everything works without JavaScript too.

The tests share one server of this module's own: the demo practice (given four shift types) and "Albany Family
Medicine", a seeded group of 50 members, 12 shift types and a filled March 2026 (``tests.integration.rota.seed``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_SLUG
from tests.e2e.conftest import DESKTOP, PHONE, ROOT, LiveServer, shoot, sign_in

pytestmark = pytest.mark.e2e

MANAGER = "max.manager@riverside.example"
OWNER = "olivia.owner@riverside.example"
SSE_OPEN_PROBE = 'document.addEventListener("htmx:sseOpen", () => { window.__roundsSseOpen = true; });'


@pytest.fixture(scope="module")
def rota_server() -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    server = LiveServer("rota")
    try:
        server.prepare()
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.integration.rota.seed", "--demo-shifts", DEMO_SLUG, "--month", "2026-03"],
            env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=True)
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        server.start()
        yield server, info
    finally:
        server.cleanup()


def next_monday(weeks_ahead: int = 0) -> date:
    """A Monday in the demo practice's future (its timezone is New York), so the week is empty."""
    today = datetime.now(ZoneInfo("America/New_York")).date()
    return today + timedelta(days=7 - today.weekday() + 7 * weeks_ahead)


def open_page(new_context: Callable[..., Any], viewport: dict[str, int], **options: Any) -> tuple[Any, list[str]]:
    ctx = new_context(viewport=viewport, timezone_id="America/New_York", **options)
    ctx.add_init_script(SSE_OPEN_PROBE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def wait_for_live(page: Any, seconds: float = 10) -> None:
    """Until the page's event stream is open (polled: the CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate("window.__roundsSseOpen === true"):
        assert time.monotonic() < deadline, "the event stream did not open"
        page.wait_for_timeout(50)


def day_cell(page: Any, day: date) -> Any:
    return page.locator(f'[aria-labelledby="d-{day.isoformat()}"]')


def slot_button(page: Any, day: date, shift: str) -> Any:
    return day_cell(page, day).get_by_role("button", name=re.compile(rf"^{re.escape(shift)}, \d"))


def pick(page: Any, shift: str, name: str) -> Any:
    """In the open panel of ``shift``, choose ``name``; the panel afterwards."""
    panel = page.get_by_role("dialog", name=shift)
    panel.get_by_role("button", name=re.compile(rf"^{re.escape(name)} ")).click()
    expect(panel.get_by_role("status")).to_contain_text(name)
    return panel


def test_it_lets_a_manager_build_part_of_a_week_by_hand(rota_server: Any, new_context: Callable[..., Any]) -> None:
    server, _info = rota_server
    page, errors = open_page(new_context, DESKTOP)
    sign_in(page, server.url, MANAGER)
    monday = next_monday()
    tuesday = monday + timedelta(days=1)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rota").click()
    page.wait_for_url("**/rota/week/*")
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    page.wait_for_url(f"**/rota/week/{monday.isoformat()}")

    # Monday's night call: open the slot, pick the first physician.
    slot_button(page, monday, "Night call").click()
    panel = page.get_by_role("dialog", name="Night call")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("19:00 → 07:00 (+1)")
    expect(panel.get_by_role("button", name=re.compile("^Dr. Amir Patel Free"))).to_be_visible()
    pick(page, "Night call", "Dr. Amir Patel")
    expect(slot_button(page, monday, "Night call")).to_contain_text("Dr. Amir Patel")
    expect(day_cell(page, tuesday).get_by_role("button", name=re.compile("^Night call, until 07:00"))).to_contain_text(
        "Dr. Amir Patel")

    # Clinic AM takes two: the panel stays open after the first, offering the open seat.
    slot_button(page, monday, "Clinic AM").click()
    pick(page, "Clinic AM", "Dr. Bea Nguyen")
    expect(page.get_by_role("dialog", name="Clinic AM").get_by_label("fill an open seat")).to_be_checked()
    pick(page, "Clinic AM", "Dr. Carl Jensen")
    expect(slot_button(page, monday, "Clinic AM")).to_contain_text("Dr. Bea Nguyen, Dr. Carl Jensen",
                                                                   use_inner_text=True)

    slot_button(page, tuesday, "Night call").click()
    pick(page, "Night call", "Dr. Carl Jensen")

    # Pediatrics call needs PEDS, and Dr. Patel is on the night call by then: neither can be picked.
    slot_button(page, monday, "Pediatrics call").click()
    peds = page.get_by_role("dialog", name="Pediatrics call")
    expect(peds.get_by_role("listitem").filter(has_text="Dr. Bea Nguyen")).to_contain_text("Not qualified PEDS")
    expect(peds.get_by_role("listitem").filter(has_text="Dr. Amir Patel")).to_contain_text("Busy: Night call")
    expect(peds.get_by_role("button", name=re.compile("^Dr. Bea Nguyen"))).to_have_count(0)
    pick(page, "Pediatrics call", "Dr. Olivia Hart")
    shoot(page, "rota-panel", sizes=("desktop", "phone"))

    # Journey 2: Dr. Patel cannot do Monday night. Two clicks hand it to a free colleague.
    started = time.monotonic()
    slot_button(page, monday, "Night call").click()
    panel = page.get_by_role("dialog", name="Night call")
    expect(panel).to_contain_text("Replace Dr. Amir Patel with:")
    panel.get_by_role("button", name=re.compile("^Dr. Bea Nguyen ")).click()
    expect(panel.get_by_role("status")).to_have_text("Dr. Bea Nguyen now covers this shift instead of Dr. Amir Patel.")
    expect(slot_button(page, monday, "Night call")).to_contain_text("Dr. Bea Nguyen")
    assert time.monotonic() - started < 30

    panel.get_by_role("button", name="Close the panel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The built week at both widths, then its Monday and its month.
    shoot(page, "rota-week-built")
    page.get_by_role("link", name=re.compile(f"^{monday:%A}, ")).first.click()
    page.wait_for_url(f"**/rota/day/{monday.isoformat()}")
    expect(page.get_by_role("heading", level=3, name="Night call").first).to_be_visible()
    expect(page.get_by_role("link", name="Call Dr. Bea Nguyen").first).to_have_attribute("href", "tel:+15550103")
    shoot(page, "rota-day-built")
    page.get_by_role("group", name="View").get_by_role("link", name="Month").click()
    page.wait_for_url(f"**/rota/month/{monday:%Y-%m}")
    expect(day_cell(page, monday)).to_contain_text("B. Nguyen")
    shoot(page, "rota-month-built")
    assert not errors, errors


@pytest.mark.parametrize(("view", "url", "expected"), [
    ("day", "/rota/day/2026-03-07", "Clocks change during this shift"),  # New York springs forward on 8 March
    ("week", "/rota/week/2026-03-02", "until 07:00"),
    ("month", "/rota/month/2026-03", "Founders' Day"),
])
def test_it_keeps_a_fifty_member_group_readable_on_a_phone_and_a_desktop(
        rota_server: Any, new_context: Callable[..., Any], view: str, url: str, expected: str) -> None:
    server, info = rota_server
    page, errors = open_page(new_context, PHONE)
    sign_in(page, server.url, info["manager"], info["password"])

    page.goto(server.url + url)

    expect(page.locator("#rota-grid")).to_contain_text(expected)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        # Nothing sticks out sideways: no horizontal scrolling at either width.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.set_viewport_size(PHONE)
    if view != "day":
        # On a phone the week and the month are agendas: one day after another, full width.
        boxes = page.locator("#rota-grid li.rota-day:visible").evaluate_all(
            "els => els.slice(0, 3).map(e => e.getBoundingClientRect().width)")
        assert boxes and min(boxes) > 300
    page.set_viewport_size(DESKTOP)
    if view != "day":
        columns = page.locator("#rota-grid li.rota-day:visible").evaluate_all(
            "els => new Set(els.slice(0, 7).map(e => Math.round(e.getBoundingClientRect().top))).size")
        assert columns == 1  # seven columns side by side
    shoot(page, f"rota-big-{view}")
    assert not errors, errors


def test_it_shows_another_browsers_change_live_keeping_the_panel_and_the_scroll(
        rota_server: Any, new_context: Callable[..., Any]) -> None:
    server, _info = rota_server
    monday = next_monday(weeks_ahead=2)
    wednesday = monday + timedelta(days=2)
    week_url = f"{server.url}/rota/week/{monday.isoformat()}"

    # B: the owner on a phone, reading the week with a panel open and the page scrolled.
    reader, reader_errors = open_page(new_context, PHONE)
    sign_in(reader, server.url, OWNER)
    reader.goto(week_url)
    wait_for_live(reader)
    slot_button(reader, monday + timedelta(days=1), "Clinic AM").click()
    reader_panel = reader.get_by_role("dialog", name="Clinic AM")
    expect(reader_panel).to_be_visible()
    reader.evaluate("window.scrollTo(0, 900)")
    reader.wait_for_timeout(200)
    scrolled = reader.evaluate("window.scrollY")
    assert scrolled > 500
    expect(slot_button(reader, wednesday, "Night call")).not_to_contain_text("Dr. Amir Patel")

    # A: the manager on a desktop assigns Wednesday's night call.
    writer, writer_errors = open_page(new_context, DESKTOP)
    sign_in(writer, server.url, MANAGER)
    writer.goto(week_url)
    slot_button(writer, wednesday, "Night call").click()
    pick(writer, "Night call", "Dr. Amir Patel")
    changed = time.monotonic()

    expect(slot_button(reader, wednesday, "Night call")).to_contain_text("Dr. Amir Patel", timeout=2000)
    assert time.monotonic() - changed < 2
    expect(reader_panel).to_be_visible()
    expect(reader_panel).to_contain_text("Choose who takes it:")
    assert reader.evaluate("window.scrollY") == scrolled
    shoot(reader, "rota-live-reader", sizes=("phone",))
    assert not reader_errors and not writer_errors, reader_errors + writer_errors


def test_it_assigns_without_javascript(rota_server: Any, new_context: Callable[..., Any]) -> None:
    server, _info = rota_server
    monday = next_monday(weeks_ahead=4)
    page, _errors = open_page(new_context, PHONE, java_script_enabled=False)
    sign_in(page, server.url, MANAGER)

    page.goto(f"{server.url}/rota/week/{monday.isoformat()}")
    slot_button(page, monday, "Hospital rounding").click()
    page.wait_for_url(re.compile(rf"/rota/slots/\d+/{monday.isoformat()}\??$"))
    expect(page.get_by_role("heading", level=2, name="Hospital rounding")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Dr. Carl Jensen ")).click()

    page.wait_for_url(f"**/rota/week/{monday.isoformat()}?notice=rota-assigned")
    expect(page.get_by_role("status")).to_have_text("Shift assigned.")
    expect(slot_button(page, monday, "Hospital rounding")).to_contain_text("Dr. Carl Jensen")
