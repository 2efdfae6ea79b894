"""The Dramatiq broker: Redis when ``REDIS_URL`` is set, otherwise an in-memory one for the embedded worker."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from app.config import get_settings

__all__ = ("broker",)


def _make_broker() -> dramatiq.Broker:
    settings = get_settings()
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.redis_url, namespace="rounds")
    return StubBroker()


broker = _make_broker()
dramatiq.set_broker(broker)
