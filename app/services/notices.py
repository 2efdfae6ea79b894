"""Telling people about a change, by email and web push, from one decision of who they are.

The service that makes a change decides who hears of it (``request_support.notify`` for requests,
``drafts.publish`` for a published draft) and calls :func:`tell` for each person, in the change's
transaction: the email is queued and the same person is recorded as a notice on the change event's
payload (``notices``: user id, title, body, link). After commit the worker turns the event's notices into
push rows (:func:`app.services.push.queue_notices`), one per device under the dedup key ``event:<id>``.
There is no second list of recipients to drift from the emails', and a retried job, a re-sent event or
the sweeper pushes nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.notify.push import PushMessage
from app.services.mail import queue_email
from app.services.rota.people import is_placeholder

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import Membership, OutboxEvent

__all__ = ("NOTICES", "add_notice", "notices_of", "reachable", "tell")

NOTICES = "notices"  # the event payload key


def reachable(membership: Membership, organization_id: int) -> bool:
    """Whether a member can be told anything: active in this organization and with a real address
    (a member added by name only has a placeholder address and no devices)."""
    return (membership.active and membership.organization_id == organization_id
            and not is_placeholder(membership.user.email))


def add_notice(event: OutboxEvent, user_id: int, message: PushMessage) -> None:
    """Record that ``user_id`` is to be pushed ``message`` once the event's transaction commits."""
    notice = {"user_id": user_id, "title": message.title, "body": message.body, "url": message.url,
              "tag": message.tag}
    # A new dict, so that the JSON column is seen as changed.
    event.payload = {**event.payload, NOTICES: [*notices_of(event.payload), notice]}


def notices_of(payload: dict[str, Any] | None) -> list[dict[str, Any]]:
    notices = (payload or {}).get(NOTICES)
    return list(notices) if isinstance(notices, list) else []


async def tell(session: AsyncSession, event: OutboxEvent, membership: Membership, *, template: str,
               context: dict[str, Any], push: PushMessage) -> bool:
    """Email ``membership`` (``templates/emails/<template>``) and record the push beside it on ``event``.

    Returns False, and sends nothing, for someone who cannot be reached (see :func:`reachable`).
    """
    if event.organization_id is None or not reachable(membership, event.organization_id):
        return False
    await queue_email(session, membership.user.email, template, context, organization_id=event.organization_id)
    add_notice(event, membership.user_id, push)
    return True
