"""API keys: created and revoked by owners, shown once, stored hashed, scoped to one organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from app.i18n import _
from app.models import ApiKey, Organization, utcnow
from app.services import audit
from app.services.errors import NotFound, ValidationFailed
from app.services.events import commit
from app.services.permissions import require
from app.services.security import hash_token, new_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = ("SCOPES", "ApiCaller", "authenticate_key", "create_key", "list_keys", "revoke_key")

SCOPES = (
    "schedule:read",
    "schedule:write",
    "members:read",
    "members:write",
    "requests:write",
    "appointments:read",
    "appointments:write",
)
PREFIX = "rk_"


@dataclass(frozen=True)
class ApiCaller:
    key_id: int
    organization: Organization
    scopes: frozenset[str]
    name: str


async def create_key(session: AsyncSession, actor: Actor, *, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; the secret is returned here once and never again."""
    require(actor, "api_keys.manage")
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the key after what uses it, e.g. \"hospital switchboard\".")
    elif len(name) > 80:
        errors["name"] = _("Use at most 80 characters.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        errors["scopes"] = _("Choose at least one scope from the list.")
    if errors:
        raise ValidationFailed(errors)
    secret = PREFIX + new_token(30)
    key = ApiKey(organization_id=actor.organization_id, name=name, prefix=secret[:10], key_hash=hash_token(secret),
                 scopes=sorted(set(scopes)), created_by_id=actor.user_id)
    session.add(key)
    await session.flush()
    await audit.record(session, actor, "api_key.created", entity_type="api_key", entity_id=key.id,
                       after={"name": name, "scopes": key.scopes, "prefix": key.prefix})
    await commit(session)
    return key, secret


async def list_keys(session: AsyncSession, actor: Actor) -> list[ApiKey]:
    require(actor, "api_keys.manage")
    rows = await session.execute(
        select(ApiKey).where(ApiKey.organization_id == actor.organization_id).order_by(ApiKey.created_at.desc())
    )
    return list(rows.scalars())


async def revoke_key(session: AsyncSession, actor: Actor, key_id: int) -> ApiKey:
    require(actor, "api_keys.manage")
    key = (
        await session.execute(select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if key is None:
        raise NotFound(_("No such API key."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await audit.record(session, actor, "api_key.revoked", entity_type="api_key", entity_id=key.id,
                           before={"name": key.name, "prefix": key.prefix})
        await commit(session)
    return key


async def authenticate_key(session: AsyncSession, secret: str) -> ApiCaller | None:
    """The caller behind a bearer secret, or None for an unknown, revoked or suspended one."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    row = (
        await session.execute(
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.key_hash == hash_token(secret), ApiKey.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None or row[1].is_suspended:
        return None
    key, org = row
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        from app.db import get_database

        db = get_database()
        touch = update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
        if session.bind is db.read_engine and db.read_engine is not db.write_engine:
            # A GET's read-only SQLite session: a write transaction of its own (WAL lets it run beside reads).
            async with db.write_session() as write:
                await write.execute(touch)
                await write.commit()
        else:
            # The request's own write transaction (a second one would wait for its lock); the handler commits.
            await session.execute(touch)
    return ApiCaller(key_id=key.id, organization=org, scopes=frozenset(key.scopes), name=key.name)
