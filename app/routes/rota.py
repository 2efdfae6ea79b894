"""Routes of the rota area: /rota, the day, week and month calendar, and assigning from it.

Each calendar URL is bookmarkable (``/rota/week/2026-03-02``) and answers three ways: the whole page;
the calendar (toolbar and grid) for htmx navigation (``HX-Target: rota-calendar``); or just the grid for
the live refresh a change event triggers (``HX-Target: rota-grid``). The assign panel lives outside both,
so neither navigation nor a live refresh closes it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import AuthContext, in_organization, needs
from app.i18n import _
from app.routes._common import form_data, page, redirect, require_auth, safe_next
from app.services import organizations
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.rota import schedule, setup
from app.views import rota as views
from app.views.rota_panel import build_panel

__all__ = ("RotaController",)

DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
# Far enough for any rota, near enough that stepping a month either way stays a valid date.
FIRST_YEAR, LAST_YEAR = 1970, 2200
# Ids beyond this are nobody's (and would overflow SQLite's integers): 404, not a crash.
MAX_ID = 2**31 - 1


def small_id(raw: object) -> int | None:
    """A positive database id from text, or None."""
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def _known_id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise NotFound(_("Not found."))
    return value


class BadDate(Exception):
    def __init__(self, raw: str) -> None:
        super().__init__(raw)
        self.raw = raw


def parse_day(raw: str, *, allow_month: bool = False) -> date:
    """A ``YYYY-MM-DD`` (or, for months, ``YYYY-MM``) from a URL; :class:`BadDate` for anything else."""
    text = raw.strip()
    try:
        if allow_month and MONTH_RE.match(text):
            parsed = date(int(text[:4]), int(text[5:7]), 1)
        elif DAY_RE.match(text):
            parsed = date.fromisoformat(text)
        else:
            raise BadDate(raw)
    except ValueError:
        raise BadDate(raw) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise BadDate(raw)
    return parsed


def _tz(auth: AuthContext) -> ZoneInfo:
    return ZoneInfo(auth.organization.timezone if auth.organization else "UTC")


def _today(auth: AuthContext) -> date:
    return datetime.now(_tz(auth)).date()


def _me(auth: AuthContext) -> int | None:
    m = auth.membership
    if m is None or auth.viewing_as or not m.in_schedule or m.role == "viewer":
        return None
    return m.id


def _filters(request: Request[Any, Any, Any]) -> views.Filters:
    q = request.query_params
    location = (q.get("location") or "").strip()
    member = (q.get("member") or "").strip()
    return views.Filters(
        location=location if small_id(location) else "",
        shift=(q.get("shift") or "").strip()[:40],
        member=member if member == "me" or small_id(member) else "",
    )


def _hx_target(request: Request[Any, Any, Any]) -> str | None:
    if not request.headers.get("hx-request") or request.headers.get("hx-history-restore-request"):
        return None
    return request.headers.get("hx-target")


def _bad_date(request: Request[Any, Any, Any], exc: BadDate) -> Template:
    auth = require_auth(request)
    return page(request, "rota/bad_date.html", status_code=404, raw=exc.raw,
                this_week=views.calendar_url("week", _today(auth)))


class RotaController(Controller):
    path = "/rota"
    include_in_schema = False
    guards = [in_organization, needs("schedule.read")]

    # -- the calendar ------------------------------------------------------------------------------------

    @get("/")
    async def show_rota(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """This week, in the organization's timezone; filters kept."""
        auth = require_auth(request)
        query = _filters(request).query()
        return redirect(views.calendar_url("week", _today(auth)) + (f"?{query}" if query else ""))

    @get("/day/{when:str}")
    async def show_day(self, request: Request[Any, Any, Any], db: AsyncSession, when: str) -> Template:
        return await self._calendar(request, db, "day", when)

    @get("/week/{when:str}")
    async def show_week(self, request: Request[Any, Any, Any], db: AsyncSession, when: str) -> Template:
        return await self._calendar(request, db, "week", when)

    @get("/month/{when:str}")
    async def show_month(self, request: Request[Any, Any, Any], db: AsyncSession, when: str) -> Template:
        return await self._calendar(request, db, "month", when)

    async def _calendar(self, request: Request[Any, Any, Any], db: AsyncSession, view: str, raw: str) -> Template:
        auth = require_auth(request)
        try:
            anchor = parse_day(raw, allow_month=view == "month")
        except BadDate as exc:
            return _bad_date(request, exc)
        actor = auth.actor
        can_manage = auth.can("schedule.manage")
        me = _me(auth)
        filters = _filters(request)
        membership_id = None
        if filters.member == "me":
            membership_id = me if me is not None else -1
        elif filters.member and can_manage:
            membership_id = int(filters.member)
        elif filters.member:
            filters = views.Filters(location=filters.location, shift=filters.shift)  # only managers pick others
        start, end = views.calendar_range(view, anchor)
        slots = await schedule.load_slots(
            db, actor, start, end, location_id=int(filters.location) if filters.location else None,
            shift_code=filters.shift or None, membership_id=membership_id)
        shift_types = await setup.list_shift_types(db, actor)
        members = await organizations.list_members(db, actor, include_inactive=False) if can_manage else []
        calendar = views.build_calendar(
            view, anchor, slots=slots, tz=_tz(auth), today=_today(auth),
            holidays=await setup.list_holidays(db, actor, start, end), filters=filters,
            locations=await setup.list_locations(db, actor), shift_types=shift_types, members=members,
            can_manage=can_manage, me=me)
        target = _hx_target(request)
        template = {"rota-grid": "rota/_grid.html", "rota-calendar": "rota/_calendar.html"}.get(
            target or "", "rota/calendar.html")
        return page(request, template, cal=calendar, fragment_title=calendar.title if target else None,
                    colors_href=self._colors_href(shift_types))

    @staticmethod
    def _colors_href(shift_types: list[Any]) -> str:
        version = hashlib.sha256(views.shift_colors_css(shift_types).encode()).hexdigest()[:10]
        return f"/rota/shift-colors.css?v={version}"

    @get("/shift-colors.css")
    async def show_shift_colors(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[str]:
        auth = require_auth(request)
        shift_types = await setup.list_shift_types(db, auth.actor, include_inactive=True)
        return Response(views.shift_colors_css(shift_types), media_type="text/css",
                        headers={"Cache-Control": "private, max-age=86400"})

    # -- the assign panel --------------------------------------------------------------------------------

    async def _panel(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int, day: date, *,
                     next_url: str, status_code: int = 200, message: str | None = None,
                     error: str | None = None) -> Template:
        auth = require_auth(request)
        actor = auth.actor
        shift = await setup.get_shift_type(db, actor, _known_id(shift_type_id))  # another organization's: 404
        slot = next((s for s in await schedule.load_slots(db, actor, day, day, shift_code=shift.code)
                     if s.shift.id == shift.id and s.day == day), None)
        if slot is None:
            raise NotFound(_("%(shift)s does not run on that day.", shift=shift.name))
        candidates = await schedule.candidates(db, actor, shift.id, day)
        holidays = await setup.list_holidays(db, actor, day, day)
        panel = build_panel(slot, candidates, _tz(auth), holiday=holidays[0] if holidays else None,
                                  me=_me(auth), next_url=next_url, message=message, error=error)
        template = "rota/_panel.html" if request.headers.get("hx-request") else "rota/slot.html"
        shift_types = await setup.list_shift_types(db, actor)
        return page(request, template, status_code=status_code, panel=panel,
                    colors_href=self._colors_href(shift_types))

    def _next(self, request: Request[Any, Any, Any], raw: Any, day: date) -> str:
        return safe_next(str(raw) if raw else None, views.calendar_url("week", day))

    @get("/slots/{shift_type_id:int}/{when:str}", guards=[needs("schedule.manage")])
    async def show_slot(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int,
                        when: str) -> Template:
        try:
            day = parse_day(when)
        except BadDate as exc:
            return _bad_date(request, exc)
        return await self._panel(request, db, shift_type_id, day,
                                 next_url=self._next(request, request.query_params.get("next"), day))

    @post("/slots/{shift_type_id:int}/{when:str}", guards=[needs("schedule.manage")])
    async def assign_slot(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int,
                          when: str) -> Any:
        """Put the chosen member on the slot, or in place of the chosen person (``replaces``)."""
        auth = require_auth(request)
        try:
            day = parse_day(when)
        except BadDate as exc:
            return _bad_date(request, exc)
        data = await form_data(request)
        next_url = self._next(request, data.get("next"), day)
        shift = await setup.get_shift_type(db, auth.actor, _known_id(shift_type_id))
        replaces = str(data.get("replaces") or "").strip()
        membership_id = small_id(data.get("membership_id", ""))
        try:
            if membership_id is None:
                raise ValidationFailed({"member_id": _("Choose who takes the shift.")})
            if replaces and replaces != "none":
                replaced_id = small_id(replaces)
                if replaced_id is None:
                    raise NotFound(_("No such assignment."))
                old = await schedule.get_assignment(db, auth.actor, replaced_id)
                if old.shift_type_id != shift.id or old.date != day or old.draft_id is not None:
                    raise NotFound(_("No such assignment."))
                old_name = old.membership.user.name
                new = await schedule.reassign(db, auth.actor, old.id, membership_id)
                message = _("%(new)s now covers this shift instead of %(old)s.", new=new.membership.user.name,
                            old=old_name)
            else:
                new = await schedule.assign(db, auth.actor, shift_type_id=shift.id, day=day,
                                            membership_id=membership_id)
                message = _("%(name)s is now on this shift.", name=new.membership.user.name)
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            text = next(iter(exc.errors.values())) if isinstance(exc, ValidationFailed) else exc.message
            htmx = bool(request.headers.get("hx-request"))
            # htmx swaps only 2xx and 422 responses (see base.html): an error must stay visible in the panel.
            return await self._panel(request, db, shift_type_id, day, next_url=next_url,
                                     status_code=422 if htmx else exc.status_code, error=text)
        return await self._done(request, db, shift_type_id, day, next_url, message, "rota-assigned")

    @post("/assignments/{assignment_id:int}/unassign", guards=[needs("schedule.manage")])
    async def unassign_assignment(self, request: Request[Any, Any, Any], db: AsyncSession,
                                  assignment_id: int) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        assignment = await schedule.get_assignment(db, auth.actor, _known_id(assignment_id))  # others': 404
        if assignment.draft_id is not None:
            # Drafts change through their preview, never as an edit of the published schedule (which notifies).
            raise NotFound(_("No such assignment."))
        shift_type_id, day, name = assignment.shift_type_id, assignment.date, assignment.membership.user.name
        next_url = self._next(request, data.get("next"), day)
        await schedule.unassign(db, auth.actor, assignment_id)
        return await self._done(request, db, shift_type_id, day, next_url,
                                _("%(name)s is off this shift.", name=name), "rota-unassigned")

    async def _done(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int, day: date,
                    next_url: str, message: str, notice: str) -> Any:
        if not request.headers.get("hx-request"):
            path, _sep, query = next_url.partition("?")
            params = {k: v for k, v in parse_qsl(query) if k != "notice"}
            return redirect(path, notice=notice, **params)
        response = await self._panel(request, db, shift_type_id, day, next_url=next_url, message=message)
        # The calendar refreshes itself on this event (and on the SSE event other browsers get).
        response.set_header("HX-Trigger", "rota-changed")
        return response
