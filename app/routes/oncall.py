"""Routes of the rota area for reading it on the go: who is on call (``/oncall``) and my shifts (``/rota/mine``).

Both pages are read-only, open to every role (``schedule.read``), and are the two pages the service
worker keeps fresh in the background so that they still answer when the service or the network is down.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.i18n import _
from app.models import utcnow
from app.routes._common import page, require_auth
from app.services.rota import schedule
from app.services.rota.dates import parse_when
from app.views.oncall import agenda, day_label, oncall_view, read_when

__all__ = ("OnCallController",)

AGENDA_DAYS = 30
MAX_DISTANCE = timedelta(days=3653)  # far-off years are typing mistakes (and overflow date arithmetic)


def _later_start(raw: str | None, today: date) -> date | None:
    """The day ``?from=`` names when it lies after today and within a year and a half; otherwise None."""
    try:
        start = date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None
    return start if today < start <= today + timedelta(days=550) else None


class OnCallController(Controller):
    include_in_schema = False
    guards = [needs("schedule.read")]

    @get("/oncall")
    async def show_oncall(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        """Who is on duty now, tonight, tomorrow or at a date and time, filtered by a search text.

        An htmx request (the search box, the "when" control) gets just the results list, plus the
        message beside the "when" field swapped out of band.
        """
        auth = require_auth(request)
        params = request.query_params
        query = (params.get("q") or "").strip()[:100]
        raw_when = (params.get("when") or "").strip()
        at_value = (params.get("at") or "").strip()
        when, text, at_value = read_when(raw_when, at_value)
        tz = await schedule.org_timezone(db, auth.organization.id)  # type: ignore[union-attr]
        now = utcnow()
        try:
            at = parse_when(text, tz, now) if text else None
        except (ValueError, OverflowError):
            at = None
        error = None
        rows: list[Any] = []
        if not text:
            error = _("Choose a date and time, or now, tonight or tomorrow.")
        elif at is None:
            error = _(
                "“%(text)s” is not a date and time we can read. Enter one like 2026-03-04 03:00, or choose "
                "now, tonight or tomorrow.",
                text=text[:40],
            )
        elif abs(at - now) > MAX_DISTANCE:
            at, error = None, _("Choose a date within ten years of today.")
        else:
            rows = await schedule.on_duty(db, auth.actor, at, query=query)
        view = oncall_view(rows, tz=tz, query=query, when=when, at_value=at_value, at=at, error=error)
        fragment = bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")
        template = "oncall/_results.html" if fragment else "oncall/index.html"
        return page(request, template, view=view, fragment=fragment, status_code=422 if error else 200)

    @get("/rota/mine")
    async def list_my_shifts(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        """The signed-in member's published shifts over the next 30 days, as an agenda.

        ``?from=YYYY-MM-DD`` starts the 31 days at a later day: the "rota published" notice links to the
        first day of the published month, which may lie beyond the next 30 days.
        """
        auth = require_auth(request)
        tz = await schedule.org_timezone(db, auth.organization.id)  # type: ignore[union-attr]
        today = utcnow().astimezone(tz).date()
        start = _later_start(request.query_params.get("from"), today)
        first = today if start is None else start
        if start is None:
            end = today + timedelta(days=AGENDA_DAYS - 1)
            heading, empty = _("My shifts, next 30 days"), _("You have no shifts in the next 30 days.")
        else:
            end = start + timedelta(days=AGENDA_DAYS)
            heading = _("My shifts from %(day)s", day=day_label(start))
            empty = _("You have no shifts from %(first)s to %(last)s.", first=day_label(start), last=day_label(end))
        membership = auth.membership
        days = []
        if membership is not None:
            slots = await schedule.load_slots(db, auth.actor, first, end, membership_id=membership.id)
            days = agenda(slots, membership.id, tz=tz, start=first, end=end, today=today)
        in_schedule = bool(membership and membership.in_schedule and membership.role != "viewer")
        return page(
            request,
            "oncall/mine.html",
            days=days,
            in_schedule=in_schedule,
            today=today.isoformat(),
            heading=heading,
            empty=empty,
            refresh_url="/rota/mine" if start is None else f"/rota/mine?from={start.isoformat()}",
            range_label=_("%(first)s to %(last)s", first=day_label(first), last=day_label(end)),
            timezone=str(tz),
            shift_count=sum(len(d.entries) for d in days),
        )
