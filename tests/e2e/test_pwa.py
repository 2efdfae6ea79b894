"""The installable app: manifest and icons, the service worker's scope, offline copies, and sign-out."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DEMO_OWNER,
    LiveServer,
    shoot,
    sign_in,
    sign_up,
    wait_for_service_worker,
    wait_until,
)

pytestmark = pytest.mark.e2e

# Every URL kept in the service worker's caches, by cache name.
CACHED_URLS = """
async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
  }
  return out;
}
"""


def _pages_cached(page: Any) -> list[str]:
    caches = page.evaluate(CACHED_URLS)
    return [url for name, urls in caches.items() if name.startswith("pages-") for url in urls]


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def test_it_serves_an_installable_manifest_with_icons_that_load(page: Any, base_url: str) -> None:
    response = page.request.get(base_url + "/manifest.json")
    assert response.status == 200
    assert "json" in response.headers["content-type"]
    manifest = response.json()
    assert manifest["name"] == "Rounds"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/home"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= set(sizes)
    for size, icon in sizes.items():
        assert icon["type"] == "image/png"
        image = page.request.get(base_url + icon["src"])
        assert image.status == 200, icon["src"]
        assert image.headers["content-type"] == "image/png"
        width, height = _png_size(image.body())
        assert f"{width}x{height}" == size, f"{icon['src']} is {width}x{height}, the manifest says {size}"

    # The page links the manifest, so the browser can offer to install it.
    page.goto(base_url + "/")
    expect(page.locator("link[rel=manifest]")).to_have_attribute("href", "/manifest.json")


def test_it_registers_the_service_worker_for_the_whole_site(page: Any, base_url: str) -> None:
    response = page.request.get(base_url + "/sw.js")
    assert response.status == 200
    assert "javascript" in response.headers["content-type"]
    page.goto(base_url + "/login")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == base_url + "/"
    assert scope.endswith("/")
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)") == base_url + "/sw.js"


def test_it_shows_saved_pages_and_the_offline_page_when_the_server_is_down(
    make_server: Callable[[], LiveServer], new_context: Callable[..., Any]
) -> None:
    server = make_server()
    page = new_context().new_page()
    sign_up(
        page,
        server.url,
        name="Olaf Offline",
        email="olaf@offline.example",
        password="a fine long sentence 42",
        practice="Offline Clinic",
    )
    wait_for_service_worker(page)
    # Visited with the service worker in control: both are saved on the device.
    page.goto(server.url + "/home")
    expect(page.get_by_role("button", name="Send again")).to_be_enabled()
    page.goto(server.url + "/members")
    expect(page.get_by_role("button", name="Send invitation")).to_be_enabled()
    page.goto(server.url + "/home")
    assert {"/home", "/members"} <= set(_pages_cached(page))
    banner = page.get_by_role("status").filter(has_text="last copy saved on this device")
    expect(banner).to_be_hidden()

    server.stop()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offline Clinic")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(re.compile(r"Offline, as of \d{1,2}:\d{2}"))
    expect(page.get_by_role("button", name="Send again")).to_be_disabled()
    shoot(page, "offline-home", sizes=("phone",))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.wait_for_url("**/members")
    expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
    expect(banner).to_be_visible()
    expect(page.get_by_role("button", name="Send invitation")).to_be_disabled()
    shoot(page, "offline-members", sizes=("phone",))

    # A page never opened on this device.
    page.goto(server.url + "/audit?x=1")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    shoot(page, "offline-page", sizes=("phone",))

    # Back online, the saved copy gives way to the live page.
    server.start()
    page.goto(server.url + "/home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offline Clinic")
    expect(banner).to_be_hidden()
    expect(page.get_by_role("button", name="Send again")).to_be_enabled()


def test_it_forgets_saved_pages_at_sign_out(
    make_server: Callable[[], LiveServer], new_context: Callable[..., Any]
) -> None:
    server = make_server()
    page = new_context().new_page()
    sign_in(page, server.url, DEMO_OWNER)
    wait_for_service_worker(page)
    page.goto(server.url + "/members")
    page.goto(server.url + "/home")
    assert {"/home", "/members"} <= set(_pages_cached(page))

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")
    expect(page.get_by_role("status").filter(has_text="You have signed out.")).to_be_visible()
    wait_for_service_worker(page)
    assert _pages_cached(page) == []

    # With the server down, the previous user's home is not shown from the device.
    server.stop()
    page.goto(server.url + "/home")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_text("Riverside")).to_have_count(0)


def test_it_clears_saved_pages_when_the_page_asks_the_service_worker(page: Any, base_url: str) -> None:
    # What app.js does at sign-out for browsers that ignore Clear-Site-Data.
    sign_in(page, base_url, DEMO_OWNER)
    wait_for_service_worker(page)
    page.goto(base_url + "/members")
    assert "/members" in _pages_cached(page)
    page.evaluate("navigator.serviceWorker.controller.postMessage('clear-pages')")
    wait_until(
        page,
        "caches.keys().then((keys) => !keys.some((k) => k.startsWith('pages-')))",
        timeout=5,
        message="the pages cache is still there",
    )
    assert _pages_cached(page) == []
    # The shell (and its offline page) stays.
    assert any("/offline" in urls for name, urls in page.evaluate(CACHED_URLS).items() if name.startswith("shell-"))
