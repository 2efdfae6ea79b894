"""Phones: the main navigation fits a 360 px screen and no page scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_OWNER, DEMO_VIEWER, DESKTOP, SCREENSHOTS, shoot, sign_in

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 740}
PAGES = ["/home", "/members", "/audit"]


def _check_navigation(page: Any) -> None:
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    links = nav.get_by_role("link")
    assert links.count() >= 2
    for i in range(links.count()):
        link = links.nth(i)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        name = link.inner_text().strip()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"] + 0.5, (name, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"] + 0.5, (name, box)
        assert box["height"] >= 44, f"{name!r} is a small touch target: {box}"
        # The label is not cut off.
        assert link.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), f"{name!r} overflows its tab"


def _check_no_sideways_scroll(page: Any, path: str, limit: int = SMALL_PHONE["width"]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > limit + 1:
        culprits = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter((el) => el.getBoundingClientRect().right > limit + 1)
                 .slice(0, 5)
                 .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)""",
            limit,
        )
        raise AssertionError(f"{path} scrolls sideways at {limit} px ({width} px wide): {culprits}")


@pytest.mark.parametrize("email", [DEMO_OWNER, DEMO_VIEWER], ids=["owner", "viewer"])
def test_it_fits_a_360_px_phone(new_context: Any, base_url: str, email: str) -> None:
    page = new_context(viewport=SMALL_PHONE).new_page()
    sign_in(page, base_url, email)
    for path in PAGES:
        if path == "/audit" and email == DEMO_VIEWER:
            continue  # viewers have no audit log
        page.goto(base_url + path)
        _check_navigation(page)
        _check_no_sideways_scroll(page, path)
    if email == DEMO_OWNER:
        page.goto(base_url + "/members")
        shoot(page, "members-demo", sizes=("phone",))


@pytest.mark.parametrize("viewport", [SMALL_PHONE, DESKTOP], ids=["phone", "desktop"])
def test_it_opens_the_account_menu_over_everything_else(
    new_context: Any, base_url: str, viewport: dict[str, int]
) -> None:
    page = new_context(viewport=viewport).new_page()
    sign_in(page, base_url, DEMO_OWNER)
    page.get_by_label("Account menu").click()
    for name, item in [
        ("Signed in as", page.get_by_text("Signed in as")),
        ("Sign out", page.get_by_role("button", name="Sign out")),
    ]:
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (name, box)
        # Nothing (the sticky navigation, say) lies on top of it.
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('.menu-panel') !== null",
            [box["x"] + 4, box["y"] + box["height"] / 2],
        )
        assert on_top, f"{name!r} in the account menu is covered at {viewport['width']} px"
    _check_no_sideways_scroll(page, "/home with the account menu open", viewport["width"])
    # What this viewport shows (shoot() would resize it).
    page.screenshot(path=str(SCREENSHOTS / f"account-menu-open-{viewport['width']}.png"))
