"""What the ``rounds`` commands do, as the system actor (audited as ``cli``)."""

from __future__ import annotations

from sqlalchemy import select

from app.db import get_database
from app.i18n import _
from app.models import Organization, User
from app.services import api_keys, audit, organizations, platform
from app.services.accounts import normalize_email, validate_email
from app.services.actor import Actor
from app.services.errors import NotFound, ValidationFailed
from app.services.events import commit
from app.services.security import check_password_policy, hash_password

__all__ = ("audit_verify", "create_api_key", "create_org", "create_platform_admin")

CLI = Actor.system("cli")


async def create_org(*, name: str, owner_email: str, owner_password: str, owner_name: str = "",
                     timezone: str = "UTC", country: str | None = None) -> str:
    email = normalize_email(owner_email)
    async with get_database().write_session() as session:
        user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
        if user is None:
            if problem := validate_email(email):
                raise ValidationFailed({"owner_email": problem})
            if problem := check_password_policy(owner_password, email=email):
                raise ValidationFailed({"owner_password": problem})
            user = User(email=email, name=owner_name or email.split("@")[0], password_hash=hash_password(owner_password))
            session.add(user)
            await session.flush()
            await audit.record(session, CLI, "account.created", entity_type="user", entity_id=user.id,
                               after={"email": email})
        org = await organizations.create_organization(session, CLI, name=name, owner=user, timezone=timezone,
                                                      country=country)
        await commit(session)
        return org.slug


async def _org(session: object, slug: str) -> Organization:
    org = (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()  # type: ignore[attr-defined]
    if org is None:
        raise NotFound(_("No organization with the slug %(slug)s.", slug=slug))
    return org


async def create_api_key(*, org_slug: str, scopes: list[str], name: str) -> str:
    async with get_database().write_session() as session:
        org = await _org(session, org_slug)
        actor = Actor.system("cli", organization_id=org.id)
        _key, secret = await api_keys.create_key(session, actor, name=name, scopes=scopes)
        return secret


async def create_platform_admin(*, email: str, password: str) -> None:
    async with get_database().write_session() as session:
        await platform.create_platform_admin(session, CLI, email=email, password=password)


def audit_verify(org_slug: str | None) -> list[audit.ChainReport]:
    db = get_database()
    with db.sync_session() as session:
        chain = None
        if org_slug:
            org = session.execute(select(Organization).where(Organization.slug == org_slug)).scalar_one_or_none()
            if org is None:
                import click

                raise click.ClickException(f"no organization with the slug {org_slug}")
            chain = org.id
        return audit.verify_chains(session, chain=chain)
