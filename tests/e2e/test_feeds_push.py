"""Calendar feeds and notifications in Chromium: a physician makes a feed and reads it as a calendar app would,
turns it off; a manager makes a feed per shift type; the notifications page offers this device and the daily
summary. (Subscribing for real needs the browser's push service on the internet; the integration tests cover
delivery end to end against a local push service.)"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import icalendar
import pytest
from playwright.sync_api import expect

from app.demo import DEMO_SLUG
from tests.e2e.conftest import DESKTOP, ROOT, LiveServer, shoot, sign_in

pytestmark = pytest.mark.e2e

MEMBER = "amir.patel@riverside.example"
MANAGER = "max.manager@riverside.example"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """The demo practice with shift types, and Dr. Amir Patel on a few published shifts from next week."""
    live = LiveServer("feeds")
    try:
        live.prepare()
        for module, *args in (("tests.integration.rota.seed", "--demo-shifts", DEMO_SLUG),
                              ("tests.integration.feeds.rota_support", DEMO_SLUG, MEMBER)):
            subprocess.run([sys.executable, "-m", module, *args], env=live.env, cwd=ROOT, capture_output=True,
                           text=True, timeout=180, check=True)
        live.start()
        yield live
    finally:
        live.cleanup()


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def open_account_menu_link(page: Any, name: str) -> None:
    page.get_by_label("Account menu").click()
    page.get_by_role("link", name=name).click()


def test_it_makes_a_feed_a_calendar_can_read_and_turns_it_off(page: Any, server: LiveServer) -> None:
    sign_in(page, server.url, MEMBER)
    open_account_menu_link(page, "Calendar feeds")
    expect(page.get_by_role("heading", name="Calendar feeds", level=1)).to_be_visible()
    shoot(page, "feeds-empty", sizes=("phone",))
    page.get_by_role("button", name="Create my calendar feed").click()
    expect(page.get_by_role("status").filter(has_text="Your feed is ready")).to_be_visible()
    address = page.get_by_label("Feed address").input_value()
    assert re.fullmatch(re.escape(server.url) + r"/feeds/[A-Za-z0-9_\-]+\.ics", address), address
    webcal = page.get_by_role("link", name="Open in my calendar app").get_attribute("href")
    assert webcal == "webcal://" + address.split("://", 1)[1]
    shoot(page, "feeds-new")

    status, body = fetch(address)
    assert status == 200
    cal = icalendar.Calendar.from_ical(body)
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert len(cal.walk("VEVENT")) >= 1

    page.goto(server.url + "/feeds")
    expect(page.get_by_role("button", name="Get a new address")).to_be_visible()
    expect(page.get_by_label("Feed address")).to_have_count(0)  # shown once only
    shoot(page, "feeds-active")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_role("status").filter(has_text="Calendar feed turned off")).to_be_visible()
    assert fetch(address)[0] == 404


def test_it_gives_a_manager_a_feed_per_shift_type(new_context: Any, server: LiveServer) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    sign_in(page, server.url, MANAGER)
    page.goto(server.url + "/feeds")
    expect(page.get_by_role("heading", name="Feeds per shift type")).to_be_visible()
    # The manager takes no shifts: no empty feed of their own on offer.
    expect(page.get_by_text("You are not in the schedule")).to_be_visible()
    expect(page.get_by_role("button", name="Create my calendar feed")).to_have_count(0)
    create = page.get_by_role("button", name=re.compile(r"^Create a feed for "))
    expect(create.first).to_be_visible()
    create.first.click()
    address = page.get_by_label("Feed address").input_value()
    status, body = fetch(address)
    assert status == 200 and b"BEGIN:VCALENDAR" in body
    shoot(page, "feeds-shift-types")


def test_it_offers_notifications_on_this_device_and_a_daily_summary(page: Any, server: LiveServer) -> None:
    sign_in(page, server.url, MEMBER)
    open_account_menu_link(page, "Notifications")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    # The script found push support and no subscription yet.
    expect(page.get_by_text("Notifications are off for this device.")).to_be_visible()
    expect(page.get_by_role("button", name="Enable notifications on this device")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off on this device")).to_be_hidden()
    expect(page.get_by_text("No device gets notifications yet.")).to_be_visible()
    shoot(page, "push")

    page.get_by_label("Send me a summary of today’s and tomorrow’s shifts every day").check()
    page.get_by_label("At").fill("07:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Daily summary saved.")).to_be_visible()
    expect(page.get_by_label("At")).to_have_value("07:30")
    shoot(page, "push-saved", sizes=("phone",))
