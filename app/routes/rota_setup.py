"""Routes of the rota setup (owners and managers): shift types, locations, holidays, members' rota details,
and the setup wizard shown after sign-up."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import needs
from app.i18n import _
from app.routes._common import form_data, page, redirect, require_auth
from app.services import organizations
from app.services.errors import ValidationFailed
from app.services.rota import people, setup, wizard
from app.services.rota.dates import week_bounds
from app.services.rota.schedule import org_timezone
from app.views import rota_setup as views

__all__ = ("RotaSetupController",)


def _today(tz: Any) -> date:
    return datetime.now(UTC).astimezone(tz).date()


def _week_url(request: Request[Any, Any, Any], monday: date) -> str | None:
    """The week view of ``monday`` if this build has one (it belongs to the calendar views)."""
    paths = {getattr(r, "path", "") for r in request.app.routes}
    return f"/rota/week/{monday.isoformat()}" if any(p.startswith("/rota/week/") for p in paths) else None


def _country_name(code: str | None) -> str:
    if not code:
        return ""
    return dict(organizations.countries()).get(code, code)


class RotaSetupController(Controller):
    path = "/rota/setup"
    include_in_schema = False
    guards = [needs("schedule.manage")]

    def _page(self, request: Request[Any, Any, Any], template: str, tab: str, *, status_code: int = 200,
              **context: Any) -> Template:
        auth = require_auth(request)
        nav = views.tabs(tab, can_api_keys=auth.can("api_keys.manage"), can_audit=auth.can("audit.read"))
        return page(request, template, status_code=status_code, tabs=nav, **context)

    # -- shift types -----------------------------------------------------------------------------------

    @get("/")
    async def list_shift_types(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        shifts = await setup.list_shift_types(db, auth.actor, include_inactive=True)
        rows = views.shift_type_rows(shifts)
        return self._page(request, "rota_setup/index.html", "shift-types",
                          active=[r for r in rows if r.active], archived=[r for r in rows if not r.active])

    async def _shift_form(self, request: Request[Any, Any, Any], db: AsyncSession, *, shift_id: int | None,
                          values: dict[str, Any], errors: dict[str, str] | None = None,
                          status_code: int = 200) -> Template:
        auth = require_auth(request)
        locations = await setup.list_locations(db, auth.actor)
        qualifications = sorted({q for m in await organizations.list_members(db, auth.actor)
                                 for q in (m.qualifications or [])})
        return self._page(request, "rota_setup/shift_type_form.html", "shift-types", status_code=status_code,
                          shift_id=shift_id, values=values, errors=errors or {}, days=views.day_options(),
                          locations=[loc.name for loc in locations], qualifications=qualifications)

    @get("/shift-types/new")
    async def new_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        used = [s.color for s in await setup.list_shift_types(db, auth.actor, include_inactive=True)]
        return await self._shift_form(request, db, shift_id=None, values=views.blank_shift_type_values(used))

    @post("/shift-types")
    async def create_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        return await self._save_shift_type(request, db, None)

    @get("/shift-types/{shift_type_id:int}")
    async def edit_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession,
                              shift_type_id: int) -> Template:
        auth = require_auth(request)
        shift = await setup.get_shift_type(db, auth.actor, shift_type_id)
        return await self._shift_form(request, db, shift_id=shift.id, values=views.shift_type_values(shift))

    @post("/shift-types/{shift_type_id:int}")
    async def update_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession, shift_type_id: int) -> Any:
        auth = require_auth(request)
        await setup.get_shift_type(db, auth.actor, shift_type_id)  # another organization's: 404 before parsing
        return await self._save_shift_type(request, db, shift_type_id)

    async def _save_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession,
                               shift_type_id: int | None) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        data.setdefault("days_of_week", [])
        try:
            fields = setup.parse_shift_type(data)
            await setup.save_shift_type(db, auth.actor, fields, shift_type_id=shift_type_id)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._shift_form(request, db, shift_id=shift_type_id, values=views.form_values(data),
                                          errors=exc.errors, status_code=422)
        return redirect("/rota/setup", notice="shift-type-saved")

    @post("/shift-types/{shift_type_id:int}/archive")
    async def archive_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession,
                                 shift_type_id: int) -> Any:
        auth = require_auth(request)
        await setup.set_shift_type_active(db, auth.actor, shift_type_id, False)
        return redirect("/rota/setup", notice="shift-type-archived")

    @post("/shift-types/{shift_type_id:int}/reactivate")
    async def reactivate_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession,
                                    shift_type_id: int) -> Any:
        auth = require_auth(request)
        await setup.set_shift_type_active(db, auth.actor, shift_type_id, True)
        return redirect("/rota/setup", notice="shift-type-reactivated")

    # -- locations -------------------------------------------------------------------------------------

    async def _locations(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                         values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> Template:
        auth = require_auth(request)
        locations = await setup.list_locations(db, auth.actor)
        shifts = await setup.list_shift_types(db, auth.actor)
        return self._page(request, "rota_setup/locations.html", "locations", status_code=status_code,
                          locations=views.location_rows(locations, shifts), values=values or {},
                          errors=errors or {})

    @get("/locations")
    async def list_locations(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._locations(request, db)

    @post("/locations")
    async def create_location(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        name = str(data.get("name", ""))
        try:
            await setup.create_location(db, auth.actor, name)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._locations(request, db, status_code=422, values={"name": name}, errors=exc.errors)
        return redirect("/rota/setup/locations", notice="location-added")

    # -- holidays --------------------------------------------------------------------------------------

    async def _holidays(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                        values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                        row_values: dict[int, dict[str, str]] | None = None,
                        row_errors: dict[int, dict[str, str]] | None = None) -> Template:
        auth = require_auth(request)
        org = auth.organization
        assert org is not None
        today = _today(await org_timezone(db, org.id))
        years = [today.year, today.year + 1]
        holidays = await setup.list_holidays(db, auth.actor, date(years[0], 1, 1), date(years[1], 12, 31),
                                             include_inactive=True)
        imported = {h.date.year for h in holidays if h.source == "country"}
        return self._page(request, "rota_setup/holidays.html", "holidays", status_code=status_code,
                          years=views.holiday_rows(holidays, years, today), country=_country_name(org.country),
                          can_import=bool(org.country) and not set(years) <= imported,
                          values=values or {"weight": "2"}, errors=errors or {}, row_values=row_values or {},
                          row_errors=row_errors or {})

    @get("/holidays")
    async def list_holidays(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._holidays(request, db)

    @post("/holidays/import")
    async def import_holidays(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        today = _today(await org_timezone(db, auth.organization.id))  # type: ignore[union-attr]
        await setup.sync_country_holidays(db, auth.actor, [today.year, today.year + 1])
        return redirect("/rota/setup/holidays", notice="holidays-imported")

    @staticmethod
    def _holiday_fields(data: dict[str, Any]) -> tuple[str, float | None, dict[str, str]]:
        errors: dict[str, str] = {}
        name = str(data.get("name", "")).strip()
        if not name:
            errors["name"] = _("Name the holiday.")
        try:
            weight: float | None = float(str(data.get("weight", "")).strip())
        except ValueError:
            weight = None
            errors["weight"] = _("Enter a number.")
        return name, weight, errors

    @post("/holidays")
    async def add_holiday(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        values = {k: str(data.get(k, "")) for k in ("date", "name", "weight")}
        name, weight, errors = self._holiday_fields(data)
        try:
            day = date.fromisoformat(values["date"].strip())
        except ValueError:
            day = None
            errors["date"] = _("Enter a date, e.g. 2026-12-24.")
        try:
            if errors:
                raise ValidationFailed(errors)
            assert day is not None and weight is not None
            await setup.save_holiday(db, auth.actor, day=day, name=name, weight=weight)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._holidays(request, db, status_code=422, values=values, errors={**errors, **exc.errors})
        return redirect("/rota/setup/holidays", notice="holiday-saved")

    @post("/holidays/{holiday_id:int}")
    async def update_holiday(self, request: Request[Any, Any, Any], db: AsyncSession, holiday_id: int) -> Any:
        auth = require_auth(request)
        holiday = await setup.get_holiday(db, auth.actor, holiday_id)
        data = await form_data(request)
        name, weight, errors = self._holiday_fields(data)
        try:
            if errors:
                raise ValidationFailed(errors)
            assert weight is not None
            await setup.save_holiday(db, auth.actor, day=holiday.date, name=name, weight=weight,
                                     active=holiday.active)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._holidays(
                request, db, status_code=422,
                row_values={holiday_id: {"name": str(data.get("name", "")), "weight": str(data.get("weight", ""))}},
                row_errors={holiday_id: {**errors, **exc.errors}})
        return redirect("/rota/setup/holidays", notice="holiday-saved")

    @post("/holidays/{holiday_id:int}/disable")
    async def disable_holiday(self, request: Request[Any, Any, Any], db: AsyncSession, holiday_id: int) -> Any:
        return await self._set_holiday_active(request, db, holiday_id, False)

    @post("/holidays/{holiday_id:int}/enable")
    async def enable_holiday(self, request: Request[Any, Any, Any], db: AsyncSession, holiday_id: int) -> Any:
        return await self._set_holiday_active(request, db, holiday_id, True)

    async def _set_holiday_active(self, request: Request[Any, Any, Any], db: AsyncSession, holiday_id: int,
                                  active: bool) -> Any:
        auth = require_auth(request)
        holiday = await setup.get_holiday(db, auth.actor, holiday_id)
        await setup.save_holiday(db, auth.actor, day=holiday.date, name=holiday.name, weight=holiday.weight,
                                 active=active)
        return redirect("/rota/setup/holidays", notice="holiday-enabled" if active else "holiday-disabled")

    # -- members' rota details -------------------------------------------------------------------------

    async def _members(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                       row_values: dict[int, dict[str, Any]] | None = None,
                       row_errors: dict[int, dict[str, str]] | None = None) -> Template:
        auth = require_auth(request)
        members = await organizations.list_members(db, auth.actor, include_inactive=False)
        return self._page(request, "rota_setup/members.html", "members", status_code=status_code,
                          members=views.member_rows(members), row_values=row_values or {},
                          row_errors=row_errors or {})

    @get("/members")
    async def list_member_details(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._members(request, db)

    @post("/members/{membership_id:int}")
    async def update_member_details(self, request: Request[Any, Any, Any], db: AsyncSession,
                                    membership_id: int) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        values = {"fte": str(data.get("fte", "")), "phone": str(data.get("phone", "")),
                  "qualifications": str(data.get("qualifications", "")), "in_schedule": "in_schedule" in data}
        try:
            await setup.update_member_rota(db, auth.actor, membership_id, fte=values["fte"], phone=values["phone"],
                                           qualifications=values["qualifications"],
                                           in_schedule=bool(values["in_schedule"]))
        except ValidationFailed as exc:
            await db.rollback()
            return await self._members(request, db, status_code=422, row_values={membership_id: values},
                                       row_errors={membership_id: exc.errors})
        return redirect("/rota/setup/members", notice="member-details-saved")

    @post("/members/{membership_id:int}/email")
    async def add_member_email(self, request: Request[Any, Any, Any], db: AsyncSession, membership_id: int) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        email = str(data.get("email", ""))
        try:
            await people.give_member_email(db, auth.actor, membership_id, email)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._members(request, db, status_code=422, row_values={membership_id: {"email": email}},
                                       row_errors={membership_id: exc.errors})
        return redirect("/rota/setup/members", notice="sign-in-link-sent")

    # -- the wizard ------------------------------------------------------------------------------------

    async def _wizard(self, request: Request[Any, Any, Any], db: AsyncSession, *, data: dict[str, Any] | None,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        auth = require_auth(request)
        org = auth.organization
        assert org is not None
        members = await organizations.list_members(db, auth.actor, include_inactive=False)
        shifts = await setup.list_shift_types(db, auth.actor, include_inactive=True)
        existing = {s.code for s in shifts}
        today = _today(await org_timezone(db, org.id))
        monday, sunday = week_bounds(today)
        membership_id = auth.membership.id if auth.membership else None
        return page(request, "rota_setup/wizard.html", status_code=status_code, errors=errors or {},
                    error_summary=views.wizard_error_summary(errors or {}),
                    people=views.wizard_people(data, members, membership_id),
                    presets=views.preset_rows(data, existing), has_shift_types=bool(shifts),
                    country=_country_name(org.country), years=(today.year, today.year + 1),
                    week_label=views.week_label(monday, sunday), max_rows=wizard.MAX_NEW_ROWS)

    @get("/wizard")
    async def show_wizard(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._wizard(request, db, data=None)

    @post("/wizard")
    async def submit_wizard(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        data.pop("_csrf_token", None)
        if data.get("action") == "resize":
            # "How many physicians?" changed: the same form with as many rows, nothing saved.
            return await self._wizard(request, db, data=data)
        members = await organizations.list_members(db, auth.actor, include_inactive=False)
        existing = {s.code for s in await setup.list_shift_types(db, auth.actor, include_inactive=True)}
        try:
            choices = await wizard.parse_wizard(db, auth.actor, data, members=members, existing_codes=existing)
            outcome = await wizard.finish_wizard(db, auth.actor, choices, members=members, now=datetime.now(UTC))
        except ValidationFailed as exc:
            await db.rollback()
            return await self._wizard(request, db, data=data, errors=exc.errors, status_code=422)
        notice = "wizard-gaps" if outcome.fill.unfilled else "wizard-done"
        target = _week_url(request, outcome.week_start)
        return redirect(target, notice=notice) if target else redirect("/home", notice=notice + "-home")
