"""The rules of web push without a server: when a digest is due (DST days, midnight), what a subscription
must look like, how a rota change and a device read, and where VAPID keys come from."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.models import Assignment, Location, ShiftType
from app.notify.push import b64url, vapid_keys
from app.services.errors import ValidationFailed
from app.services.push import digest_is_due, parse_digest_time, parse_subscription, rota_change_message
from app.views.push import device_label

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int, minute: int, tz: ZoneInfo = BERLIN) -> datetime:
    """A local wall time as the worker sees it: an instant, converted to the organization's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC).astimezone(tz)


def test_it_is_due_from_the_chosen_minute_for_an_hour() -> None:
    day = date(2026, 6, 10)
    assert not digest_is_due("07:00", at(day, 6, 59))
    assert digest_is_due("07:00", at(day, 7, 0))
    assert digest_is_due("07:00", at(day, 7, 59))
    assert not digest_is_due("07:00", at(day, 8, 0))
    assert not digest_is_due(None, at(day, 7, 0))
    assert not digest_is_due("7:00", at(day, 7, 0))


def test_it_does_not_carry_a_late_evening_digest_past_midnight() -> None:
    assert digest_is_due("23:30", at(date(2026, 6, 10), 23, 59))
    assert not digest_is_due("23:30", at(date(2026, 6, 11), 0, 10))


def test_it_sends_a_digest_whose_time_a_spring_forward_skips_as_the_clocks_jump() -> None:
    spring = date(2026, 3, 29)  # Berlin: 02:00 becomes 03:00
    just_before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC).astimezone(BERLIN)  # 01:59 local
    just_after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC).astimezone(BERLIN)  # 03:00 local
    assert (just_before.hour, just_after.hour) == (1, 3) and just_after.date() == spring
    assert not digest_is_due("02:30", just_before)
    assert digest_is_due("02:30", just_after)


def test_it_sends_a_digest_in_the_repeated_hour_of_a_fall_back_the_first_time() -> None:
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).astimezone(BERLIN)  # 02:30 CEST
    assert (first.hour, first.minute, first.fold) == (2, 30, 0)
    assert digest_is_due("02:30", first)


@pytest.mark.parametrize(("enabled", "raw", "expected"), [
    (True, "07:00", "07:00"), (True, " 18:45 ", "18:45"), (True, "06:30:00", "06:30"), (False, "nonsense", None),
])
def test_it_reads_the_digest_time(enabled: bool, raw: str, expected: str | None) -> None:
    assert parse_digest_time(enabled, raw) == expected


@pytest.mark.parametrize("raw", ["", "24:00", "7:5", "12:60", "noon", "07:00pm"])
def test_it_refuses_a_time_that_is_not_one(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_digest_time(True, raw)
    assert set(caught.value.errors) == {"digest_time"}


def _subscription(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc") -> dict[str, object]:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(b"0123456789abcdef")}}


def test_it_accepts_a_browser_subscription(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSH_ALLOW_HTTP_ENDPOINTS", raising=False)
    data = _subscription()
    device = parse_subscription(data)
    assert device.endpoint == data["endpoint"] and device.auth == data["keys"]["auth"]  # type: ignore[index]


@pytest.mark.parametrize("change", [
    {"endpoint": "http://push.example/plain-http"},
    {"endpoint": "https:///no-host"},
    {"endpoint": "https://push.example/" + "x" * 2000},
    {"keys": {"p256dh": b64url(b"\x04" + b"\x00" * 64), "auth": b64url(b"0123456789abcdef")}},  # not on the curve
    {"keys": {"p256dh": "", "auth": ""}},
    {"keys": None},
])
def test_it_refuses_anything_else(change: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSH_ALLOW_HTTP_ENDPOINTS", raising=False)
    with pytest.raises(ValidationFailed):
        parse_subscription({**_subscription(), **change})


def _assignment(day: date, start: time, minutes: int, status: str = "active") -> Assignment:
    shift = ShiftType(code="night-call", name="Night call", start_time=start, duration_minutes=minutes,
                      location=Location(name="AMC"))
    return Assignment(id=42, date=day, shift_type=shift, status=status)


def test_it_words_a_rota_change_with_the_shift_the_day_and_the_local_time() -> None:
    added = rota_change_message("rota.assigned", _assignment(date(2026, 3, 3), time(19, 0), 720), BERLIN)
    assert (added.title, added.body, added.url) == ("Rota changed", "You are on Night call on Tue 3 Mar at 19:00.",
                                                    "/rota/mine")
    removed = rota_change_message("rota.unassigned", _assignment(date(2026, 3, 3), time(19, 0), 720), BERLIN)
    assert removed.body == "You are no longer on Night call on Tue 3 Mar."
    assert set(__import__("json").loads(added.payload())) == {"title", "body", "url", "tag"}


def test_it_gives_the_real_start_when_the_clocks_skip_the_wall_time() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: like the rota, the push moves it on by the gap.
    message = rota_change_message("rota.assigned", _assignment(date(2026, 3, 29), time(2, 30), 60), BERLIN)
    assert message.body == "You are on Night call on Sun 29 Mar at 03:30."


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
     "Chrome on Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile Safari/604.1",
     "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
     "Edge on Mac"),
    (None, "Unknown browser"),
])
def test_it_names_a_device_by_its_browser(agent: str | None, label: str) -> None:
    assert device_label(agent) == label


def test_it_takes_the_vapid_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint))
    monkeypatch.setenv("VAPID_PRIVATE_KEY", raw)
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:ops@clinic.example")
    keys = vapid_keys()
    assert keys.public_key == public and keys.subject == "mailto:ops@clinic.example"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", pem)
    assert vapid_keys().public_key == public


def test_it_generates_the_vapid_key_once_and_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("VAPID_SUBJECT", raising=False)
    first, second = vapid_keys(), vapid_keys()
    assert first.public_key == second.public_key
    assert len(b64url(b"x" * 65)) == len(first.public_key)
    assert first.subject == "mailto:rounds@localhost"  # from MAIL_FROM's default
