"""A new practice in Chromium: sign up, go through the setup wizard, see the first week filled; then the
rota setup pages a manager keeps coming back to."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, shoot, sign_up

pytestmark = pytest.mark.e2e


def test_it_sets_up_a_new_practice_and_shows_its_first_filled_week(page: Any, base_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    sign_up(page, base_url, name="Sarah Chen", email=f"sarah.{suffix}@chen-family.example",
            password="a fine long sentence 42", practice=f"Chen Family Medicine {suffix}", country="DE")

    # Straight after sign-up: the wizard.
    page.wait_for_url("**/rota/setup/wizard**")
    expect(page.get_by_role("heading", name="Tell us about your practice")).to_be_visible()
    expect(page.get_by_label("Sarah Chen (you)")).to_be_checked()

    # How many more physicians: the list follows (htmx swaps the rows, what was typed stays).
    page.get_by_label("Name of physician 1").fill("Dr. Amir Patel")
    page.get_by_label("How many more physicians?").fill("3")
    expect(page.locator(".person-row")).to_have_count(3)
    expect(page.get_by_label("Name of physician 1")).to_have_value("Dr. Amir Patel")
    page.get_by_label("Name of physician 2").fill("Dr. Bea Chen")
    page.get_by_label("Email (optional) of physician 2").fill(f"bea.{suffix}@chen-family.example")
    page.get_by_label("Name of physician 3").fill("Dr. Cy Doe")

    # Shifts: the usual four are ticked; add hospital rounding and move the night call, with a typo first.
    expect(page.get_by_role("checkbox", name=re.compile("^Night call"))).to_be_checked()
    page.get_by_role("checkbox", name=re.compile("^Hospital rounding")).check()
    page.get_by_label("Night call: Starts").fill("25:00")
    shoot(page, "wizard")
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / "wizard-desktop-full.png"), full_page=True)
    page.get_by_role("button", name="Create my rota").click()

    # A summary at the top links to the field; the message sits right under it.
    page.get_by_role("alert").get_by_role("link", name=re.compile("^Night call: Enter the local start time")).click()
    start = page.get_by_label("Night call: Starts")
    expect(start).to_have_attribute("aria-invalid", "true")
    message = page.locator("#f-night-call-start_time-error")
    expect(message).to_have_text("Enter the local start time as HH:MM, e.g. 19:00.")
    box, note = start.bounding_box(), message.bounding_box()
    assert box and note and 0 <= note["y"] - (box["y"] + box["height"]) < 24  # right under the field
    expect(page.get_by_label("Name of physician 3")).to_have_value("Dr. Cy Doe")  # nothing typed is lost
    shoot(page, "wizard-error")
    # And where the person is taken by the summary's link: the field and its message.
    page.set_viewport_size(PHONE)
    start.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    page.screenshot(path=str(SCREENSHOTS / "wizard-error-field-phone.png"))

    start.fill("18:00")
    page.get_by_role("button", name="Create my rota").click()

    # The first week, filled.
    page.wait_for_url(re.compile(r"/(rota/week/\d{4}-\d{2}-\d{2}|home)\?notice=wizard"))
    expect(page.get_by_role("status").filter(has_text="Your rota is set up")).to_be_visible()
    if "/rota/week/" in page.url:
        for name in ("Dr. Amir Patel", "Dr. Bea Chen", "Dr. Cy Doe", "Sarah Chen"):
            expect(page.get_by_text(name).locator("visible=true").first).to_be_visible()
        expect(page.get_by_text("Unfilled", exact=True)).to_have_count(0)  # every seat of the week has someone
    shoot(page, "wizard-first-week")

    # Home no longer asks to finish setting up.
    page.goto(base_url + "/home")
    expect(page.get_by_role("heading", name="Finish setting up")).to_have_count(0)


def test_it_shows_the_setup_pages_to_a_manager(page: Any, base_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    sign_up(page, base_url, name="Wanda Martinez", email=f"wanda.{suffix}@albany.example",
            password="a fine long sentence 42", practice=f"Albany Family Medicine {suffix}", country="DE")
    page.goto(base_url + "/home")
    card = page.get_by_role("link", name=re.compile("Finish setting up"))
    expect(card).to_be_visible()
    shoot(page, "home-finish-setup", sizes=("phone",))
    card.click()
    page.wait_for_url("**/rota/setup/wizard")
    page.get_by_label("Name of physician 1").fill("Dr. Amir Patel")
    page.get_by_label("Name of physician 2").fill("Dr. Marcus Williams")
    page.get_by_role("button", name="Create my rota").click()
    page.wait_for_url(re.compile(r"notice=wizard"))

    # Shift types, with a new one that needs a qualification and crosses midnight.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/rota/setup")
    expect(page.get_by_role("heading", name="Rota setup")).to_be_visible()
    page.get_by_role("link", name="New shift type").click()
    page.get_by_label("Name", exact=True).fill("Pediatric call")
    page.get_by_label("Code").fill("night-call")  # taken by the wizard's night call
    page.get_by_label("Location").fill("AMC")
    page.get_by_label("Starts at (local time)").fill("20:00")
    page.get_by_label("Duration in hours").fill("12")
    page.get_by_label("Required qualification").fill("peds")
    page.get_by_role("button", name="Save shift type").click()
    code_error = page.locator("#f-code-error")
    expect(code_error).to_have_text("Another shift type already uses the code “night-call”.")
    shoot(page, "setup-shift-type-error")
    page.get_by_label("Code").fill("peds-call")
    page.get_by_role("button", name="Save shift type").click()
    expect(page.get_by_role("status").filter(has_text="Shift type saved.")).to_be_visible()
    row = page.locator("li.row", has_text="Pediatric call")
    expect(row).to_contain_text("20:00–08:00")
    expect(row).to_contain_text("crosses midnight")
    expect(row).to_contain_text("needs PEDS")
    shoot(page, "setup-shift-types")

    page.get_by_role("link", name="Edit Pediatric call").click()
    expect(page.get_by_label("Starts at (local time)")).to_have_value("20:00")
    shoot(page, "setup-shift-type-form")

    # Holidays: Germany's, imported by the wizard; one of the practice's own added.
    page.get_by_role("navigation", name="Setup sections").get_by_role("link", name="Holidays").click()
    expect(page.get_by_text("Christmas Day").first).to_be_visible()
    own = page.get_by_role("region", name="Add a day of your own")
    own.get_by_label("Date").fill("2026-12-24")
    own.get_by_label("Name").fill("Christmas Eve")
    own.get_by_label("Weight").fill("1.5")
    own.get_by_role("button", name="Add holiday").click()
    expect(page.get_by_role("status").filter(has_text="Holiday saved.")).to_be_visible()
    shoot(page, "setup-holidays")

    # Members' details: a qualification and a phone number.
    page.get_by_role("navigation", name="Setup sections").get_by_role("link", name="Members' details").click()
    amir = page.get_by_role("form", name="Rota details of Dr. Amir Patel")
    amir.get_by_label("Qualifications").fill("PEDS")
    amir.get_by_label("Phone").fill("+49 30 1234 567")
    amir.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Rota details saved.")).to_be_visible()
    expect(page.get_by_role("form", name="Rota details of Dr. Amir Patel").get_by_label("Qualifications")) \
        .to_have_value("PEDS")
    shoot(page, "setup-members")

    page.get_by_role("navigation", name="Setup sections").get_by_role("link", name="Locations").click()
    expect(page.get_by_text("AMC", exact=True)).to_be_visible()
    shoot(page, "setup-locations")
