"""The audit log: append-only and hash-chained.

Each organization has its own chain; platform actions outside one use chain 0.
An entry's hash covers its content and the previous entry's hash, and the
chain's head (last sequence number and hash) is kept in ``audit_heads``, locked
while appending. Editing, deleting or reordering any row breaks verification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.models import AuditEntry, AuditHead, utcnow
from app.services.permissions import require

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from app.services.actor import Actor

__all__ = ("GENESIS", "PLATFORM", "AuditPage", "ChainReport", "entry_hash", "list_entries", "record", "verify_chains")

GENESIS = "0" * 64
PLATFORM = 0
"""``organization_id=PLATFORM`` writes to the platform's chain, whichever organization the actor is in."""


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(json.dumps(value, default=str, sort_keys=True))


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over every recorded field and the previous hash."""
    material = [
        entry.prev_hash,
        entry.chain,
        entry.seq,
        entry.organization_id,
        entry.actor_user_id,
        entry.actor_label,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.before,
        entry.after,
        entry.ip,
        entry.user_agent,
        entry.created_at.isoformat(timespec="microseconds"),
    ]
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: object = None,
    organization_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the organization's chain, in the caller's transaction.

    The chain is ``organization_id``'s, else the actor's organization's; ``PLATFORM`` (or an
    actor outside any organization) means the platform's own chain.
    """
    if organization_id == PLATFORM:
        org_id = None
    else:
        org_id = organization_id if organization_id is not None else actor.organization_id
    chain = org_id or PLATFORM
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(AuditHead).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing(index_elements=["chain"])
    )
    head = (
        await session.execute(
            select(AuditHead)
            .where(AuditHead.chain == chain)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        organization_id=org_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300] or None,
        created_at=utcnow(),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    has_next: bool
    actions: list[str]


async def list_entries(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str | None = None,
    actor_query: str | None = None,
    entity_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """The organization's entries, newest first, filtered; owners and managers only."""
    require(actor, "audit.read")
    query = select(AuditEntry).where(AuditEntry.organization_id == actor.organization_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_query:
        query = query.where(func.lower(AuditEntry.actor_label).contains(actor_query.strip().lower()))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at < until)
    page = max(page, 1)
    rows = (
        await session.execute(
            query.order_by(AuditEntry.seq.desc()).offset((page - 1) * per_page).limit(per_page + 1)
        )
    ).scalars().all()
    actions = (
        await session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.organization_id == actor.organization_id)
            .distinct()
            .order_by(AuditEntry.action)
        )
    ).scalars().all()
    return AuditPage(entries=list(rows[:per_page]), page=page, has_next=len(rows) > per_page, actions=list(actions))


@dataclass(frozen=True)
class ChainReport:
    chain: int
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chains(session: Session, *, chain: int | None = None) -> list[ChainReport]:
    """Walk each chain (or one) and report every broken link, gap or edited row."""
    chains = [chain] if chain is not None else list(
        session.execute(select(AuditHead.chain).order_by(AuditHead.chain)).scalars()
    )
    reports = []
    for chain_id in chains:
        problems: list[str] = []
        prev_hash, expected_seq, count = GENESIS, 1, 0
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.chain == chain_id).order_by(AuditEntry.seq)
        ).scalars()
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing")
            if entry.prev_hash != prev_hash:
                problems.append(f"entry {entry.seq} does not follow the entry before it")
            if entry_hash(entry) != entry.hash:
                problems.append(f"entry {entry.seq} ({entry.action}) was altered")
            prev_hash, expected_seq = entry.hash, entry.seq + 1
        head = session.get(AuditHead, chain_id)
        if head is None:
            if count:
                problems.append("the chain's head record is missing")
        elif head.seq != expected_seq - 1 or head.hash != prev_hash:
            problems.append(f"the chain ends at entry {expected_seq - 1} but its head says {head.seq}")
        reports.append(ChainReport(chain=chain_id, entries=count, problems=problems))
    return reports
