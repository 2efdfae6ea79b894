"""View models of the notifications page: devices in words, the digest form's values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.i18n import _

if TYPE_CHECKING:
    from datetime import datetime

    from app.models import Membership, PushSubscription

__all__ = ("DeviceRow", "DigestForm", "device_label", "device_rows", "digest_form", "done_text")

_BROWSERS = (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Macintosh", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str | None) -> str:
    """"Chrome on Android" from a User-Agent header; "Unknown browser" when it says nothing useful."""
    ua = user_agent or ""
    browser = next((name for needle, name in _BROWSERS if needle in ua), None)
    system = next((name for needle, name in _SYSTEMS if re.search(re.escape(needle), ua)), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


@dataclass(frozen=True)
class DeviceRow:
    id: int
    label: str
    added_at: datetime
    last_success_at: datetime | None
    push_service: str


def device_rows(devices: list[PushSubscription]) -> list[DeviceRow]:
    from urllib.parse import urlparse

    return [DeviceRow(id=d.id, label=device_label(d.user_agent), added_at=d.created_at,
                      last_success_at=d.last_success_at, push_service=urlparse(d.endpoint).hostname or "")
            for d in devices]


@dataclass(frozen=True)
class DigestForm:
    enabled: bool
    time: str


def digest_form(membership: Membership | None, *, enabled: bool | None = None, time: str | None = None) -> DigestForm:
    """The digest form's values: what was submitted (after an error), else what is stored."""
    stored = membership.digest_time if membership else None
    return DigestForm(enabled=stored is not None if enabled is None else enabled,
                      time=time if time is not None else (stored or "07:00"))


def done_text(key: str | None) -> str | None:
    return {
        "digest-on": _("Daily summary saved."),
        "digest-off": _("Daily summary turned off."),
        "removed": _("Device removed: it no longer gets notifications."),
        "device-on": _("Notifications are on for this device."),
        "device-off": _("Notifications are off for this device."),
        "test-sent": _("Test notification sent. It should appear on your devices within a few seconds."),
        "test-none": _("No device gets notifications yet. Turn them on for this device first."),
    }.get(key or "")
