"""Physicians added from rota setup: by name only, or with an email address that gets a sign-in link.

A practice building its first rota wants every physician on it today, not once each has accepted an
invitation. So the wizard creates the membership at once:

- **by name only**: a user whose address is a placeholder under the reserved ``.invalid`` domain
  (RFC 2606: never deliverable) and whose password hash is unusable. They can be scheduled, and
  appear in the rota, but cannot sign in until a manager adds their real address
  (:func:`give_member_email`), which sends them the link below. The same person never ends up
  as two accounts, as an invitation to a second address would.
- **with an address**: the same, with their real address, and an email with a link to choose a
  password (a one-time token of the password-reset kind, valid for 7 days; once used, the address
  counts as verified since the link arrived there).

Someone who already has a Rounds account is not added without their consent: invite them from the
members page instead.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.config import get_settings
from app.i18n import _
from app.models import Membership, Organization, User, UserToken, utcnow
from app.models.identity import PLACEHOLDER_DOMAIN
from app.services import audit
from app.services.errors import ValidationFailed
from app.services.events import commit, emit
from app.services.mail import queue_email
from app.services.permissions import require
from app.services.security import hash_token, new_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "PLACEHOLDER_DOMAIN",
    "SIGN_IN_LINK_TTL",
    "add_member",
    "check_new_address",
    "give_member_email",
    "is_placeholder",
)

UNUSABLE_PASSWORD = "!added-by-name"  # noqa: S105 - not an argon2 hash: no password ever matches it
SIGN_IN_LINK_TTL = timedelta(days=7)


def is_placeholder(email: str) -> bool:
    return email.endswith("@" + PLACEHOLDER_DOMAIN)


def _placeholder_email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "physician"
    return f"{slug}-{secrets.token_hex(4)}@{PLACEHOLDER_DOMAIN}"


def check_name(name: str) -> str | None:
    if not name.strip():
        return _("Enter their name.")
    if len(name.strip()) > 120:
        return _("Use at most 120 characters.")
    return None


async def check_new_address(session: AsyncSession, actor: Actor, email: str) -> str | None:
    """Why ``email`` (normalised) can't be given to a new or by-name member, or None."""
    from app.services.accounts import validate_email

    if problem := validate_email(email):
        return problem
    if email.endswith(".invalid"):
        return _("Enter an email address like name@example.com.")
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        return None
    member = (
        await session.execute(select(Membership.id).where(Membership.user_id == user.id,
                                                          Membership.organization_id == actor.organization_id))
    ).first()
    if member is not None:
        return _("%(email)s is already a member.", email=email)
    return _("%(email)s already has a Rounds account: leave the address empty here and invite them from "
             "Members, so they can accept.", email=email)


async def _send_sign_in_link(session: AsyncSession, actor: Actor, user: User) -> None:
    token = new_token()
    session.add(UserToken(user_id=user.id, purpose="reset_password", token_hash=hash_token(token),
                          expires_at=utcnow() + SIGN_IN_LINK_TTL))
    org = await session.get(Organization, actor.organization_id)
    assert org is not None
    await queue_email(session, user.email, "added_to_practice",
                      {"name": user.name, "organization": org.name, "inviter": actor.label,
                       "link": f"{get_settings().base_url}/reset-password/{token}",
                       "days": SIGN_IN_LINK_TTL.days},
                      organization_id=org.id)


async def add_member(session: AsyncSession, actor: Actor, *, name: str, email: str = "") -> Membership:
    """A new physician in the schedule, in the caller's transaction (no commit).

    With ``email`` they get a link to choose a password; without, they are added by name only.
    The caller has checked both with :func:`check_name` and :func:`check_new_address`.
    """
    require(actor, "members.invite")
    name = name.strip()[:120]
    user = User(email=email or _placeholder_email(name), name=name, password_hash=UNUSABLE_PASSWORD)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # the address was taken since it was checked: nothing of this transaction stays
        await session.rollback()
        raise ValidationFailed({"email": _("%(email)s already has a Rounds account.", email=email)}) from None
    membership = Membership(user_id=user.id, organization_id=actor.organization_id, role="member",
                            in_schedule=True)
    session.add(membership)
    await session.flush()
    if email:
        await _send_sign_in_link(session, actor, user)
    await audit.record(session, actor, "member.added", entity_type="membership", entity_id=membership.id,
                       after={"name": name, "email": user.email, "role": "member",
                              "how": "email" if email else "by_name"})
    await emit(session, actor.organization_id, "members.added", entity_type="membership", entity_id=membership.id)
    return membership


async def give_member_email(session: AsyncSession, actor: Actor, membership_id: int, email: str) -> Membership:
    """Give a member added by name their real address and mail them a link to choose a password."""
    from app.services.accounts import normalize_email
    from app.services.organizations import get_membership

    require(actor, "members.manage")
    membership = await get_membership(session, actor, membership_id)
    if not is_placeholder(membership.user.email):
        raise ValidationFailed({"email": _("%(name)s already has an address.", name=membership.user.name)})
    email = normalize_email(email)
    if problem := await check_new_address(session, actor, email):
        raise ValidationFailed({"email": problem})
    user = membership.user
    before = {"email": user.email}
    user.email = email
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ValidationFailed({"email": _("%(email)s already has a Rounds account.", email=email)}) from None
    await _send_sign_in_link(session, actor, user)
    await audit.record(session, actor, "member.email_added", entity_type="membership", entity_id=membership.id,
                       before=before, after={"email": email})
    await emit(session, actor.organization_id, "members.changed", entity_type="membership",
               entity_id=membership.id, payload={"user_id": user.id})
    await commit(session)
    return membership
