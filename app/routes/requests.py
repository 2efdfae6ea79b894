"""Routes of the requests area (members and managers; viewers see nothing here): /requests with my requests,
the forms, the managers' inbox and what they decided lately (/requests/decided pages on through it); one
request's page with its answers and decisions; the swap and give-away forms; /requests/open, the open shifts
members can take; preferences.

Every route with an id answers 404 for another organization's id (the services scope every query).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import AuthContext, in_organization, needs
from app.i18n import _
from app.models import utcnow
from app.routes._common import form_data, page, page_number, redirect, require_auth
from app.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from app.services.rota import decided as decided_list
from app.services.rota import preferences, schedule, setup, trades
from app.services.rota import requests as service
from app.services.rota.request_support import OPEN_STATUSES, takes_shifts
from app.services.rota.staffing import qualified_gaps
from app.views import requests as views

__all__ = ("RequestsController",)

SHOWN_SHIFTS = 6  # upcoming shifts listed before "N more shifts"


def _tz(auth: AuthContext) -> ZoneInfo:
    return ZoneInfo(auth.organization.timezone if auth.organization else "UTC")


def _today(auth: AuthContext) -> date:
    return datetime.now(_tz(auth)).date()


def _me(auth: AuthContext) -> int | None:
    m = auth.membership
    if m is None or auth.viewing_as or not takes_shifts(m):
        return None
    return m.id


def _show(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A page of this area, with its own ``?notice=`` confirmations."""
    mine = views.notice_text(request.query_params.get("notice"))
    if mine:
        context.setdefault("notice", mine)
    return page(request, template, status_code=status_code, **context)


def _status(exc: ServiceError) -> int:
    return 422 if isinstance(exc, ValidationFailed) else exc.status_code


def _errors(exc: ServiceError) -> dict[str, str]:
    return dict(exc.errors) if isinstance(exc, ValidationFailed) else {"form": exc.message}


def _decided_href(page_no: int) -> str:
    return f"/requests/decided?page={page_no}"


