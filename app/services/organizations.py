"""Organizations and their members: create, invite, accept, change roles, deactivate, switch."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import timedelta
from typing import TYPE_CHECKING

import holidays
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.config import get_settings
from app.i18n import _
from app.models import ROLES, Invitation, Membership, Organization, User, utcnow
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import commit, emit
from app.services.mail import queue_email
from app.services.permissions import require
from app.services.security import (
    UNUSABLE_PASSWORD,
    check_password_policy,
    hash_password_async,
    hash_token,
    new_token,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "accept_invitation",
    "add_member",
    "change_role",
    "countries",
    "create_organization",
    "deactivate_member",
    "find_invitation",
    "get_membership",
    "invite_member",
    "list_invitations",
    "list_members",
    "memberships_of",
    "my_membership",
    "reactivate_member",
    "revoke_invitation",
    "validate_org_fields",
)

INVITE_TTL = timedelta(days=7)


def countries() -> list[tuple[str, str]]:
    """(code, name) of every country the ``holidays`` package knows, sorted by name."""
    from babel import Locale

    names = Locale("en").territories
    codes = holidays.list_supported_countries()
    return sorted(((c, names.get(c, c)) for c in codes if len(c) == 2), key=lambda x: x[1])


def validate_org_fields(name: str, timezone: str, country: str | None) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["practice_name"] = _("Enter the name of your practice.")
    elif len(name) > 120:
        errors["practice_name"] = _("Use at most 120 characters.")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = _("Choose a timezone from the list.")
    if country and country not in holidays.list_supported_countries():
        errors["country"] = _("Choose a country from the list.")
    return errors


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "practice"


async def _free_slug(session: AsyncSession, name: str) -> str:
    base = _slugify(name)
    taken = set(
        (await session.execute(select(Organization.slug).where(Organization.slug.like(f"{base}%")))).scalars()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def create_organization(
    session: AsyncSession, actor: Actor, *, name: str, owner: User, timezone: str, country: str | None
) -> Organization:
    """A new organization with ``owner`` as its owner, in the caller's transaction (no commit)."""
    if errors := validate_org_fields(name, timezone, country):
        raise ValidationFailed(errors)
    org = Organization(name=name.strip(), slug=await _free_slug(session, name), timezone=timezone,
                       country=country or None)
    session.add(org)
    await session.flush()
    membership = Membership(user_id=owner.id, organization_id=org.id, role="owner")
    session.add(membership)
    await session.flush()
    after = {"name": org.name, "slug": org.slug, "timezone": timezone, "country": country}
    await audit.record(session, actor, "organization.created", organization_id=org.id,
                       entity_type="organization", entity_id=org.id, after=after)
    await audit.record(session, actor, "member.added", organization_id=org.id, entity_type="membership",
                       entity_id=membership.id, after={"email": owner.email, "role": "owner"})
    await emit(session, org.id, "org.created", entity_type="organization", entity_id=org.id)
    return org


# -- reading ---------------------------------------------------------------------------------------------


async def memberships_of(session: AsyncSession, user_id: int) -> list[Membership]:
    """Every active membership of a user, for the organization switcher."""
    rows = await session.execute(
        select(Membership)
        .join(Organization)
        .where(Membership.user_id == user_id, Membership.active.is_(True))
        .order_by(Organization.name)
    )
    return list(rows.scalars().unique())


async def list_members(session: AsyncSession, actor: Actor, *, include_inactive: bool = True) -> list[Membership]:
    require(actor, "members.read")
    query = select(Membership).join(User).where(Membership.organization_id == actor.organization_id)
    if not include_inactive:
        query = query.where(Membership.active.is_(True))
    rows = await session.execute(query.order_by(Membership.active.desc(), func.lower(User.name)))
    return list(rows.scalars().unique())


