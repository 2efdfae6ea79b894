"""The scheduling rules page (/rota/rules): owners and managers set the practice's rules in one form."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.routes._common import form_data, page, redirect, require_auth
from app.services import organizations
from app.services.errors import ValidationFailed
from app.services.rota import rules, setup
from app.services.rota.request_support import takes_shifts
from app.views import requests as request_views
from app.views import rota_setup as setup_views
from app.views import rules as views

__all__ = ("RulesController",)


class RulesController(Controller):
    path = "/rota/rules"
    include_in_schema = False
    guards = [needs("schedule.manage")]

    async def _form(self, request: Request[Any, Any, Any], db: AsyncSession, *, data: dict[str, Any] | None = None,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        auth = require_auth(request)
        actor = auth.actor
        shift_types = await setup.list_shift_types(db, actor)
        members = [m for m in await organizations.list_members(db, actor, include_inactive=False) if takes_shifts(m)]
        if data is None:
            form = views.form_from_rules(await rules.load_rules(db, actor.organization_id),  # type: ignore[arg-type]
                                         shift_types, members)
        else:
            form = views.form_from_data(data, shift_types, members)
        tabs = setup_views.tabs("rules", can_api_keys=auth.can("api_keys.manage"), can_audit=auth.can("audit.read"))
        notice = request_views.notice_text(request.query_params.get("notice"))
        extra = {"notice": notice} if notice else {}
        return page(request, "rules/index.html", status_code=status_code, form=form, errors=errors or {}, tabs=tabs,
                    summary=views.error_summary(errors or {}, form), **extra)

    @get("/")
    async def show_rules(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._form(request, db)

    @post("/")
    async def save_rules(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        actor = auth.actor
        shift_types = await setup.list_shift_types(db, actor)
        members = await organizations.list_members(db, actor, include_inactive=False)
        try:
            parsed = rules.parse_rules(data, shift_type_ids=[s.id for s in shift_types],
                                       membership_ids=[m.id for m in members])
            await rules.save_rules(db, actor, parsed)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._form(request, db, data=data, errors=exc.errors, status_code=422)
        return redirect("/rota/rules", notice="rules-saved")
