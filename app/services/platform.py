"""Platform administration: organizations overview, suspension, "view as", platform admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from app.i18n import _
from app.models import Membership, Organization, User, WebSession, utcnow
from app.services import audit
from app.services.errors import Forbidden, NotFound, ValidationFailed
from app.services.events import commit, emit
from app.services.security import check_password_policy, hash_password

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = ("OrgSummary", "create_platform_admin", "list_organizations", "set_status", "start_view_as", "stop_view_as")


def _require_admin(actor: Actor) -> None:
    if not (actor.is_platform_admin or actor.is_system):
        raise Forbidden(_("Only platform administrators can do that."))


@dataclass(frozen=True)
class OrgSummary:
    organization: Organization
    members: int
    active_members: int
    owner_email: str | None


async def list_organizations(session: AsyncSession, actor: Actor, *, query: str = "") -> list[OrgSummary]:
    _require_admin(actor)
    counts = (
        select(
            Membership.organization_id.label("org_id"),
            func.count().label("members"),
            func.sum(case((Membership.active.is_(True), 1), else_=0)).label("active"),
        )
        .group_by(Membership.organization_id)
        .subquery()
    )
    owner = (
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == Organization.id, Membership.role == "owner")
        .order_by(Membership.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(Organization, counts.c.members, counts.c.active, owner).outerjoin(
        counts, counts.c.org_id == Organization.id
    )
    if query.strip():
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(func.lower(Organization.name).like(like) | func.lower(Organization.slug).like(like))
    rows = await session.execute(stmt.order_by(Organization.created_at.desc()))
    return [OrgSummary(org, members or 0, int(active or 0), email) for org, members, active, email in rows]


async def _get_org(session: AsyncSession, organization_id: int) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(_("No such organization."))
    return org


async def set_status(session: AsyncSession, actor: Actor, organization_id: int, *, suspended: bool) -> Organization:
    """Suspend (data kept, members see a suspended page) or reactivate an organization."""
    _require_admin(actor)
    org = await _get_org(session, organization_id)
    status = "suspended" if suspended else "active"
    if org.status == status:
        return org
    before = {"status": org.status}
    org.status = status
    org.suspended_at = utcnow() if suspended else None
    action = "organization.suspended" if suspended else "organization.reactivated"
    for chain_org in (org.id, audit.PLATFORM):  # in the organization's own log and the platform's
        await audit.record(session, actor, action, organization_id=chain_org, entity_type="organization",
                           entity_id=org.id, before=before, after={"status": status, "name": org.name})
    await emit(session, org.id, f"org.{status}", entity_type="organization", entity_id=org.id)
    await commit(session)
    return org


async def start_view_as(session: AsyncSession, actor: Actor, web_session: WebSession, organization_id: int) -> str:
    """Look at an organization read-only; returns the session's new token (privileges changed)."""
    from app.services.accounts import rotate_session

    _require_admin(actor)
    org = await _get_org(session, organization_id)
    token = await rotate_session(session, web_session, view_as_org_id=org.id)
    for chain_org in (org.id, audit.PLATFORM):
        await audit.record(session, actor, "platform.view_as_started", organization_id=chain_org,
                           entity_type="organization", entity_id=org.id, after={"name": org.name})
    await commit(session)
    return token


async def stop_view_as(session: AsyncSession, actor: Actor, web_session: WebSession) -> str:
    from app.services.accounts import rotate_session

    org_id = web_session.view_as_org_id
    token = await rotate_session(session, web_session, view_as_org_id=None)
    if org_id is not None:
        for chain_org in (org_id, audit.PLATFORM):
            await audit.record(session, actor, "platform.view_as_ended", organization_id=chain_org,
                               entity_type="organization", entity_id=org_id)
    await commit(session)
    return token


async def create_platform_admin(
    session: AsyncSession, actor: Actor, *, email: str, password: str, name: str = ""
) -> User:
    """Make ``email`` a platform administrator, creating the account if needed."""
    from app.services.accounts import normalize_email, validate_email

    email = normalize_email(email)
    if problem := validate_email(email):
        raise ValidationFailed({"email": problem})
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        if problem := check_password_policy(password, email=email):
            raise ValidationFailed({"password": problem})
        user = User(email=email, name=name or email.split("@")[0], password_hash=hash_password(password),
                    email_verified_at=utcnow())
        session.add(user)
        await session.flush()
    user.is_platform_admin = True
    await audit.record(session, actor, "platform.admin_granted", organization_id=audit.PLATFORM, entity_type="user",
                       entity_id=user.id, after={"email": email})
    await commit(session)
    return user
