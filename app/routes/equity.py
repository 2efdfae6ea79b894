"""The equity ledger page (/rota/equity).

Who sees it: owners, managers and members. Members already see every published shift in the calendar;
the ledger only adds them up and shows the arithmetic, which is the transparency the rota promises
("Rounds shows its arithmetic"). Viewers (operators, floor staff) look up who is on call; colleagues'
workloads are none of their business: 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import HTTPException
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import in_organization
from app.models import utcnow
from app.routes._common import page, require_auth
from app.services.rota import equity
from app.services.rota.schedule import org_timezone
from app.views import equity as views

__all__ = ("EquityController",)


class EquityController(Controller):
    path = "/rota/equity"
    include_in_schema = False
    guards = [in_organization]

    @get("/")
    async def show_equity(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        if not equity.can_see(auth.actor):
            raise HTTPException(status_code=403, detail="You do not have permission to do that.")
        tz = await org_timezone(db, auth.actor.organization_id)  # type: ignore[arg-type]
        start, end, errors = views.parse_period(request.query_params.get("from"), request.query_params.get("to"),
                                                utcnow().astimezone(tz).date())
        if errors:
            start, end, _errors = views.parse_period(None, None, utcnow().astimezone(tz).date())
        ledger = await equity.ledger(db, auth.actor, start, end)
        me = auth.membership.id if auth.membership is not None and not auth.viewing_as else None
        return page(request, "equity/index.html", status_code=422 if errors else 200,
                    view=views.ledger_view(ledger, me=me),
                    errors=errors, raw={"from": request.query_params.get("from", start.isoformat()),
                                        "to": request.query_params.get("to", end.isoformat())},
                    can_generate=auth.can("schedule.manage"))
