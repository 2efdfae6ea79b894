"""The managers' record of settled requests: what the practice approved, declined or saw withdrawn lately.

Read-only; members see their own requests in :func:`app.services.rota.requests.list_mine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.models import AuditEntry, RotaRequest, User, utcnow
from app.services.permissions import require

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = ("DECIDED_DAYS", "DECIDED_PER_PAGE", "DECIDED_STATUSES", "DecidedPage", "decided", "settled_at")

DECIDED_STATUSES = ("approved", "declined", "cancelled")  # settled: nothing more happens to them
DECIDED_DAYS = 90  # how far back the managers' list of decided requests reaches
DECIDED_PER_PAGE = 25
MAX_PAGE = 10_000  # beyond any real list; keeps the offset a number every database accepts


@dataclass(frozen=True)
class DecidedPage:
    """One page of the organization's settled requests, newest decision first.

    ``names``: user id -> name of whoever decided (``decided_by_id``) or withdrew a request on the page;
    ``withdrawn_by``: request id -> user id of whoever withdrew it (from the audit log, the only record of it).
    """

    requests: list[RotaRequest]
    page: int
    has_next: bool
    since: datetime
    names: dict[int, str] = field(default_factory=dict)
    withdrawn_by: dict[int, int] = field(default_factory=dict)


def settled_at(req: RotaRequest) -> datetime:
    """When a settled request was settled: the decision, else its last change (a refusal, a withdrawal)."""
    return req.decided_at or req.updated_at


async def decided(session: AsyncSession, actor: Actor, *, page: int = 1, per_page: int = DECIDED_PER_PAGE,
                  days: int = DECIDED_DAYS) -> DecidedPage:
    """The organization's requests approved, declined or withdrawn in the last ``days`` days, newest first
    (managers only: members see theirs in :func:`app.services.rota.requests.list_mine`)."""
    require(actor, "schedule.manage")
    page = min(max(page, 1), MAX_PAGE)
    since = utcnow() - timedelta(days=days)
    # Approvals and declines by a manager or a rule carry ``decided_at``; a colleague's refusal of a swap
    # and a withdrawal only ``updated_at`` (set by the change that settled them; nothing changes them after).
    settled = func.coalesce(RotaRequest.decided_at, RotaRequest.updated_at)
    rows = await session.execute(
        select(RotaRequest).where(RotaRequest.organization_id == actor.organization_id,
                                  RotaRequest.status.in_(DECIDED_STATUSES), settled >= since)
        .order_by(settled.desc(), RotaRequest.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    )
    found = list(rows.scalars().unique())
    shown = found[:per_page]
    withdrawn = [r.id for r in shown if r.status == "cancelled"]
    withdrawn_by: dict[int, int] = {}
    if withdrawn:
        entries = await session.execute(
            select(AuditEntry.entity_id, AuditEntry.actor_user_id).where(
                AuditEntry.organization_id == actor.organization_id, AuditEntry.action == "request.cancelled",
                AuditEntry.entity_type == "request", AuditEntry.entity_id.in_([str(i) for i in withdrawn])))
        withdrawn_by = {int(rid): uid for rid, uid in entries.all() if uid is not None}
    ids = {r.decided_by_id for r in shown if r.decided_by_id} | set(withdrawn_by.values())
    names: dict[int, str] = {}
    if ids:
        people = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        names = {uid: name for uid, name in people.all()}
    return DecidedPage(requests=shown, page=page, has_next=len(found) > per_page, since=since, names=names,
                       withdrawn_by=withdrawn_by)
