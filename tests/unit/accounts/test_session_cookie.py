"""The session cookie: out of reach of scripts and of other sites, and pinned to the host over https."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.auth import session_cookie
from app.config import get_settings


@pytest.fixture
def over_https(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BASE_URL", "https://rounds.example")
    get_settings.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_it_keeps_the_session_cookie_from_scripts_and_cross_site_posts() -> None:
    cookie = session_cookie("token-value")
    assert cookie.httponly is True
    assert cookie.samesite == "lax"
    assert cookie.path == "/"
    assert cookie.domain is None
    assert cookie.max_age == get_settings().session_absolute_hours * 3600


def test_it_deletes_the_cookie_when_given_no_token() -> None:
    cookie = session_cookie(None)
    assert cookie.value == ""
    assert cookie.max_age == 0


def test_it_marks_the_cookie_secure_and_host_only_over_https(over_https: None) -> None:
    cookie = session_cookie("token-value")
    assert cookie.key == "__Host-rounds_session"
    assert cookie.secure is True
    assert cookie.path == "/" and cookie.domain is None  # what the __Host- prefix requires
    header = cookie.to_header(header="")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header
