"""Publishing change events to the organization's live channel (what SSE streams).

The web app registers Litestar's ChannelsPlugin here at start-up (memory
backend, or Redis when ``REDIS_URL`` is set). A separate worker process has no
plugin: it publishes straight to Redis on the channel name the plugin's Redis
backend subscribes to, so a page served by any process sees it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.channels import ChannelsPlugin

__all__ = ("channel_for", "publish", "set_channels")

log = logging.getLogger(__name__)
_channels: ChannelsPlugin | None = None
_loop: asyncio.AbstractEventLoop | None = None
_redis_client: Any = None


def channel_for(organization_id: int | None) -> str:
    return f"org:{organization_id or 0}"


def set_channels(channels: ChannelsPlugin | None) -> None:
    """Register the app's plugin; called on the app's event loop, whose loop is kept for other threads."""
    global _channels, _loop
    _channels = channels
    try:
        _loop = asyncio.get_running_loop() if channels is not None else None
    except RuntimeError:
        _loop = None


def _on_loop() -> bool:
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False


def publish(organization_id: int | None, message: dict[str, Any]) -> None:
    """Send ``message`` to every live page of the organization. Never raises: the outbox sweeper retries."""
    data = json.dumps(message, default=str)
    try:
        if _channels is not None:
            if _loop is None or _on_loop():
                _channels.publish(data, channels=[channel_for(organization_id)])
            else:
                # From a worker or sweeper thread: the plugin's queue belongs to the loop, so the loop
                # must do the put (and be woken up for it).
                _loop.call_soon_threadsafe(_channels.publish, data, [channel_for(organization_id)])
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
