"""Accounts: sign-up, sign-in with throttling, sessions, email verification, password reset."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.config import get_settings
from app.i18n import _
from app.models import LoginAttempt, Membership, Organization, User, UserToken, WebSession, utcnow
from app.services import audit, organizations
from app.services.actor import Actor
from app.services.errors import Throttled, ValidationFailed
from app.services.events import commit
from app.services.mail import queue_email
from app.services.security import (
    check_password_policy,
    hash_password_async,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password_async,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = (
    "SignedIn",
    "authenticate",
    "create_session",
    "end_session",
    "end_user_sessions",
    "flag_sessions_for_renewal",
    "load_session",
    "normalize_email",
    "request_password_reset",
    "reset_password",
    "rotate_session",
    "send_verification",
    "signup",
    "validate_email",
    "verify_email",
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
ACCOUNT_FAILURES, IP_FAILURES, THROTTLE_WINDOW = 5, 20, timedelta(minutes=5)
VERIFY_TTL, RESET_TTL = timedelta(days=2), timedelta(hours=1)
RESET_REQUESTS_PER_WINDOW, RESET_REQUEST_WINDOW = 3, timedelta(hours=1)
# Advisory-lock namespaces (PostgreSQL) for sign-in attempts per account and per address.
_LOCK_ACCOUNT, _LOCK_ADDRESS = 7301, 7302


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()


def validate_email(email: str) -> str | None:
    if not email:
        return _("Enter your email address.")
    if len(email) > 254 or not EMAIL_RE.match(email):
        return _("Enter an email address like name@example.com.")
    return None


def _check_timezone(tz: str) -> bool:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def signup(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    password: str,
    practice_name: str,
    timezone: str,
    country: str | None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[User, Organization]:
    """Create a user, their organization and their owner membership in one transaction."""
    name, practice_name, email = name.strip(), practice_name.strip(), normalize_email(email)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter your name.")
    elif len(name) > 120:
        errors["name"] = _("Use at most 120 characters.")
    if problem := validate_email(email):
        errors["email"] = problem
    if problem := check_password_policy(password, email=email, name=name):
        errors["password"] = problem
    errors.update(organizations.validate_org_fields(practice_name, timezone, country))
    if errors:
        raise ValidationFailed(errors)

    user = User(email=email, name=name, password_hash=await hash_password_async(password))
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ValidationFailed(
            {"email": _("An account with this email already exists. Sign in, or reset your password.")}
        ) from None
    actor = Actor(user_id=user.id, label=email, ip=ip, user_agent=user_agent)
    await audit.record(session, actor, "account.signed_up", entity_type="user", entity_id=user.id,
                       after={"email": email, "name": name})
    org = await organizations.create_organization(
        session, actor, name=practice_name, owner=user, timezone=timezone, country=country
    )
    await send_verification(session, user, commit_now=False)
    await commit(session)
    return user, org


# -- sign-in ---------------------------------------------------------------------------------------------


async def _recent_failures(session: AsyncSession, column: object, value: str) -> tuple[int, datetime | None]:
    since = utcnow() - THROTTLE_WINDOW
    row = (
        await session.execute(
            select(func.count(), func.min(LoginAttempt.created_at)).where(
                column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= since
            )
        )
    ).one()
    return row[0], row[1]


async def _queue_attempts(session: AsyncSession, email: str, ip: str) -> None:
    """Make attempts on one account (and from one address) run one after another until commit.

    Without this, guesses sent all at once on PostgreSQL each count the failures before
    any of them is recorded, and all get checked: twelve parallel guesses, twelve checks.
    SQLite needs nothing: the write transaction (``BEGIN IMMEDIATE``) already holds the
    database lock. The account lock is always taken before the address lock, so two
    attempts can never wait on each other.
    """
    if session.bind.dialect.name != "postgresql":
        return
    for namespace, key in ((_LOCK_ACCOUNT, email), (_LOCK_ADDRESS, ip)):
        await session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))"),
                              {"ns": namespace, "key": key})


async def authenticate(
    session: AsyncSession, *, email: str, password: str, ip: str, user_agent: str | None = None
) -> User:
    """The user whose email and password these are, or an error that reveals nothing about which was wrong.

    At most 5 failures per account and 20 per address in 5 minutes; past that every
    attempt is refused unchecked until the oldest failure leaves the window.
    """
    email = normalize_email(email)
    await _queue_attempts(session, email, ip)
    for column, value, limit in ((LoginAttempt.email, email, ACCOUNT_FAILURES), (LoginAttempt.ip, ip, IP_FAILURES)):
        count, oldest = await _recent_failures(session, column, value)
        if count >= limit:
            wait = int(((oldest or utcnow()) + THROTTLE_WINDOW - utcnow()).total_seconds()) + 1
            minutes = max(1, -(-wait // 60))
            raise Throttled(
                _("Too many failed sign-in attempts. Try again in %(n)d minute(s), or reset your password.",
                  n=minutes),
                retry_after=wait,
            )
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    ok = await verify_password_async(user.password_hash if user else None, password)
    session.add(LoginAttempt(email=email[:254], ip=ip, succeeded=ok))
    if not ok or user is None:
        if user is not None:
            await audit.record(session, Actor(user_id=user.id, label=email, ip=ip, user_agent=user_agent),
                               "account.login_failed", entity_type="user", entity_id=user.id)
        await commit(session)
        raise ValidationFailed({"form": _("That email and password don't match an account. Check them and try again.")})
    if password_needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
    user.last_login_at = utcnow()
    return user


# -- sessions --------------------------------------------------------------------------------------------


@dataclass
class SignedIn:
    """A valid session with its user (loaded once per request by the auth middleware)."""

    web_session: WebSession
    user: User
    renewed_token: str | None = None


async def create_session(
    session: AsyncSession,
    user: User,
    *,
    ip: str | None,
    user_agent: str | None,
    replaces: str | None = None,
    organization_id: int | None = None,
) -> str:
    """A new session for ``user`` (the old one, if any, is deleted: the id changes at every login)."""
    if replaces:
        await session.execute(delete(WebSession).where(WebSession.id == hash_token(replaces)))
    if organization_id is None:
        organization_id = (
            await session.execute(
                select(Membership.organization_id)
                .where(Membership.user_id == user.id, Membership.active.is_(True))
                .order_by(Membership.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()
    token = new_token()
    settings = get_settings()
    now = utcnow()
    session.add(
        WebSession(
            id=hash_token(token),
            user_id=user.id,
            organization_id=organization_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token


def hash_token_for(token: str) -> str:
    """The stored id of a session token."""
    return hash_token(token)


async def load_session(session: AsyncSession, token: str) -> WebSession | None:
    """The live session behind a cookie token; expired (idle or absolute) ones are deleted."""
    if not token or len(token) > 100:
        return None
    row = await session.get(WebSession, hash_token(token))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        # Delete in a transaction of its own. Callers pass a read session: on SQLite, turning
        # its (possibly stale) read snapshot into a write fails at once with "database is
        # locked" when several requests bring the same expired cookie together (a page and
        # its htmx fragments after a break), which was a 500 instead of the sign-in page.
        await session.rollback()
        await session.execute(delete(WebSession).where(WebSession.id == hash_token(token)))
        await session.commit()
        return None
    return row


async def rotate_session(session: AsyncSession, row: WebSession, **changes: object) -> str:
    """Give a session a new id (after a privilege change), carrying its state over."""
    token = new_token()
    fresh = WebSession(
        id=hash_token(token),
        user_id=row.user_id,
        organization_id=changes.get("organization_id", row.organization_id),
        view_as_org_id=changes.get("view_as_org_id", row.view_as_org_id),
        created_at=row.created_at,
        last_seen_at=utcnow(),
        expires_at=row.expires_at,
        ip=row.ip,
        user_agent=row.user_agent,
    )
    await session.delete(row)
    await session.flush()
    session.add(fresh)
    return token


async def flag_sessions_for_renewal(session: AsyncSession, user_id: int) -> None:
    """Mark a user's sessions so each gets a new id on its next request (their privileges changed)."""
    await session.execute(update(WebSession).where(WebSession.user_id == user_id).values(renew=True))