class RequestsController(Controller):
    path = "/requests"
    include_in_schema = False
    guards = [in_organization, needs("requests.create")]

    # -- the overview ----------------------------------------------------------------------------------

    async def _index(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                     values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                     pref_values: dict[str, Any] | None = None, pref_errors: dict[str, str] | None = None) -> Template:
        auth = require_auth(request)
        actor, tz, now = auth.actor, _tz(auth), utcnow()
        is_manager = auth.can("schedule.manage")
        mine = await service.list_mine(db, actor)
        offered = {r.assignment_id for r in mine if r.status in OPEN_STATUSES and r.assignment_id}
        shifts = [views.shift_row(a, tz, offered=a.id in offered) for a in await service.my_upcoming_shifts(db, actor)]
        members = await service.colleagues(db, actor) if is_manager else []
        me = _me(auth)
        if is_manager and me is not None and auth.membership is not None:
            members = sorted([auth.membership, *members], key=lambda m: m.user.name.lower())
        shift_types = await setup.list_shift_types(db, actor)
        today = _today(auth)
        # Preference notices show beside the preferences (the page opens there), not above the fold.
        key = request.query_params.get("notice") or ""
        pref_notice = views.notice_text(key) if key.startswith("preference-") else None
        extra = {"notice": None, "pref_notice": pref_notice} if pref_notice else {}
        decided = await decided_list.decided(db, actor) if is_manager else None
        return _show(
            request, "requests/index.html", status_code=status_code, **extra,
            inbox=[views.request_row(r, now, me=me) for r in await service.inbox(db, actor)],
            mine=[views.request_row(r, now, me=me) for r in mine], shifts=shifts, me=me, is_manager=is_manager,
            member_options=views.member_options(members),
            values={"urgency": "advance", "member_id": str(me or ""), **(values or {})}, errors=errors or {},
            preferences=[views.preference_row(p) for p in await preferences.list_preferences(db, actor)],
            pref_values={"pref_kind": "want", "strength": "2", **(pref_values or {})}, pref_errors=pref_errors or {},
            shift_options=views.shift_options(shift_types), strength_options=views.strength_options(),
            dates=views.default_dates(today), shown_shifts=SHOWN_SHIFTS,
            decided=views.decided_rows(decided, tz) if decided else [],
            decided_more=_decided_href(2) if decided and decided.has_next else None,
            decided_days=decided_list.DECIDED_DAYS)

    @get("/")
    async def list_requests(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._index(request, db)

    @get("/decided", guards=[needs("schedule.manage")])
    async def list_decided(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        """The organization's settled requests, a page at a time: the rows after the ones shown for the
        "Show more" button on /requests (htmx), else a page of its own with newer and older links."""
        auth = require_auth(request)
        result = await decided_list.decided(db, auth.actor, page=page_number(request.query_params.get("page")))
        rows = views.decided_rows(result, _tz(auth))
        more = _decided_href(result.page + 1) if result.has_next else None
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "decided-more":
            return _show(request, "requests/_decided_more.html", decided=rows, decided_more=more)
        # Past the last page (an old bookmark): "Newer" goes back to the newest decisions, not one page up.
        newer = _decided_href(result.page - 1 if rows else 1) if result.page > 1 else None
        return _show(request, "requests/decided.html", decided=rows, page_no=result.page, older=more, newer=newer,
                     decided_days=decided_list.DECIDED_DAYS)

    @post("/time-off")
    async def create_time_off(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            req = await service.create_time_off(
                db, auth.actor, start_date=data.get("start_date"), end_date=data.get("end_date"),
                urgency=data.get("urgency"), note=data.get("note"), membership_id=data.get("member_id") or None)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._index(request, db, status_code=422, values=data, errors=exc.errors)
        notice = "time-off-approved" if req.status == "approved" else "time-off-sent"
        return redirect(f"/requests/{req.id}", notice=notice)

    # -- swaps -----------------------------------------------------------------------------------------

    async def _swap_page(self, request: Request[Any, Any, Any], db: AsyncSession, params: dict[str, Any], *,
                         errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        auth = require_auth(request)
        actor, tz = auth.actor, _tz(auth)
        errors = dict(errors or {})
        mine = [views.shift_row(a, tz) for a in await service.my_upcoming_shifts(db, actor)]
        colleagues = await service.colleagues(db, actor)
        assignment = str(params.get("assignment_id") or "")
        to = str(params.get("to_membership_id") or "")
        take = str(params.get("take_assignment_id") or "")
        if assignment and assignment not in {str(r.assignment_id) for r in mine}:
            if not assignment.isdigit():
                raise NotFound(_("No such shift."))
            await schedule.get_assignment(db, actor, int(assignment))  # another organization's: 404
        theirs: list[views.ShiftRow] = []
        if to and "to_membership_id" not in errors:
            try:
                theirs = [views.shift_row(a, tz) for a in await service.colleague_shifts(db, actor, int(to))]
            except (ValueError, ValidationFailed):
                errors.setdefault("to_membership_id", _("Choose a member of this practice."))
        check = None
        if assignment and to and not errors:
            try:
                preview = await trades.preview_swap(db, actor, assignment_id=assignment, to_membership_id=to,
                                                    take_assignment_id=take or None)
                name = next((m.user.name for m in colleagues if str(m.id) == to), "")
                check = views.preview_view(preview, after=_("%(name)s's acceptance completes the swap.", name=name))
            except ServiceError as exc:
                errors.update(_errors(exc))
                status_code = max(status_code, _status(exc))
        fragment = request.headers.get("hx-request") and request.headers.get("hx-target") == "swap-step"
        return _show(request, "requests/_swap_step.html" if fragment else "requests/swap.html",
                     status_code=status_code, mine=views.assignment_options(mine), has_shifts=bool(mine),
                     colleagues=views.member_options(colleagues), theirs=views.assignment_options(theirs),
                     values={"assignment_id": assignment, "to_membership_id": to, "take_assignment_id": take,
                             "note": params.get("note", "")},
                     errors=errors, check=check)

    @get("/swap")
    async def new_swap(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        q = request.query_params
        params = {"assignment_id": q.get("assignment") or q.get("assignment_id"),
                  "to_membership_id": q.get("to") or q.get("to_membership_id"),
                  "take_assignment_id": q.get("take") or q.get("take_assignment_id")}
        return await self._swap_page(request, db, params)

    @post("/swap")
    async def create_swap(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            req = await trades.offer_swap(db, auth.actor, assignment_id=data.get("assignment_id"),
                                          to_membership_id=data.get("to_membership_id"),
                                          take_assignment_id=data.get("take_assignment_id") or None,
                                          note=data.get("note"))
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            return await self._swap_page(request, db, data, errors=_errors(exc), status_code=_status(exc))
        return redirect(f"/requests/{req.id}", notice="swap-sent")

    # -- give-aways ------------------------------------------------------------------------------------

    async def _giveaway_page(self, request: Request[Any, Any, Any], db: AsyncSession, assignment_id: Any, *,
                             note: str = "", errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        auth = require_auth(request)
        give, check = await trades.preview_giveaway(db, auth.actor, assignment_id=assignment_id)
        return _show(request, "requests/giveaway.html", status_code=status_code, shift=views.shift_row(give, _tz(auth)),
                     effect=check.sides[0].effect, needs_approval=check.approval_setting, note=note,
                     errors=errors or {})

    @get("/giveaway")
    async def new_giveaway(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        raw = request.query_params.get("assignment") or ""
        try:
            return await self._giveaway_page(request, db, raw)
        except ValidationFailed:
            return redirect("/requests")

    @post("/giveaway")
    async def create_giveaway(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            req = await trades.give_away(db, auth.actor, assignment_id=data.get("assignment_id"), note=data.get("note"))
        except ValidationFailed as exc:
            await db.rollback()
            if "assignment_id" in exc.errors and not str(data.get("assignment_id") or "").isdigit():
                return redirect("/requests")
            return await self._giveaway_page(request, db, data.get("assignment_id"), note=str(data.get("note") or ""),
                                             errors=exc.errors, status_code=422)
        return redirect(f"/requests/{req.id}", notice="given-away")

    # -- open shifts -----------------------------------------------------------------------------------

    @get("/open")
    async def list_open_shifts(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        rows = [views.open_shift_row(o, _tz(auth), can_take=_me(auth) is not None)
                for o in await service.open_shifts(db, auth.actor)]
        return _show(request, "requests/open.html", given=[r for r in rows if r.given_away],
                     seats=[r for r in rows if not r.given_away], me=_me(auth))

    async def _seat_page(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int, when: str, *,
                         errors: dict[str, str] | None = None, status_code: int = 200, note: str = "") -> Template:
        auth = require_auth(request)
        shift = await setup.get_shift_type(db, auth.actor, shift_type_id)  # another organization's: 404
        check, day = None, None
        errors = dict(errors or {})
        try:
            day = date.fromisoformat(when)
        except ValueError:
            errors.setdefault("form", _("That is not a date."))
            status_code = 404
        if day is not None and not errors:
            try:
                check = views.preview_view(await trades.preview_volunteer(db, auth.actor, shift_type_id=shift.id,
                                                                          day=day),
                                           after=_("The shift is yours as soon as you confirm."))
            except (ValidationFailed, Conflict) as exc:
                errors.update(_errors(exc))
                status_code = _status(exc)
        label = views.shift_label(shift, day, _tz(auth)) if day else shift.name
        return _show(request, "requests/volunteer.html", status_code=status_code, label=label, check=check,
                     errors=errors, action=f"/requests/open/{shift.id}/{when}", note=note)

    @get("/open/{shift_type_id:int}/{when:str}")
    async def show_open_seat(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int,
                             when: str) -> Template:
        return await self._seat_page(request, db, shift_type_id, when)

    @post("/open/{shift_type_id:int}/{when:str}")
    async def volunteer_for_seat(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int,
                                 when: str) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        await setup.get_shift_type(db, auth.actor, shift_type_id)  # another organization's: 404
        try:
            req = await trades.volunteer(db, auth.actor, shift_type_id=shift_type_id, day=when, note=data.get("note"))
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            return await self._seat_page(request, db, shift_type_id, when, errors=_errors(exc),
                                         status_code=_status(exc), note=str(data.get("note") or ""))
        return redirect(f"/requests/{req.id}", notice="volunteered" if req.status == "approved" else "volunteer-sent")

    # -- preferences -----------------------------------------------------------------------------------

    @post("/preferences")
    async def create_preference(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            await preferences.add_preference(db, auth.actor, kind=data.get("pref_kind"), day=data.get("pref_date"),
                                         shift_type_id=data.get("pref_shift"), strength=data.get("strength"),
                                         note=data.get("pref_note"))
        except ValidationFailed as exc:
            await db.rollback()
            return await self._index(request, db, status_code=422, pref_values=data, pref_errors=exc.errors)
        return Redirect("/requests?notice=preference-added#preferences", status_code=303)

    @post("/preferences/{preference_id:int}/delete")
    async def delete_preference(self, request: Request[Any, Any, Any], db: AsyncSession, preference_id: int) -> Any:
        auth = require_auth(request)
        await preferences.delete_preference(db, auth.actor, preference_id)
        return Redirect("/requests?notice=preference-removed#preferences", status_code=303)

    # -- one request -----------------------------------------------------------------------------------

    async def _detail(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int, *,
                      errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                      status_code: int = 200) -> Template:
        auth = require_auth(request)
        actor, tz = auth.actor, _tz(auth)
        req = await service.get_request(db, actor, request_id)
        is_manager = auth.can("schedule.manage")
        me = _me(auth)
        detail = views.request_detail(req, tz, utcnow(), me=me, is_manager=is_manager,
                                      decider_names=await service.decider_names(db, [req]))
        check, stale = None, None
        try:
            waiting = req.status == "accepted" or (req.status == "pending" and req.kind in {"swap", "volunteer"})
            if waiting and req.kind in {"swap", "volunteer", "giveaway"}:
                check = views.preview_view(await trades.preview_request(db, actor, req))
            elif detail.can_claim:
                check = views.preview_view(await trades.preview_claim(db, actor, req.id),
                                           after=_("The shift is yours as soon as you confirm."))
        except Conflict as exc:
            stale = exc.message
        except ValidationFailed as exc:
            stale = next(iter(exc.errors.values()))
        cover, gaps = [], []
        if is_manager and req.kind == "time_off" and req.status == "pending":
            cover = views.cover_view(await service.cover_choices(db, actor, req), tz)
            assert req.start_date and req.end_date
            gaps = await qualified_gaps(db, req.membership, req.start_date, req.end_date)
        return _show(request, "requests/detail.html", status_code=status_code, req=detail, check=check, stale=stale,
                     cover=cover, gaps=gaps, errors=errors or {}, values=values or {})

    @get("/{request_id:int}")
    async def show_request(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int) -> Template:
        return await self._detail(request, db, request_id)

    @post("/{request_id:int}/answer")
    async def answer_request(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int) -> Any:
        """The colleague accepts or declines a swap offer."""
        auth = require_auth(request)
        data = await form_data(request)
        accept = data.get("answer") == "accept"
        try:
            req = await trades.respond(db, auth.actor, request_id, accept=accept, comment=data.get("comment"))
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            return await self._detail(request, db, request_id, errors=_errors(exc), values=data,
                                      status_code=_status(exc))
        notice = "refused" if not accept else ("accepted" if req.status == "approved" else "accepted-pending")
        return redirect(f"/requests/{request_id}", notice=notice)

    @post("/{request_id:int}/decide", guards=[needs("schedule.manage")])
    async def decide_request(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int) -> Any:
        """A manager approves (choosing who covers affected shifts) or declines."""
        auth = require_auth(request)
        data = await form_data(request)
        approve = data.get("decision") == "approve"
        cover = {k: v for k, v in data.items() if k.startswith("cover_")}
        try:
            await service.decide(db, auth.actor, request_id, approve=approve, comment=data.get("comment"), cover=cover)
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            return await self._detail(request, db, request_id, errors=_errors(exc), values=data,
                                      status_code=_status(exc))
        return redirect(f"/requests/{request_id}", notice="approved" if approve else "declined")

    @post("/{request_id:int}/cancel")
    async def cancel_request(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int) -> Any:
        auth = require_auth(request)
        try:
            await service.cancel(db, auth.actor, request_id)
        except Conflict as exc:
            await db.rollback()
            return await self._detail(request, db, request_id, errors=_errors(exc), status_code=409)
        return redirect("/requests", notice="cancelled")

    @post("/{request_id:int}/claim")
    async def claim_request(self, request: Request[Any, Any, Any], db: AsyncSession, request_id: int) -> Any:
        """Take a given-away shift."""
        auth = require_auth(request)
        try:
            req = await trades.claim(db, auth.actor, request_id)
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            return await self._detail(request, db, request_id, errors=_errors(exc), status_code=_status(exc))
        return redirect(f"/requests/{request_id}", notice="claimed" if req.status == "approved" else "claim-sent")
