"""The JSON API (``/api/v1``): bearer API keys, scopes, the documented error shape."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import get_database
from app.services import api_keys, organizations
from app.services.actor import Actor

__all__ = ("ApiV1Controller", "api_actor", "api_key_known", "api_rate_limit")


API_RATE_LIMIT = ("minute", 300)
"""The default; ``API_RATE_LIMIT_PER_MINUTE`` (``Settings.api_rate_limit_per_minute``) sets the number."""


class ApiAuthError(HTTPException):
    pass


def _rate_key(request: Request[Any, Any, Any]) -> str:
    """Rate-limit per API key (per address for calls without one); the secret itself is never a key."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return "key:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:24]
    return "ip:" + (request.client.host if request.client else "unknown")


class ApiRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, with the number of requests a minute read from the settings.

    The middleware is built with the app (``create_app``), so each app gets the limit its
    settings say; the name of the class is part of the counter's key, so every API
    controller using :func:`api_rate_limit` shares one counter per key.
    """

    def __init__(self, app: Any, config: RateLimitConfig) -> None:
        super().__init__(app, config)
        self.max_requests = get_settings().api_rate_limit_per_minute


def api_rate_limit() -> DefineMiddleware:
    """The rate limit of every ``/api/v1`` controller: per key a minute, 429 with the JSON error past it."""
    return DefineMiddleware(ApiRateLimitMiddleware,
                            config=RateLimitConfig(rate_limit=API_RATE_LIMIT, identifier_for_request=_rate_key))


async def _caller(request: ASGIConnection[Any, Any, Any, Any], db: AsyncSession) -> api_keys.ApiCaller:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise ApiAuthError(status_code=401, detail="Send an API key as 'Authorization: Bearer <key>'.",
                           headers={"WWW-Authenticate": "Bearer"})
    caller = await api_keys.authenticate_key(db, header[7:].strip())
    if caller is None:
        raise ApiAuthError(status_code=401, detail="This API key is unknown or revoked.",
                           headers={"WWW-Authenticate": "Bearer"})
    return caller


async def api_key_known(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of every ``/api/v1`` controller: the key is checked before the body is read, so a caller
    without a valid key gets 401 and learns nothing of what the endpoint accepts (no 400/422 first)."""
    async with get_database().read_session() as db:
        caller = await _caller(connection, db)
        await db.commit()  # the key's "last used" mark, where it was written in this session
    connection.state.api_caller = caller


async def api_actor(request: Request[Any, Any, Any], db: AsyncSession, scope: str) -> Actor:
    """The organization's actor behind the request's bearer key, if it holds ``scope``."""
    caller = getattr(request.state, "api_caller", None) or await _caller(request, db)
    if scope not in caller.scopes:
        raise ApiAuthError(status_code=403, detail=f"This API key lacks the '{scope}' scope.")
    return Actor(user_id=None, label=f"api-key:{caller.name}", organization_id=caller.organization.id,
                 role="manager" if scope.endswith(":write") else "viewer",
                 ip=request.client.host if request.client else None,
                 user_agent=request.headers.get("user-agent"))


@dataclass
class MemberOut:
    id: int
    name: str
    email: str
    role: str
    active: bool
    phone: str | None
    fte: float
    qualifications: list[str]


@dataclass
class MemberIn:
    email: str
    name: str
    role: str = "member"
    phone: str | None = None
    fte: float = 1.0
    qualifications: list[str] = field(default_factory=list)


@dataclass
class MemberList:
    members: list[MemberOut]


class ApiV1Controller(Controller):
    path = "/api/v1"
    tags = ["members"]
    middleware = [api_rate_limit()]
    guards = [api_key_known]

    @get("/members", summary="List the organization's members")
    async def list_members(self, request: Request[Any, Any, Any], db: AsyncSession) -> MemberList:
        """Every member of the key's organization (scope ``members:read``)."""
        actor = await api_actor(request, db, "members:read")
        rows = await organizations.list_members(db, actor)
        return MemberList(members=[
            MemberOut(id=m.id, name=m.user.name, email=m.user.email, role=m.role, active=m.active, phone=m.phone,
                      fte=m.fte, qualifications=list(m.qualifications or []))
            for m in rows
        ])

    @post("/members", summary="Add a member", status_code=201)
    async def create_member(self, request: Request[Any, Any, Any], db: AsyncSession, data: MemberIn) -> MemberOut:
        """Add a person to the organization (scope ``members:write``); they set a password by "forgot password"."""
        actor = await api_actor(request, db, "members:write")
        membership = await organizations.add_member(
            db, actor, email=data.email, name=data.name, role=data.role, phone=data.phone or "", fte=data.fte,
            qualifications=data.qualifications)
        m = await organizations.get_membership(db, actor, membership.id)
        return MemberOut(id=m.id, name=m.user.name, email=m.user.email, role=m.role, active=m.active,
                         phone=m.phone, fte=m.fte, qualifications=list(m.qualifications or []))