async def my_membership(session: AsyncSession, actor: Actor) -> Membership:
    """The actor's own active membership in its organization (feeds, devices: things that are one's own)."""
    require(actor, "schedule.read")
    member = (
        await session.execute(select(Membership).where(Membership.user_id == actor.user_id,
                                                       Membership.organization_id == actor.organization_id,
                                                       Membership.active.is_(True)))
    ).scalar_one_or_none()
    if member is None:
        raise NotFound(_("You are not a member of this organization."))
    return member


async def get_membership(session: AsyncSession, actor: Actor, membership_id: int) -> Membership:
    """A membership of the actor's organization; anyone else's is not found."""
    require(actor, "members.read")
    row = (
        await session.execute(
            select(Membership).where(Membership.id == membership_id, Membership.organization_id == actor.organization_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such member."))
    return row


async def list_invitations(session: AsyncSession, actor: Actor) -> list[Invitation]:
    require(actor, "members.invite")
    rows = await session.execute(
        select(Invitation)
        .where(Invitation.organization_id == actor.organization_id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    )
    return list(rows.scalars().unique())


# -- invitations -----------------------------------------------------------------------------------------


def _check_role(actor: Actor, role: str, field: str = "role") -> None:
    if role not in ROLES:
        raise ValidationFailed({field: _("Choose a role from the list.")})
    if role == "owner":
        require(actor, "members.manage_owners")


async def invite_member(session: AsyncSession, actor: Actor, *, email: str, role: str) -> tuple[Invitation, str]:
    """Invite ``email`` as ``role``; returns the invitation and its token (also mailed)."""
    from app.services.accounts import normalize_email, validate_email

    require(actor, "members.invite")
    email = normalize_email(email)
    if problem := validate_email(email):
        raise ValidationFailed({"email": problem})
    _check_role(actor, role)
    existing = (
        await session.execute(
            select(Membership).join(User).where(Membership.organization_id == actor.organization_id, User.email == email)
        )
    ).scalar_one_or_none()
    if existing is not None:
        message = _("%(email)s is already a member.", email=email) if existing.active else _(
            "%(email)s is a deactivated member: reactivate them instead.", email=email)
        raise ValidationFailed({"email": message})
    # An expired pending invitation is replaced; a live one is a duplicate.
    old = (
        await session.execute(
            select(Invitation).where(Invitation.organization_id == actor.organization_id, Invitation.email == email,
                                     Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if old is not None:
        if old.expires_at > utcnow():
            raise ValidationFailed({"email": _("%(email)s has already been invited. Revoke that invitation to send a new one.", email=email)})
        old.revoked_at = utcnow()
        await session.flush()
    token = new_token()
    invitation = Invitation(organization_id=actor.organization_id, email=email, role=role,
                            token_hash=hash_token(token), invited_by_id=actor.user_id,
                            expires_at=utcnow() + INVITE_TTL)
    session.add(invitation)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ValidationFailed({"email": _("%(email)s has already been invited.", email=email)}) from None
    org = await session.get(Organization, actor.organization_id)
    assert org is not None
    await queue_email(session, email, "invitation",
                      {"organization": org.name, "inviter": actor.label, "role": role,
                       "link": f"{get_settings().base_url}/invite/{token}", "days": INVITE_TTL.days},
                      organization_id=org.id)
    await audit.record(session, actor, "member.invited", entity_type="invitation", entity_id=invitation.id,
                       after={"email": email, "role": role})
    await emit(session, actor.organization_id, "members.invited", entity_type="invitation", entity_id=invitation.id)
    await commit(session)
    return invitation, token


async def revoke_invitation(session: AsyncSession, actor: Actor, invitation_id: int) -> None:
    require(actor, "members.invite")
    invitation = (
        await session.execute(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == actor.organization_id)
        )
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        raise NotFound(_("No such pending invitation."))
    invitation.revoked_at = utcnow()
    await audit.record(session, actor, "member.invitation_revoked", entity_type="invitation",
                       entity_id=invitation.id, before={"email": invitation.email, "role": invitation.role})
    await emit(session, actor.organization_id, "members.invitation_revoked", entity_type="invitation",
               entity_id=invitation.id)
    await commit(session)


async def find_invitation(session: AsyncSession, token: str) -> Invitation | None:
    """The pending, unexpired invitation a link's token belongs to."""
    invitation = (
        await session.execute(select(Invitation).where(Invitation.token_hash == hash_token(token or "")))
    ).scalar_one_or_none()
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


async def accept_invitation(
    session: AsyncSession,
    token: str,
    *,
    user: User | None,
    name: str = "",
    password: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[User, Membership]:
    """Join the organization of an invitation: as the signed-in ``user``, or as a new account."""
    from app.services.actor import Actor

    invitation = await find_invitation(session, token)
    if invitation is None:
        raise NotFound(_("This invitation has expired, was revoked or was already used."))
    if user is None:
        existing = (await session.execute(select(User).where(User.email == invitation.email))).scalar_one_or_none()
        if existing is not None:
            raise Conflict(_("An account with this email already exists. Sign in to accept the invitation."))
        name = name.strip()
        errors = {}
        if not name:
            errors["name"] = _("Enter your name.")
        if problem := check_password_policy(password, email=invitation.email, name=name):
            errors["password"] = problem
        if errors:
            raise ValidationFailed(errors)
        user = User(email=invitation.email, name=name[:120], password_hash=await hash_password_async(password),
                    email_verified_at=utcnow())  # the link arrived at this address
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            raise Conflict(_("An account with this email already exists. Sign in to accept the invitation.")) from None
    elif user.email != invitation.email:
        raise Conflict(_("This invitation is for %(email)s. Sign out and open the link again to accept it as them.",
                         email=invitation.email))
    actor = Actor(user_id=user.id, label=user.email, organization_id=invitation.organization_id,
                  role=invitation.role, ip=ip, user_agent=user_agent)
    membership = (
        await session.execute(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.organization_id == invitation.organization_id))
    ).scalar_one_or_none()
    if membership is not None:
        raise Conflict(_("You are already a member of this organization."))
    invitation.accepted_at = utcnow()
    membership = Membership(user_id=user.id, organization_id=invitation.organization_id, role=invitation.role)
    session.add(membership)
    await session.flush()
    await audit.record(session, actor, "member.joined", entity_type="membership", entity_id=membership.id,
                       after={"email": user.email, "role": invitation.role, "invitation": invitation.id})
    await emit(session, invitation.organization_id, "members.joined", entity_type="membership",
               entity_id=membership.id)
    await commit(session)
    return user, membership


# -- roles and activity ----------------------------------------------------------------------------------


async def _owners_left(session: AsyncSession, organization_id: int, excluding: int) -> int:
    """Active owners other than ``excluding``, with every owner row locked until commit.

    The lock (PostgreSQL; SQLite's write transaction already holds the database) makes two
    owners stepping down at once take turns, so the second one sees that only they are left.
    """
    owner_ids = (
        await session.execute(
            select(Membership.id).where(
                Membership.organization_id == organization_id, Membership.role == "owner",
                Membership.active.is_(True)).order_by(Membership.id).with_for_update()
        )
    ).scalars().all()
    return sum(1 for owner_id in owner_ids if owner_id != excluding)


async def _managed_membership(session: AsyncSession, actor: Actor, membership_id: int) -> Membership:
    require(actor, "members.manage")
    membership = await get_membership(session, actor, membership_id)
    if membership.role == "owner":
        require(actor, "members.manage_owners")
    return membership


async def change_role(session: AsyncSession, actor: Actor, membership_id: int, role: str) -> Membership:
    """Give a member another role. The user's sessions get a new id on their next request."""
    from app.services.accounts import flag_sessions_for_renewal

    membership = await _managed_membership(session, actor, membership_id)
    _check_role(actor, role)
    if membership.role == role:
        return membership
    if membership.role == "owner" and await _owners_left(session, membership.organization_id, membership.id) == 0:
        raise ValidationFailed({"role": _("An organization needs at least one active owner.")})
    before = {"role": membership.role}
    membership.role = role
    await flag_sessions_for_renewal(session, membership.user_id)
    await audit.record(session, actor, "member.role_changed", entity_type="membership", entity_id=membership.id,
                       before=before, after={"role": role, "email": membership.user.email})
    await emit(session, actor.organization_id, "members.role_changed", entity_type="membership",
               entity_id=membership.id, payload={"user_id": membership.user_id})
    await commit(session)
    return membership


async def deactivate_member(session: AsyncSession, actor: Actor, membership_id: int) -> Membership:
    """Take a member out of the organization (data kept); their sessions there end at once."""
    from app.services.accounts import end_user_sessions

    membership = await _managed_membership(session, actor, membership_id)
    if not membership.active:
        return membership
    if membership.user_id == actor.user_id:
        raise ValidationFailed({"form": _("You can't deactivate yourself.")})
    if membership.role == "owner" and await _owners_left(session, membership.organization_id, membership.id) == 0:
        raise ValidationFailed({"form": _("An organization needs at least one active owner.")})
    membership.active = False
    membership.deactivated_at = utcnow()
    ended = await end_user_sessions(session, membership.user_id, organization_id=membership.organization_id)
    await audit.record(session, actor, "member.deactivated", entity_type="membership", entity_id=membership.id,
                       before={"active": True}, after={"active": False, "email": membership.user.email,
                                                       "sessions_ended": ended})
    await emit(session, actor.organization_id, "members.deactivated", entity_type="membership",
               entity_id=membership.id, payload={"user_id": membership.user_id})
    await commit(session)
    return membership


async def reactivate_member(session: AsyncSession, actor: Actor, membership_id: int) -> Membership:
    membership = await _managed_membership(session, actor, membership_id)
    if membership.active:
        return membership
    membership.active = True
    membership.deactivated_at = None
    await audit.record(session, actor, "member.reactivated", entity_type="membership", entity_id=membership.id,
                       before={"active": False}, after={"active": True, "email": membership.user.email})
    await emit(session, actor.organization_id, "members.reactivated", entity_type="membership",
               entity_id=membership.id, payload={"user_id": membership.user_id})
    await commit(session)
    return membership


async def add_member(
    session: AsyncSession,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str = "member",
    phone: str = "",
    fte: float = 1.0,
    qualifications: list[str] | None = None,
) -> Membership:
    """Add a person directly (API ``POST /members``); a new account gets no usable password until reset."""
    from app.services.accounts import normalize_email, validate_email

    require(actor, "members.invite")
    email, name = normalize_email(email), (name or "").strip()
    errors: dict[str, str] = {}
    if problem := validate_email(email):
        errors["email"] = problem
    if not name or len(name) > 120:
        errors["name"] = _("Enter a name of at most 120 characters.")
    if not 0.05 <= fte <= 1.5:
        errors["fte"] = _("Enter a number from %(low)s to %(high)s.", low=0.05, high=1.5)
    if phone and not re.match(r"^[0-9+()\-. ]{3,40}$", phone):
        errors["phone"] = _("Enter a phone number with digits, spaces and + ( ) - only.")
    if errors:
        raise ValidationFailed(errors)
    _check_role(actor, role)
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=name, password_hash=UNUSABLE_PASSWORD)
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            raise Conflict(_("%(email)s was just added by someone else.", email=email)) from None
    existing = (
        await session.execute(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(_("%(email)s is already a member.", email=email))
    quals = sorted({q.strip().upper()[:40] for q in (qualifications or []) if q.strip()})
    membership = Membership(user_id=user.id, organization_id=actor.organization_id, role=role,
                            phone=phone.strip() or None, fte=fte, qualifications=quals)
    session.add(membership)
    await session.flush()
    await audit.record(session, actor, "member.added", entity_type="membership", entity_id=membership.id,
                       after={"email": email, "role": role, "fte": fte, "qualifications": quals})
    await emit(session, actor.organization_id, "members.joined", entity_type="membership", entity_id=membership.id)
    await commit(session)
    return membership
