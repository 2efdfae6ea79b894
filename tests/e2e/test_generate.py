"""The generator in Chromium: a manager generates next month, watches the progress, locks two cells,
regenerates around them, publishes, and reads the equity ledger; screenshots at phone and desktop widths."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_SLUG
from tests.e2e.conftest import DESKTOP, ROOT, SCREENSHOTS, LiveServer, shoot, sign_in

pytestmark = pytest.mark.e2e

MANAGER = "max.manager@riverside.example"
MEMBER = "amir.patel@riverside.example"


@pytest.fixture(scope="module")
def generate_server() -> Iterator[LiveServer]:
    server = LiveServer("generate")
    try:
        server.prepare()
        subprocess.run([sys.executable, "-m", "tests.integration.rota.seed", "--demo-shifts", DEMO_SLUG],
                       env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=True)
        server.start()
        yield server
    finally:
        server.cleanup()


def test_it_generates_locks_regenerates_and_publishes_a_month(generate_server: LiveServer, new_context) -> None:
    base = generate_server.url
    page = new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, MANAGER)
    page.goto(base + "/rota/generate")
    expect(page.get_by_role("heading", name="Generate a schedule")).to_be_visible()
    page.get_by_label("Time to search (seconds)").fill("4")
    month = (f"from={page.get_by_label('First day').input_value()}"
             f"&to={page.get_by_label('Last day').input_value()}")
    shoot(page, "generate-form")
    progress_fetches: list[str] = []
    page.on("request", lambda r: progress_fetches.append(r.url) if "/progress" in r.url else None)
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url("**/rota/drafts/*")
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()
    expect(page.get_by_label("Search time used")).to_be_visible()
    # While the worker searches, the box follows its announcements (SSE "generate") with the best so far.
    running = page.locator("#gen-progress").filter(has_text="Generating")
    with contextlib.suppress(AssertionError):
        expect(running.locator("[data-best]")).to_contain_text("points per FTE", timeout=4000)
        shoot(page, "generate-progress", sizes=("desktop", "phone"))
    expect(page.get_by_role("status").filter(has_text="Ready to review")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Largest deviation from fair share", exact=True).first).to_be_visible()
    assert progress_fetches, "the progress box never refreshed while the draft was generated"

    lock = re.compile(r"^Lock ")
    first_label = page.get_by_role("button", name=lock).nth(0).get_attribute("aria-label")
    page.get_by_role("button", name=lock).nth(0).click()
    expect(page.get_by_role("button", name=first_label.replace("Lock ", "Unlock ", 1))).to_be_visible()
    second_label = page.get_by_role("button", name=lock).nth(3).get_attribute("aria-label")
    page.get_by_role("button", name=lock).nth(3).click()
    expect(page.get_by_role("button", name=second_label.replace("Lock ", "Unlock ", 1))).to_be_visible()

    page.get_by_role("button", name="Regenerate around the locks").click()
    expect(page.get_by_role("status").filter(has_text="Ready to review")).to_be_visible(timeout=60_000)
    for label in (first_label, second_label):  # the locked cells survived the regeneration
        expect(page.get_by_role("button", name=label.replace("Lock ", "Unlock ", 1))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Unlock "))).to_have_count(2)
    shoot(page, "generate-draft")
    page.set_viewport_size(DESKTOP)
    page.locator(".gen-day").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "generate-draft-grid-desktop.png"))

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published. Members see their new shifts now")).to_be_visible()
    shoot(page, "generate-published", sizes=("desktop",))

    member = new_context(viewport=DESKTOP).new_page()
    sign_in(member, base, MEMBER)
    member.goto(base + "/rota/equity?" + month)
    expect(member.get_by_role("heading", name="Equity ledger")).to_be_visible()
    expect(member.get_by_role("img")).to_be_visible()
    assert member.goto(base + "/rota/generate").status == 403
    member.goto(base + "/rota/equity?" + month)
    expect(member.get_by_text("Total ", exact=False).first).to_be_attached()
    shoot(member, "equity-ledger")
    # From their own shifts a member jumps to how their points arose, already unfolded.
    member.goto(base + "/rota/mine")
    member.get_by_role("link", name="My points in the equity ledger").click()
    member.wait_for_url("**/rota/equity#why-*")
    mine = member.locator("details.is-me")
    expect(mine).to_have_attribute("open", "")
    expect(mine.locator("summary")).to_contain_text("you")
    expect(mine.get_by_text("points per FTE", exact=False).first).to_be_in_viewport()
    assert errors == []
