"""Requests in Chromium: a member asks for time off and offers a swap (seeing the rules and the load before
sending it), the colleague accepts, and a manager approves both, choosing who covers the shift the time off
touches. Screenshots of every page at phone and desktop widths.

The server is this module's own: the demo practice, given two shift types and a few published shifts through
the JSON API (as an integrator would).
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_SLUG
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, LiveServer, shoot, sign_in

pytestmark = pytest.mark.e2e

MEMBER = "amir.patel@riverside.example"
COLLEAGUE = "bea.nguyen@riverside.example"
MANAGER = "max.manager@riverside.example"


def _api(server: LiveServer, key: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(server.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _saturday() -> date:
    today = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=8)
    return today + timedelta(days=(5 - today.weekday()) % 7)


@pytest.fixture(scope="module")
def requests_server() -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    server = LiveServer("requests")
    try:
        server.prepare()
        server.start()
        key = server._rounds("create-api-key", "--org", DEMO_SLUG, "--scopes",
                             "schedule:read,schedule:write,members:read").strip().splitlines()[-1]
        members = {m["email"]: m["id"] for m in _api(server, key, "GET", "/api/v1/members")["members"]}
        _api(server, key, "POST", "/api/v1/shift-types", {
            "code": "night-call", "name": "Night call", "location": "Main hospital", "start_time": "19:00",
            "duration_minutes": 720, "days_of_week": [0, 1, 2, 3, 4, 5, 6], "weight": 2, "weekend_weight": 3,
            "holiday_weight": 4})
        _api(server, key, "POST", "/api/v1/shift-types", {
            "code": "clinic-am", "name": "Clinic AM", "location": "Clinic", "start_time": "08:00",
            "duration_minutes": 240, "days_of_week": [0, 1, 2, 3, 4], "weight": 1, "weekend_weight": 1.5,
            "holiday_weight": 2})
        sat = _saturday()
        plan = [("night-call", sat, MEMBER), ("clinic-am", sat - timedelta(days=2), COLLEAGUE),
                ("clinic-am", sat + timedelta(days=3), MEMBER), ("night-call", sat + timedelta(days=1), COLLEAGUE)]
        for code, day, email in plan:
            _api(server, key, "POST", "/api/v1/assignments", {"shift": code, "date": day.isoformat(),
                                                              "member_id": members[email]})
        yield server, {"key": key, "members": members, "saturday": sat}
    finally:
        server.cleanup()


def full_page(page: Any, name: str) -> None:
    """A whole long page at phone and desktop widths (the rules form is longer than two screens)."""
    original = page.viewport_size
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}-full.png"), full_page=True)
    page.set_viewport_size(original)


def _page(new_context: Callable[..., Any], viewport: dict[str, int]) -> tuple[Any, list[str]]:
    ctx = new_context(viewport=viewport, timezone_id="America/New_York")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def test_it_lets_a_member_ask_and_a_manager_approve(requests_server: Any, new_context: Callable[..., Any]) -> None:
    server, info = requests_server
    sat: date = info["saturday"]
    tuesday = sat + timedelta(days=3)

    # -- Dr. Patel, on his phone: time off on the Tuesday he has a clinic ---------------------------------
    member, member_errors = _page(new_context, PHONE)
    sign_in(member, server.url, MEMBER)
    member.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    member.wait_for_url("**/requests")
    expect(member.get_by_role("heading", name="Your next shifts")).to_be_visible()
    member.get_by_role("button", name="Ask for time off").click()  # nothing filled in yet
    expect(member.locator("#f-start_date-error")).to_have_text("Enter a date.")
    expect(member.get_by_label("First day off")).to_have_attribute("aria-invalid", "true")
    shoot(member, "requests-time-off-errors", sizes=("phone",))
    member.get_by_label("First day off").fill(tuesday.isoformat())
    member.get_by_label("Last day off").fill((tuesday + timedelta(days=1)).isoformat())
    member.get_by_label("Note for the manager (optional)").fill("My mother is in hospital.")
    shoot(member, "requests-index")
    member.get_by_role("button", name="Ask for time off").click()
    expect(member.get_by_role("status")).to_contain_text("Your time off request is sent")
    expect(member.get_by_role("heading", level=1)).to_have_text("Time off")
    shoot(member, "requests-time-off-sent")

    # -- ... and offers his Saturday night to Dr. Nguyen, taking her Thursday clinic --------------------
    member.goto(server.url + "/requests")
    member.get_by_role("link", name=re.compile(r"^Swap Night call")).click()
    member.wait_for_url("**/requests/swap?**")
    member.get_by_label("Colleague").select_option(label="Dr. Bea Nguyen")
    take = member.get_by_label("Take one of their shifts in return (optional)")
    expect(take).to_be_visible()
    take.select_option(index=1)
    preview = member.get_by_role("region", name="Before you confirm")
    expect(preview).to_contain_text("Breaks no rule.")
    expect(preview).to_contain_text("Dr. Amir Patel: +1 point, \u22123 weekend points (\u22122 in all)")
    expect(preview).to_contain_text("Dr. Bea Nguyen: \u22121 point, +3 weekend points (+2 in all)")
    shoot(member, "requests-swap-preview")
    member.get_by_label("Message to your colleague (optional)").fill("Family matters, thank you!")
    member.get_by_role("button", name="Send the swap offer").click()
    expect(member.get_by_role("status")).to_contain_text("Your swap offer is sent")
    expect(member.get_by_text("Waiting for Dr. Bea Nguyen")).to_be_visible()

    # ... and would rather not work nights (a wish for the generator, not a rule).
    member.goto(server.url + "/requests#preferences")
    member.get_by_role("button", name="Add preference").click()  # neither a date nor a shift type
    expect(member.locator("#f-pref_date-error")).to_be_in_viewport()  # not the top of a long page
    member.get_by_text("I'd rather not").click()
    member.get_by_label("Shift type (optional)").select_option(label="Night call")
    member.get_by_label("How much").select_option("3")
    member.get_by_role("button", name="Add preference").click()
    expect(member.get_by_role("status")).to_contain_text("Preference saved.")
    expect(member.get_by_role("status")).to_be_in_viewport()
    expect(member.get_by_role("button", name="Remove Would rather avoid Night call shifts")).to_be_visible()
    full_page(member, "requests-index-after")
    assert not member_errors

    # -- Dr. Nguyen accepts ----------------------------------------------------------------------------
    colleague, colleague_errors = _page(new_context, PHONE)
    sign_in(colleague, server.url, COLLEAGUE)
    colleague.goto(server.url + "/requests")
    waiting = colleague.get_by_role("region", name=re.compile("^Waiting for you"))
    expect(waiting).to_contain_text("Dr. Amir Patel offers Night call")
    waiting.get_by_role("link", name=re.compile("offers Night call")).click()
    expect(colleague.get_by_role("region", name="Before you confirm")).to_contain_text("Breaks no rule.")
    shoot(colleague, "requests-swap-answer")
    colleague.get_by_role("button", name="Accept the swap").click()
    expect(colleague.get_by_role("status")).to_contain_text("Swap accepted; a manager will approve it.")
    assert not colleague_errors

    # -- Max, the practice manager, at his desk ---------------------------------------------------------
    manager, manager_errors = _page(new_context, DESKTOP)
    sign_in(manager, server.url, MANAGER)
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    inbox = manager.get_by_role("region", name=re.compile("^Waiting for you"))
    expect(inbox.get_by_role("listitem")).to_have_count(2)
    shoot(manager, "requests-inbox", sizes=("desktop", "phone"))

    inbox.get_by_role("link", name=re.compile("asks for time off")).click()
    cover = manager.get_by_role("group", name=re.compile("^Clinic AM"))
    expect(cover).to_be_visible()
    cover.get_by_role("radio", name=re.compile("Dr. Carl Jensen")).check()
    manager.get_by_label("Comment to the people involved (optional)").fill("Take care. Carl covers the clinic.")
    shoot(manager, "requests-approve-time-off", sizes=("desktop", "phone"))
    manager.get_by_role("button", name="Approve").click()
    expect(manager.get_by_role("status")).to_contain_text("Request approved.")
    expect(manager.locator(".req-status")).to_have_text("Approved")

    manager.goto(server.url + "/requests")
    manager.get_by_role("link", name=re.compile("offers Night call")).first.click()
    expect(manager.get_by_role("region", name="Before you confirm")).to_contain_text("Breaks no rule.")
    manager.get_by_role("button", name="Approve").click()
    expect(manager.get_by_role("status")).to_contain_text("Request approved.")
    shoot(manager, "requests-swap-approved", sizes=("desktop", "phone"))

    # The rules: a half-typed number is named beside its box and linked from the top of the long form.
    manager.goto(server.url + "/rota/rules")
    manager.set_viewport_size(PHONE)
    manager.get_by_label("Maximum weekends per month").fill("2x")
    manager.get_by_role("button", name="Save rules").click()
    expect(manager.locator("#f-max_weekends_per_month-error")).to_have_text(
        "Enter a number, or leave it blank for no limit.")
    summary = manager.get_by_role("alert").filter(has_text="Some rules need a second look")
    summary.get_by_role("link", name=re.compile("^Maximum weekends per month")).click()
    expect(manager.get_by_label("Maximum weekends per month")).to_be_in_viewport()
    shoot(manager, "rules-errors", sizes=("phone",))
    manager.set_viewport_size(DESKTOP)
    manager.get_by_label("Maximum weekends per month").fill("")
    # Rest, no clinic after a night call, nights are calls, Dr. Patel never works Fridays.
    manager.get_by_label("Minimum rest between shifts (hours)").fill("11")
    manager.get_by_label("Maximum working days in a row").fill("6")
    manager.get_by_label("After a shift of type").select_option(label="Night call")
    manager.get_by_label("no shift of type, the next day").select_option(label="Clinic AM")
    manager.get_by_role("group", name="Which shift types are calls").get_by_label("Night call").check()
    manager.get_by_label("Dr. Amir Patel is off on Friday").check()
    manager.get_by_role("button", name="Save rules").click()
    expect(manager.get_by_role("status")).to_contain_text("Rules saved.")
    expect(manager.get_by_label("Night call, then Clinic AM the next day")).to_be_checked()
    full_page(manager, "rules-saved")
    assert not manager_errors

    # -- Dr. Patel gives his Thursday clinic away; Dr. Nguyen looks at taking it --------------------------
    member.goto(server.url + "/requests")
    member.get_by_role("link", name=re.compile(r"^Give away Clinic AM")).click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Give away a shift")
    shoot(member, "requests-giveaway")
    member.get_by_role("button", name="Give it away").click()
    expect(member.get_by_role("status")).to_contain_text("Your shift is in the open shifts list.")
    colleague.goto(server.url + "/requests/open")
    expect(colleague.get_by_text("Given away by Dr. Amir Patel")).to_be_visible()
    shoot(colleague, "requests-open")
    colleague.get_by_role("link", name=re.compile("^Take this shift")).click()
    expect(colleague.get_by_role("region", name="Before you confirm")).to_contain_text("Effect on load")
    shoot(colleague, "requests-claim")
    colleague.goto(server.url + "/requests/open")
    colleague.get_by_role("link", name=re.compile("^Volunteer")).first.click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Volunteer for a shift")
    shoot(colleague, "requests-volunteer")
    assert not colleague_errors

    # The published schedule says so.
    week = _api(server, info["key"], "GET", f"/api/v1/schedule?date={(sat - timedelta(days=2)).isoformat()}&days=6")
    who = {(a["shift"]["code"], a["date"]): a["member"]["name"] for a in week["assignments"]}
    assert who[("night-call", sat.isoformat())] == "Dr. Bea Nguyen"
    assert who[("clinic-am", (sat - timedelta(days=2)).isoformat())] == "Dr. Amir Patel"
    assert who[("clinic-am", tuesday.isoformat())] == "Dr. Carl Jensen"
