"""Organization settings: API keys (owners)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.routes._common import form_data, page, redirect, require_auth
from app.services import api_keys
from app.services.errors import ValidationFailed

__all__ = ("ApiKeyController",)


class ApiKeyController(Controller):
    path = "/settings/api-keys"
    include_in_schema = False
    guards = [needs("api_keys.manage")]

    async def _render(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                      **context: Any) -> Template:
        auth = require_auth(request)
        keys = await api_keys.list_keys(db, auth.actor)
        context.setdefault("values", {"scopes": ["schedule:read"]})
        context.setdefault("errors", {})
        return page(request, "settings/api_keys.html", status_code=status_code, keys=keys,
                    scopes=api_keys.SCOPES, **context)

    @get("/")
    async def list_api_keys(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._render(request, db)

    @post("/")
    async def create_api_key(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        data = await form_data(request)
        scopes = data.get("scopes", [])
        scopes = [scopes] if isinstance(scopes, str) else list(scopes)
        values = {"name": str(data.get("name", "")), "scopes": scopes}
        try:
            key, secret = await api_keys.create_key(db, auth.actor, name=values["name"], scopes=scopes)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._render(request, db, status_code=422, values=values, errors=exc.errors)
        # Shown on this response only; a reload does not show it again.
        return await self._render(request, db, created=key, secret=secret)

    @post("/{key_id:int}/revoke")
    async def revoke_api_key(self, request: Request[Any, Any, Any], db: AsyncSession, key_id: int) -> Any:
        auth = require_auth(request)
        await api_keys.revoke_key(db, auth.actor, key_id)
        return redirect("/settings/api-keys", notice="key-revoked")
