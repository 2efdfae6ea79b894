"""The platform administrators' console."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import platform_admin, session_cookie
from app.models import WebSession
from app.routes._common import page, redirect, require_auth
from app.services import platform

__all__ = ("PlatformController",)


class PlatformController(Controller):
    path = "/platform"
    include_in_schema = False

    @get("/", guards=[platform_admin])
    async def list_organizations(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        query = request.query_params.get("q", "")
        orgs = await platform.list_organizations(db, auth.actor, query=query)
        return page(request, "platform/index.html", orgs=orgs, query=query)

    @post("/orgs/{organization_id:int}/suspend", guards=[platform_admin])
    async def suspend_organization(self, request: Request[Any, Any, Any], db: AsyncSession,
                                   organization_id: int) -> Any:
        await platform.set_status(db, require_auth(request).actor, organization_id, suspended=True)
        return redirect("/platform", notice="suspended")

    @post("/orgs/{organization_id:int}/reactivate", guards=[platform_admin])
    async def reactivate_organization(self, request: Request[Any, Any, Any], db: AsyncSession,
                                      organization_id: int) -> Any:
        await platform.set_status(db, require_auth(request).actor, organization_id, suspended=False)
        return redirect("/platform", notice="reactivated-org")

    @post("/orgs/{organization_id:int}/view-as", guards=[platform_admin])
    async def view_as_organization(self, request: Request[Any, Any, Any], db: AsyncSession,
                                   organization_id: int) -> Any:
        auth = require_auth(request)
        row = await db.get(WebSession, auth.web_session.id)
        assert row is not None
        token = await platform.start_view_as(db, auth.actor, row, organization_id)
        response = redirect("/home")
        response.set_cookie(session_cookie(token))
        return response

    # Like every /platform URL, 404 to anyone but a platform admin (a withdrawn admin's
    # "view as" already ended: the session ignores it once the flag is gone).
    @post("/view-as/stop", guards=[platform_admin])
    async def stop_view_as(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        row = await db.get(WebSession, auth.web_session.id)
        assert row is not None
        token = await platform.stop_view_as(db, auth.actor, row)
        response = redirect("/platform" if auth.user.is_platform_admin else "/home", notice="view-as-ended")
        response.set_cookie(session_cookie(token))
        return response