async def end_session(session: AsyncSession, token: str | None, *, session_id: str | None = None) -> None:
    """End the session of a cookie token and/or of a stored id (the request's, if it was just rotated)."""
    ids = [i for i in (hash_token(token) if token else None, session_id) if i]
    if ids:
        await session.execute(delete(WebSession).where(WebSession.id.in_(ids)))


async def end_user_sessions(session: AsyncSession, user_id: int, *, organization_id: int | None = None) -> int:
    """End every session of a user (or those of them working in one organization)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if organization_id is not None:
        query = query.where(
            (WebSession.organization_id == organization_id) | (WebSession.view_as_org_id == organization_id)
        )
    result = await session.execute(query)
    return result.rowcount or 0


# -- emailed tokens --------------------------------------------------------------------------------------


async def _issue_token(session: AsyncSession, user: User, purpose: str, ttl: timedelta) -> str:
    # A new link supersedes the unused ones of the same purpose.
    await session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    token = new_token()
    session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=hash_token(token),
                          expires_at=utcnow() + ttl))
    return token


async def _consume_token(session: AsyncSession, token: str, purpose: str) -> UserToken | None:
    row = (
        await session.execute(
            select(UserToken).where(UserToken.token_hash == hash_token(token or ""), UserToken.purpose == purpose)
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    # Conditional update: of two concurrent uses of one token only one succeeds.
    result = await session.execute(
        update(UserToken).where(UserToken.id == row.id, UserToken.used_at.is_(None)).values(used_at=utcnow())
    )
    return row if result.rowcount == 1 else None


async def send_verification(session: AsyncSession, user: User, *, commit_now: bool = True) -> None:
    token = await _issue_token(session, user, "verify_email", VERIFY_TTL)
    link = f"{get_settings().base_url}/verify-email/{token}"
    await queue_email(session, user.email, "verify_email", {"name": user.name, "link": link, "hours": 48})
    if commit_now:
        await commit(session)


async def verify_email(session: AsyncSession, token: str) -> User | None:
    row = await _consume_token(session, token, "verify_email")
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    assert user is not None
    user.email_verified_at = user.email_verified_at or utcnow()
    await audit.record(session, Actor(user_id=user.id, label=user.email), "account.email_verified",
                       entity_type="user", entity_id=user.id)
    await commit(session)
    return user


async def request_password_reset(session: AsyncSession, email: str, *, ip: str | None = None) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    email = normalize_email(email)
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        return
    recent = (
        await session.execute(
            select(func.count()).select_from(UserToken).where(
                UserToken.user_id == user.id, UserToken.purpose == "reset_password",
                UserToken.created_at >= utcnow() - RESET_REQUEST_WINDOW)
        )
    ).scalar_one()
    if recent >= RESET_REQUESTS_PER_WINDOW:
        return  # nobody can flood an inbox; the answer stays the same either way
    token = await _issue_token(session, user, "reset_password", RESET_TTL)
    link = f"{get_settings().base_url}/reset-password/{token}"
    await queue_email(session, user.email, "reset_password", {"name": user.name, "link": link, "minutes": 60})
    await audit.record(session, Actor(user_id=user.id, label=email, ip=ip), "account.password_reset_requested",
                       entity_type="user", entity_id=user.id)
    await commit(session)


async def reset_password(session: AsyncSession, token: str, password: str, *, ip: str | None = None) -> User:
    """Set a new password with a reset token; every session of the user ends."""
    row = await _consume_token(session, token, "reset_password")
    if row is None:
        raise ValidationFailed({"form": _("This reset link has expired or was already used. Ask for a new one.")})
    user = await session.get(User, row.user_id)
    assert user is not None
    if problem := check_password_policy(password, email=user.email, name=user.name):
        await session.rollback()
        raise ValidationFailed({"password": problem})
    user.password_hash = await hash_password_async(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    await end_user_sessions(session, user.id)
    await audit.record(session, Actor(user_id=user.id, label=user.email, ip=ip), "account.password_reset",
                       entity_type="user", entity_id=user.id)
    await commit(session)
    return user
