"""Fixtures of the push tests: a local push service, http endpoints allowed (it has no TLS), and an empty
in-memory broker so that no job of an earlier test runs against this one's rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Browser
from tests.integration.accounts.conftest import mail  # noqa: F401  (a real SMTP server, for the notice tests)
from tests.integration.push.push_service import Device, PushService


@pytest.fixture(autouse=True)
def _push_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from workers.broker import broker

    monkeypatch.setenv("PUSH_ALLOW_HTTP_ENDPOINTS", "1")
    for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT"):
        monkeypatch.delenv(name, raising=False)
    broker.flush_all()
    yield
    broker.flush_all()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with PushService() as service:
        yield service


ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"


async def post_json(browser: Browser, url: str, data: Any, *, method: str = "POST") -> Any:
    """What the page's script sends: JSON with the CSRF header."""
    if not browser.client.cookies.get("csrftoken"):
        await browser.client.get("/login")
    headers = {"x-csrftoken": browser.client.cookies.get("csrftoken"), "user-agent": ANDROID_CHROME}
    return await browser.client.request(method, url, json=data, headers=headers)


async def enable_push(browser: Browser, device: Device) -> int:
    response = await post_json(browser, "/push/subscriptions", device.subscription())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
