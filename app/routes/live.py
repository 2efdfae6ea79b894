"""Server-sent events: the organization's change events, streamed to its signed-in members."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Controller, Request, get
from litestar.channels import ChannelsPlugin
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import select

from app.auth import in_organization
from app.db import get_database
from app.live import channel_for
from app.models import Membership, Organization, WebSession
from app.routes._common import require_auth

__all__ = ("LiveController",)

HEARTBEAT_SECONDS = 15.0
ENDS_SESSION = {"members.deactivated", "members.role_changed"}


async def _still_allowed(session_id: str, user_id: int, organization_id: int, viewing_as: bool) -> bool:
    """Whether the session behind a stream may still read the organization."""
    async with get_database().read_session() as db:
        if await db.get(WebSession, session_id) is None:
            return False
        org = await db.get(Organization, organization_id)
        if org is None or (org.is_suspended and not viewing_as):
            return False
        if viewing_as:
            return True
        active = await db.execute(
            select(Membership.id).where(Membership.user_id == user_id, Membership.organization_id == organization_id,
                                        Membership.active.is_(True))
        )
        return active.first() is not None


class LiveController(Controller):
    include_in_schema = False

    @get("/events", guards=[in_organization])
    async def stream_events(self, request: Request[Any, Any, Any], channels: ChannelsPlugin) -> ServerSentEvent:
        auth = require_auth(request)
        org_id = auth.organization.id  # type: ignore[union-attr]
        session_id, user_id, viewing_as = auth.web_session.id, auth.user.id, auth.viewing_as
        sees_drafts = auth.can("schedule.manage")  # a role change ends the stream (ENDS_SESSION)

        async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
            async with channels.start_subscription([channel_for(org_id)]) as subscriber:
                # Pump into a queue of our own: a timed-out wait on it is harmless, whereas
                # cancelling the subscriber's iterator would end it.
                queue: asyncio.Queue[bytes] = asyncio.Queue()

                async def pump() -> None:
                    async for raw in subscriber.iter_events():
                        queue.put_nowait(raw)

                pump_task = asyncio.create_task(pump())
                try:
                    yield ServerSentEventMessage(comment="connected", retry=3000)
                    while True:
                        try:
                            raw = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                        except TimeoutError:
                            if not await _still_allowed(session_id, user_id, org_id, viewing_as):
                                return
                            yield ServerSentEventMessage(comment="ping")
                            continue
                        message = json.loads(raw)
                        if message.get("kind") in ENDS_SESSION and message.get("user_id") == user_id:
                            # Privileges changed: the page reconnects (and re-authenticates) or stops.
                            yield ServerSentEventMessage(event="session", data="changed")
                            return
                        if message.get("topic") == "generate" and not sees_drafts:
                            continue  # drafts are nobody's business but managers' until published
                        data = raw.decode() if isinstance(raw, bytes) else str(raw)
                        yield ServerSentEventMessage(event=message.get("topic", "change"), data=data,
                                                     id=message.get("id"))
                        if message.get("kind"):  # a stored change; a generator's progress tick is not one
                            yield ServerSentEventMessage(event="change", data=data)
                finally:
                    pump_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pump_task

        return ServerSentEvent(events(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
