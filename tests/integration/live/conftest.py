"""Fixtures of the live tests that need PostgreSQL and Redis (CI's second step sets both)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def shared_services() -> Iterator[tuple[str, str]]:
    """(TEST_DATABASE_URL, TEST_REDIS_URL) of a PostgreSQL database and a Redis the test and its child
    processes share; the test is skipped without them. Dramatiq's queues are emptied before and after,
    so that no job of another test (ids restart with every test) runs against this one's rows."""
    database_url = os.environ.get("TEST_DATABASE_URL", "")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    if not database_url.startswith(("postgresql://", "postgres://")):
        pytest.skip("needs a PostgreSQL database shared by several processes: set TEST_DATABASE_URL")
    from workers.broker import broker

    broker.flush_all()
    yield database_url, redis_url
    broker.flush_all()
