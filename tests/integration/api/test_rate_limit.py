"""The JSON API's rate limit (``API_RATE_LIMIT_PER_MINUTE``), per key, with the documented error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.config import get_settings
from tests.conftest import World
from tests.integration.api.test_api_keys import MEMBERS, assert_error, bearer
from tests.integration.tenancy import api_key

LIMIT = 3


@pytest.fixture
async def limited_api(monkeypatch: pytest.MonkeyPatch, world: World) -> AsyncIterator[Any]:
    """A client of an app started with ``API_RATE_LIMIT_PER_MINUTE=3``."""
    from litestar.testing import AsyncTestClient

    from app.main import create_app

    monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", str(LIMIT))
    get_settings.cache_clear()
    try:
        app = create_app()  # the limit is read as the app is built
    finally:
        monkeypatch.delenv("API_RATE_LIMIT_PER_MINUTE")
        get_settings.cache_clear()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def test_it_answers_429_past_the_limit(limited_api: Any, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["members:read"])

    for n in range(LIMIT):
        response = await limited_api.get(MEMBERS, headers=bearer(secret))
        assert response.status_code == 200, n
    over = await limited_api.get(MEMBERS, headers=bearer(secret))

    assert_error(over, 429, "rate_limited")
    assert "ratelimit-reset" in {h.lower() for h in over.headers}


async def test_it_counts_each_key_on_its_own(limited_api: Any, world: World) -> None:
    _a, busy = await api_key(world.alpha_id, ["members:read"], name="busy")
    _b, quiet = await api_key(world.alpha_id, ["members:read"], name="quiet")
    for _ in range(LIMIT + 1):
        await limited_api.get(MEMBERS, headers=bearer(busy))

    assert (await limited_api.get(MEMBERS, headers=bearer(quiet))).status_code == 200


async def test_it_limits_calls_without_a_key_too(limited_api: Any, world: World) -> None:
    for _ in range(LIMIT):
        assert_error(await limited_api.get(MEMBERS), 401, "unauthorized")

    assert_error(await limited_api.get(MEMBERS), 429, "rate_limited")


async def test_it_limits_by_default_at_300_a_minute(world: World) -> None:
    assert get_settings().api_rate_limit_per_minute == 300
