"""Change events: recorded in the outbox in the change's transaction, dispatched after commit.

``emit`` adds an :class:`OutboxEvent` row; ``commit`` commits the transaction
and only then publishes each event on the organization's live channel and
hands it to a Dramatiq worker. If the process dies in between, the periodic
sweeper (``workers.tasks.sweep``) finds the unprocessed rows and sends them again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app import live
from app.models import OutboxEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ("after_commit", "commit", "emit", "enqueue", "event_message")

log = logging.getLogger(__name__)
_AFTER_COMMIT = "rounds_after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed (never on rollback)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def event_message(event: OutboxEvent) -> dict[str, Any]:
    """What the live channel carries: no personal data, only what changed and where."""
    return {
        "id": event.id,
        "kind": event.kind,
        "topic": event.kind.split(".", 1)[0],
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        **{k: v for k, v in event.payload.items() if k in {"user_id", "organization_id"}},
    }


async def emit(
    session: AsyncSession,
    organization_id: int | None,
    kind: str,
    *,
    entity_type: str,
    entity_id: object = None,
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Record the change event ``kind`` (``members.invited``, ...) in the caller's transaction."""
    event = OutboxEvent(
        organization_id=organization_id,
        kind=kind,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        payload=payload or {},
    )
    session.add(event)
    await session.flush()

    def dispatch() -> None:
        live.publish(organization_id, event_message(event))
        enqueue("process_event", event.id)

    after_commit(session, dispatch)
    return event


def enqueue(actor_name: str, *args: Any) -> None:
    """Hand a job to the Dramatiq worker; if the broker is down the sweeper retries later."""
    try:
        from workers import tasks

        getattr(tasks, actor_name).send(*args)
    except Exception:
        log.exception("enqueueing %s failed; the outbox sweeper will retry", actor_name)


async def commit(session: AsyncSession) -> None:
    """Commit, then dispatch what the transaction recorded."""
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    try:
        await session.commit()
    except BaseException:
        session.info.pop(_AFTER_COMMIT, None)
        raise
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("an after-commit step failed")
