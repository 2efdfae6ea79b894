"""The audit log, browsed and filtered by owners and managers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.i18n import _
from app.routes._common import page, page_number, require_auth
from app.services import audit

__all__ = ("AuditController",)


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class AuditController(Controller):
    path = "/audit"
    include_in_schema = False
    guards = [needs("audit.read")]

    @get("/")
    async def list_audit_entries(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        q = request.query_params
        tz = ZoneInfo(auth.organization.timezone)  # type: ignore[union-attr]
        errors = {}
        since_day, until_day = _parse_day(q.get("from")), _parse_day(q.get("to"))
        if q.get("from") and since_day is None:
            errors["from"] = _("Enter a date as YYYY-MM-DD.")
        if q.get("to") and until_day is None:
            errors["to"] = _("Enter a date as YYYY-MM-DD.")
        page_no = page_number(q.get("page"))
        result = await audit.list_entries(
            db,
            auth.actor,
            action=q.get("action") or None,
            actor_query=q.get("actor") or None,
            entity_type=q.get("entity") or None,
            since=datetime.combine(since_day, datetime.min.time(), tz) if since_day else None,
            until=datetime.combine(until_day + timedelta(days=1), datetime.min.time(), tz) if until_day else None,
            page=page_no,
        )
        filters = {k: q.get(k, "") for k in ("action", "actor", "entity", "from", "to")}
        query_base = urlencode({k: v for k, v in filters.items() if v})
        template = "audit/_table.html" if request.headers.get("hx-request") else "audit/index.html"
        return page(request, template, result=result, filters=filters, errors=errors, query_base=query_base,
                    entity_types=["organization", "membership", "invitation", "user", "api_key"])
