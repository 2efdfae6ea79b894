"""Publishing change events to the organization's live channel (what SSE streams).

The web app registers Litestar's ChannelsPlugin here at start-up (memory
backend, or Redis when ``REDIS_URL`` is set). A separate worker process has no
plugin: it publishes straight to Redis on the channel name the plugin's Redis
backend subscribes to, so a page served by any process sees it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.channels import ChannelsPlugin

__all__ = ("channel_for", "publish", "set_channels")

log = logging.getLogger(__name__)
_channels: ChannelsPlugin | None = None
_redis_client: Any = None


def channel_for(organization_id: int | None) -> str:
    return f"org:{organization_id or 0}"


def set_channels(channels: ChannelsPlugin | None) -> None:
    global _channels
    _channels = channels


def publish(organization_id: int | None, message: dict[str, Any]) -> None:
    """Send ``message`` to every live page of the organization. Never raises: the outbox sweeper retries."""
    data = json.dumps(message, default=str)
    try:
        if _channels is not None:
            _channels.publish(data, channels=[channel_for(organization_id)])
            return
        from app.config import get_settings

        settings = get_settings()
        if settings.redis_url:
            global _redis_client
            if _redis_client is None:
                import redis

                _redis_client = redis.Redis.from_url(settings.redis_url)
            # RedisChannelsPubSubBackend publishes on the bare channel name.
            _redis_client.publish(channel_for(organization_id), data)
    except Exception:
        log.exception("publishing a change event failed; the outbox sweeper will resend it")
