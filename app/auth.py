"""Who is making a request: the session cookie resolved once per request, and the guards that use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.middleware import AbstractMiddleware
from litestar.types import Receive, Scope, Send
from sqlalchemy import update

from app.config import get_settings
from app.db import get_database
from app.models import Membership, Organization, User, WebSession, utcnow
from app.services import accounts
from app.services.actor import Actor
from app.services.organizations import memberships_of
from app.services.permissions import can

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler

__all__ = (
    "AuthContext",
    "AuthMiddleware",
    "LoginRequired",
    "OrganizationSuspended",
    "auth_of",
    "client_ip",
    "needs",
    "platform_admin",
    "session_cookie",
    "signed_in",
    "in_organization",
)

TOUCH_EVERY = timedelta(seconds=60)


def cookie_name() -> str:
    # The __Host- prefix pins the cookie to this host and path / over https.
    return "__Host-rounds_session" if get_settings().secure_cookies else "rounds_session"


class LoginRequired(HTTPException):
    status_code = 401
    detail = "Sign in to continue."


class OrganizationSuspended(HTTPException):
    status_code = 403
    detail = "This organization is suspended."


@dataclass
class AuthContext:
    user: User
    web_session: WebSession
    organization: Organization | None
    membership: Membership | None
    memberships: list[Membership] = field(default_factory=list)
    viewing_as: bool = False
    ip: str | None = None
    user_agent: str | None = None

    @property
    def role(self) -> str | None:
        if self.viewing_as:
            return "viewer"
        return self.membership.role if self.membership else None

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id,
            label=self.user.email,
            organization_id=self.organization.id if self.organization else None,
            role=self.role,
            is_platform_admin=self.user.is_platform_admin,
            viewing_as=self.viewing_as,
            ip=self.ip,
            user_agent=self.user_agent,
        )

    def can(self, permission: str) -> bool:
        return self.organization is not None and can(self.actor, permission)


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie_token(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    name = cookie_name()
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def session_cookie(token: str | None) -> Cookie:
    """The session cookie carrying ``token`` (None deletes it)."""
    settings = get_settings()
    return Cookie(
        key=cookie_name(),
        value=token or "",
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=settings.session_absolute_hours * 3600 if token else 0,
    )


async def resolve(token: str, ip: str, user_agent: str | None) -> tuple[AuthContext | None, str | None]:
    """The request's auth context and, when the session id was rotated, the new token."""
    db = get_database()
    new_token: str | None = None
    async with db.read_session() as session:
        row = await accounts.load_session(session, token)
        if row is None:
            return None, None
        user = await session.get(User, row.user_id)
        if user is None:
            return None, None
        needs_write = row.renew or row.last_seen_at + TOUCH_EVERY <= utcnow()
    if needs_write:
        async with db.write_session() as session:
            fresh = await session.get(WebSession, row.id)
            if fresh is None:
                return None, None
            if fresh.renew:
                new_token = await accounts.rotate_session(session, fresh)
            else:
                await session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=utcnow()))
            await session.commit()
        if new_token:
            return await _context(accounts.hash_token_for(new_token), ip, user_agent), new_token
    return await _context(row.id, ip, user_agent), None


async def _context(session_id: str, ip: str, user_agent: str | None) -> AuthContext | None:
    db = get_database()
    async with db.read_session() as session:
        row = await session.get(WebSession, session_id)
        user = await session.get(User, row.user_id) if row else None
        if row is None or user is None:
            return None
        memberships = await memberships_of(session, user.id)
        if row.view_as_org_id and user.is_platform_admin:
            org = await session.get(Organization, row.view_as_org_id)
            return AuthContext(user, row, org, None, memberships, viewing_as=True, ip=ip, user_agent=user_agent)
        membership = next((m for m in memberships if m.organization_id == row.organization_id), None)
        if membership is None and memberships:
            membership = memberships[0]
        if membership is not None and membership.organization_id != row.organization_id:
            async with db.write_session() as write:
                await write.execute(
                    update(WebSession).where(WebSession.id == row.id).values(organization_id=membership.organization_id)
                )
                await write.commit()
        org = membership.organization if membership else None
        return AuthContext(user, row, org, membership, memberships, ip=ip, user_agent=user_agent)


class AuthMiddleware(AbstractMiddleware):
    """Puts ``AuthContext | None`` in ``request.state.auth``; sets a new cookie when the id rotated."""

    exclude = ["^/static/", "^/sw.js$", "^/manifest.json$", "^/favicon"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _cookie_token(scope)
        auth, rotated = (None, None)
        if token:
            auth, rotated = await resolve(token, client_ip(scope), _header(scope, b"user-agent"))
        scope.setdefault("state", {})["auth"] = auth
        if not token or (auth is not None and rotated is None):
            await self.app(scope, receive, send)
            return
        cookie = session_cookie(rotated)  # a new id, or the deletion of a dead one

        async def send_with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # A session cookie the handler set (sign-in, sign-out, joining) is the later word.
                # Browsers apply Set-Cookie in order, so ours must not follow it: it would undo
                # a sign-out (with a rotated id) or a sign-in (with the deletion of a dead cookie).
                prefix = f"{cookie.key}="
                if not any(v.startswith(prefix) for v in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def auth_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthContext | None:
    return connection.scope.get("state", {}).get("auth")


# -- guards ----------------------------------------------------------------------------------------------


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if auth_of(connection) is None:
        raise LoginRequired()


def in_organization(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Signed in, with an active membership (or "view as"), in an organization that is not suspended."""
    auth = auth_of(connection)
    if auth is None:
        raise LoginRequired()
    if auth.organization is None:
        raise HTTPException(status_code=403, detail="no-organization")
    if auth.organization.is_suspended and not auth.viewing_as:
        raise OrganizationSuspended()


def needs(permission: str):  # noqa: ANN201
    """A guard: the signed-in actor holds ``permission`` in the current organization."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        in_organization(connection, handler)
        auth = auth_of(connection)
        assert auth is not None
        if not auth.can(permission):
            raise HTTPException(status_code=403, detail="You do not have permission to do that.")

    return guard


def platform_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    auth = auth_of(connection)
    if auth is None:
        raise LoginRequired()
    if not auth.user.is_platform_admin:
        raise HTTPException(status_code=404, detail="Not found")
