"""API keys and the API's rate limit, without a server."""

from __future__ import annotations

import pytest

from app.config import get_settings
from app.routes.api import _rate_key


class _Request:
    def __init__(self, headers: dict[str, str], host: str = "192.0.2.7") -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.client = type("Client", (), {"host": host})()


def test_it_counts_calls_per_key_without_keeping_the_secret() -> None:
    secret = "rk_" + "s" * 40
    key = _rate_key(_Request({"Authorization": f"Bearer {secret}"}))  # type: ignore[arg-type]

    assert key.startswith("key:")
    assert secret not in key and secret[3:13] not in key
    assert key == _rate_key(_Request({"Authorization": f"bearer  {secret} "}, host="198.51.100.1"))  # type: ignore[arg-type]
    assert key != _rate_key(_Request({"Authorization": "Bearer rk_other"}))  # type: ignore[arg-type]


def test_it_counts_calls_without_a_key_per_address() -> None:
    assert _rate_key(_Request({})) == "ip:192.0.2.7"  # type: ignore[arg-type]
    assert _rate_key(_Request({"Authorization": "Basic abc"}, host="198.51.100.1")) == "ip:198.51.100.1"  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "limit"), [(None, 300), ("", 300), ("25", 25), ("0", 1)])
def test_it_reads_the_rate_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str | None,
                                                      limit: int) -> None:
    if raw is None:
        monkeypatch.delenv("API_RATE_LIMIT_PER_MINUTE", raising=False)
    else:
        monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", raw)
    get_settings.cache_clear()
    try:
        assert get_settings().api_rate_limit_per_minute == limit
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

