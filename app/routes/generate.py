"""The schedule generator's pages (owners and managers): /rota/generate and /rota/drafts/<id>.

The draft page follows the worker over SSE: its progress box re-fetches itself on each "generate" event
(and every few seconds as a fallback), and once the draft is finished the server answers with
``HX-Refresh`` so the whole page shows the result. Lock, unlock and hand edits swap one cell.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.db import get_database
from app.i18n import _
from app.models import utcnow
from app.routes._common import form_data, page, redirect, require_auth
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.rota import drafts, schedule
from app.services.rota.schedule import org_timezone
from app.views import generate as views

__all__ = ("GenerateController",)

MAX_ID = 2**31 - 1


def _id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise NotFound(_("No such draft."))
    return value


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return bool(request.headers.get("hx-request"))


class GenerateController(Controller):
    path = "/rota"
    include_in_schema = False
    guards = [needs("schedule.manage")]

    async def _form(self, request: Request[Any, Any, Any], db: AsyncSession, data: dict[str, Any] | None = None,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        actor = require_auth(request).actor
        if data is None:
            tz = await org_timezone(db, actor.organization_id)  # type: ignore[arg-type]
            first, last = views.default_range(utcnow().astimezone(tz).date())
            data = {"start_date": first.isoformat(), "end_date": last.isoformat(), "seconds": "10",
                    "history_months": "3"}
        form = views.generate_form(data, await drafts.list_drafts(db, actor))
        return page(request, "generate/index.html", status_code=status_code, form=form, errors=errors or {})

    @get("/generate")
    async def show_generate(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._form(request, db)

    @post("/generate")
    async def create_draft(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        actor = require_auth(request).actor
        data = await form_data(request)
        try:
            start, end, seconds, months = drafts.parse_request(data)
            draft = await drafts.request_draft(db, actor, start=start, end=end, seconds=seconds,
                                               history_months=months)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._form(request, db, data=data, errors=exc.errors, status_code=422)
        return redirect(f"/rota/drafts/{draft.id}")

    @get("/drafts/{draft_id:int}")
    async def show_draft(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> Template:
        actor = require_auth(request).actor
        draft = await drafts.get_draft(db, actor, _id(draft_id))
        published = await schedule.load_slots(db, actor, draft.start_date, draft.end_date)
        drafted = await schedule.load_slots(db, actor, draft.start_date, draft.end_date, draft_id=draft.id)
        shift = request.query_params.get("shift", "").strip()
        changed_only = request.query_params.get("changed") == "1"
        view = views.draft_page(draft, published, drafted, shift_filter=shift, changed_only=changed_only)
        template = "generate/_days.html" if request.headers.get("hx-target") == "gen-days" else "generate/draft.html"
        return page(request, template, draft=view, progress=views.progress_view(draft),
                    published=request.query_params.get("published") == "1")

    @get("/drafts/{draft_id:int}/progress")
    async def show_progress(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> Any:
        actor = require_auth(request).actor
        draft = await drafts.get_draft(db, actor, _id(draft_id))
        seen = request.query_params.get("seen", "")
        if seen in views.RUNNING and draft.status not in views.RUNNING and _htmx(request):
            return Response(content="", status_code=200, headers={"HX-Refresh": "true"})
        return page(request, "generate/_progress.html", progress=views.progress_view(draft))

    @post("/drafts/{draft_id:int}/regenerate")
    async def regenerate_draft(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> Any:
        actor = require_auth(request).actor
        try:
            await drafts.regenerate(db, actor, _id(draft_id))
        except Conflict:
            await db.rollback()
            return redirect(f"/rota/drafts/{draft_id}")
        return redirect(f"/rota/drafts/{draft_id}")

    @post("/drafts/{draft_id:int}/publish")
    async def publish_draft(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> Any:
        actor = require_auth(request).actor
        draft = await drafts.get_draft(db, actor, _id(draft_id))
        try:
            await drafts.publish(db, actor, draft.id)
        except Conflict as exc:
            await db.rollback()
            async with get_database().read_session() as fresh:  # the failed transaction's objects are expired
                draft = await drafts.get_draft(fresh, actor, draft_id)
                published = await schedule.load_slots(fresh, actor, draft.start_date, draft.end_date)
                drafted = await schedule.load_slots(fresh, actor, draft.start_date, draft.end_date, draft_id=draft.id)
                return page(request, "generate/draft.html", status_code=409,
                            draft=views.draft_page(draft, published, drafted), progress=views.progress_view(draft),
                            error=exc.message)
        return redirect(f"/rota/drafts/{draft_id}", published="1")

    # -- cells ---------------------------------------------------------------------------------------------

    async def _cell(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int, cell_id: int,
                    status_code: int = 200) -> Template:
        actor = require_auth(request).actor
        draft = await drafts.get_draft(db, actor, _id(draft_id))
        cell = next((a for a in await drafts.draft_assignments(db, draft) if a.id == cell_id), None)
        if cell is None:
            raise NotFound(_("No such assignment in this draft."))
        return page(request, "generate/_cell.html", status_code=status_code,
                    c=views.cell_view(draft, cell, editable=draft.status == "done"))

    @get("/drafts/{draft_id:int}/cells/{cell_id:int}/view")
    async def show_cell(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int,
                        cell_id: int) -> Template:
        return await self._cell(request, db, draft_id, _id(cell_id))

    @post("/drafts/{draft_id:int}/cells/{cell_id:int}/lock")
    async def lock_cell(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int, cell_id: int) -> Any:
        actor = require_auth(request).actor
        data = await form_data(request)
        try:
            await drafts.set_lock(db, actor, _id(draft_id), _id(cell_id), str(data.get("locked")) == "1")
        except Conflict:
            await db.rollback()
        if not _htmx(request):
            return redirect(f"/rota/drafts/{draft_id}")
        return await self._cell(request, db, draft_id, cell_id)

    @get("/drafts/{draft_id:int}/cells/{cell_id:int}/edit")
    async def edit_cell(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int,
                        cell_id: int) -> Template:
        return await self._edit(request, db, draft_id, cell_id)

    async def _edit(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int, cell_id: int,
                    error: str | None = None, status_code: int = 200) -> Template:
        actor = require_auth(request).actor
        choices = await drafts.edit_choices(db, actor, _id(draft_id), _id(cell_id))
        return page(request, "generate/_edit.html", status_code=status_code,
                    e=views.edit_view(draft_id, choices, error))

    @post("/drafts/{draft_id:int}/cells/{cell_id:int}")
    async def reassign_cell(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int,
                            cell_id: int) -> Any:
        actor = require_auth(request).actor
        data = await form_data(request)
        raw = str(data.get("member_id") or "").strip()
        try:
            if not raw.isdigit() or len(raw) > 10:
                raise ValidationFailed({"member_id": _("Choose a member.")})
            await drafts.reassign_cell(db, actor, _id(draft_id), _id(cell_id), int(raw))
        except (ValidationFailed, Conflict) as exc:
            await db.rollback()
            message = exc.errors.get("member_id", exc.message) if isinstance(exc, ValidationFailed) else exc.message
            if not _htmx(request):
                return redirect(f"/rota/drafts/{draft_id}")
            return await self._edit(request, db, draft_id, cell_id, error=message, status_code=422)
        if not _htmx(request):
            return redirect(f"/rota/drafts/{draft_id}")
        return await self._cell(request, db, draft_id, cell_id)
