"""Rota setup by owners and managers: locations, shift types, holidays, members' rota details."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Any

import holidays as holidays_lib
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.i18n import _
from app.models import Holiday, Location, Membership, Organization, ShiftType
from app.services import audit
from app.services.errors import NotFound, ValidationFailed
from app.services.events import commit, emit
from app.services.permissions import require

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "PRESETS",
    "ShiftTypeInput",
    "create_location",
    "get_holiday",
    "get_or_create_location",
    "get_shift_type",
    "list_holidays",
    "list_locations",
    "list_shift_types",
    "parse_shift_type",
    "save_holiday",
    "save_shift_type",
    "set_shift_type_active",
    "sync_country_holidays",
    "update_member_rota",
)

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

# Presets offered by the setup wizard: (code, name, start, minutes, days, headcount, weight, weekend, holiday, colour)
PRESETS: dict[str, dict[str, Any]] = {
    "night-call": {"code": "night-call", "name": "Night call", "start_time": "19:00", "duration_minutes": 720,
                   "days_of_week": [0, 1, 2, 3, 4, 5, 6], "headcount": 1, "weight": 2.0, "weekend_weight": 3.0,
                   "holiday_weight": 4.0, "color": "#4338ca"},
    "weekend-call": {"code": "weekend-call", "name": "Weekend call", "start_time": "08:00", "duration_minutes": 1440,
                     "days_of_week": [5, 6], "headcount": 1, "weight": 2.5, "weekend_weight": 2.5,
                     "holiday_weight": 4.0, "color": "#b45309"},
    "clinic-am": {"code": "clinic-am", "name": "Clinic AM", "start_time": "08:00", "duration_minutes": 240,
                  "days_of_week": [0, 1, 2, 3, 4], "headcount": 2, "weight": 1.0, "weekend_weight": 1.5,
                  "holiday_weight": 2.0, "color": "#0d6e6e"},
    "clinic-pm": {"code": "clinic-pm", "name": "Clinic PM", "start_time": "13:00", "duration_minutes": 240,
                  "days_of_week": [0, 1, 2, 3, 4], "headcount": 2, "weight": 1.0, "weekend_weight": 1.5,
                  "holiday_weight": 2.0, "color": "#0e7490"},
    "hospital-rounds": {"code": "hospital-rounds", "name": "Hospital rounding", "start_time": "07:00",
                        "duration_minutes": 300, "days_of_week": [0, 1, 2, 3, 4, 5, 6], "headcount": 1,
                        "weight": 1.5, "weekend_weight": 2.0, "holiday_weight": 3.0, "color": "#be123c"},
    "nursing-home": {"code": "nursing-home", "name": "Nursing home visits", "start_time": "14:00",
                     "duration_minutes": 180, "days_of_week": [1, 3], "headcount": 1, "weight": 1.0,
                     "weekend_weight": 1.5, "holiday_weight": 2.0, "color": "#65a30d"},
}


# -- locations -------------------------------------------------------------------------------------------


async def list_locations(session: AsyncSession, actor: Actor) -> list[Location]:
    require(actor, "schedule.read")
    rows = await session.execute(
        select(Location).where(Location.organization_id == actor.organization_id).order_by(func.lower(Location.name))
    )
    return list(rows.scalars())


async def get_or_create_location(session: AsyncSession, actor: Actor, name: str) -> Location | None:
    """The organization's location called ``name`` (case-insensitive), created if new; None for a blank name."""
    name = name.strip()
    if not name:
        return None
    if len(name) > 80:
        raise ValidationFailed({"location": _("Use at most 80 characters.")})
    found = (
        await session.execute(
            select(Location).where(Location.organization_id == actor.organization_id,
                                   func.lower(Location.name) == name.lower())
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    location = Location(organization_id=actor.organization_id, name=name)
    session.add(location)
    await session.flush()
    await audit.record(session, actor, "location.created", entity_type="location", entity_id=location.id,
                       after={"name": name})
    return location


async def create_location(session: AsyncSession, actor: Actor, name: str) -> Location:
    require(actor, "schedule.manage")
    if not name.strip():
        raise ValidationFailed({"name": _("Name the location, e.g. “Main clinic” or “AMC”.")})
    taken = await session.execute(
        select(Location.id).where(Location.organization_id == actor.organization_id,
                                  func.lower(Location.name) == name.strip().lower())
    )
    if taken.first() is not None:
        raise ValidationFailed({"name": _("There is already a location called “%(name)s”.", name=name.strip())})
    try:
        location = await get_or_create_location(session, actor, name)
    except ValidationFailed as exc:
        raise ValidationFailed({"name": exc.errors["location"]}) from None
    assert location is not None
    await emit(session, actor.organization_id, "rota.setup", entity_type="location", entity_id=location.id)
    await commit(session)
    return location


# -- shift types -----------------------------------------------------------------------------------------


class ShiftTypeInput(dict[str, Any]):
    """Validated shift-type fields (a dict so forms and the API share one parser)."""


def _number(raw: Any, field: str, *, kind: type = float, low: float = 0, high: float = 100,
            errors: dict[str, str]) -> Any:
    try:
        value = kind(str(raw).strip())
    except (TypeError, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not low <= value <= high:
        errors[field] = _("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def parse_shift_type(data: dict[str, Any]) -> ShiftTypeInput:
    """Check and convert shift-type fields from a form or JSON; raises with a message per field."""
    errors: dict[str, str] = {}
    code = str(data.get("code", "")).strip().lower()
    if not CODE_RE.match(code):
        errors["code"] = _("Use lower-case letters, digits and dashes, e.g. “peds-call”.")
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = _("Name the shift, e.g. “Pediatric call”.")
    elif len(name) > 80:
        errors["name"] = _("Use at most 80 characters.")
    start = None
    raw_start = str(data.get("start_time", "")).strip()
    if re.match(r"^\d:\d{2}$", raw_start):
        raw_start = "0" + raw_start  # "7:00" is 07:00
    try:
        start = time.fromisoformat(raw_start) if re.match(r"^\d{2}:\d{2}$", raw_start) else None
    except ValueError:
        start = None
    if start is None:
        errors["start_time"] = _("Enter the local start time as HH:MM, e.g. 19:00.")
    if "duration_hours" in data and "duration_minutes" not in data:
        hours = _number(data.get("duration_hours"), "duration_hours", low=0.25, high=48, errors=errors)
        duration = round(hours * 60) if hours is not None else None
    else:
        duration = _number(data.get("duration_minutes"), "duration_minutes", kind=int, low=15, high=2880,
                           errors=errors)
    raw_days = data.get("days_of_week", [])
    if isinstance(raw_days, str):
        raw_days = [raw_days]
    try:
        days = sorted({int(d) for d in raw_days})
    except (TypeError, ValueError):
        days = []
    if not days or any(d < 0 or d > 6 for d in days):
        errors["days_of_week"] = _("Choose at least one day of the week.")
    headcount = _number(data.get("headcount", 1), "headcount", kind=int, low=1, high=50, errors=errors)
    weight = _number(data.get("weight", 1), "weight", low=0, high=100, errors=errors)
    weekend = _number(data.get("weekend_weight", data.get("weight", 1)), "weekend_weight", low=0, high=100,
                      errors=errors)
    holiday = _number(data.get("holiday_weight", data.get("weight", 1)), "holiday_weight", low=0, high=100,
                      errors=errors)
    qualification = str(data.get("qualification") or "").strip().upper() or None
    if qualification and len(qualification) > 40:
        errors["qualification"] = _("Use at most 40 characters.")
    color = str(data.get("color") or "#0d6e6e").strip()
    if not COLOR_RE.match(color):
        errors["color"] = _("Choose a colour.")
    if errors:
        raise ValidationFailed(errors)
    return ShiftTypeInput(code=code, name=name, start_time=start, duration_minutes=duration, days_of_week=days,
                          headcount=headcount, weight=weight, weekend_weight=weekend, holiday_weight=holiday,
                          qualification=qualification, color=color.lower(),
                          location=str(data.get("location") or "").strip())


def _shift_snapshot(shift: ShiftType) -> dict[str, Any]:
    return {
        "code": shift.code, "name": shift.name, "start_time": shift.start_time.strftime("%H:%M"),
        "duration_minutes": shift.duration_minutes, "days_of_week": shift.days_of_week,
        "headcount": shift.headcount, "weight": shift.weight, "weekend_weight": shift.weekend_weight,
        "holiday_weight": shift.holiday_weight, "qualification": shift.qualification,
        "location": shift.location.name if shift.location else None, "active": shift.active,
    }


async def list_shift_types(session: AsyncSession, actor: Actor, *, include_inactive: bool = False) -> list[ShiftType]:
    require(actor, "schedule.read")
    query = select(ShiftType).where(ShiftType.organization_id == actor.organization_id)
    if not include_inactive:
        query = query.where(ShiftType.active.is_(True))
    rows = await session.execute(query.order_by(ShiftType.start_time, ShiftType.position, ShiftType.code))
    return list(rows.scalars().unique())


async def get_shift_type(session: AsyncSession, actor: Actor, shift_type_id: int) -> ShiftType:
    require(actor, "schedule.read")
    shift = (
        await session.execute(
            select(ShiftType).where(ShiftType.id == shift_type_id, ShiftType.organization_id == actor.organization_id)
        )
    ).scalar_one_or_none()
    if shift is None:
        raise NotFound(_("No such shift type."))
    return shift


async def save_shift_type(
    session: AsyncSession, actor: Actor, fields: ShiftTypeInput, *, shift_type_id: int | None = None,
    commit_now: bool = True,
) -> ShiftType:
    """Create (``shift_type_id`` None) or change a shift type."""
    require(actor, "schedule.manage")
    # Another organization's id is not found before anything is written.
    existing = await get_shift_type(session, actor, shift_type_id) if shift_type_id is not None else None
    clash = select(ShiftType.id).where(ShiftType.organization_id == actor.organization_id,
                                       ShiftType.code == fields["code"])
    if shift_type_id is not None:
        clash = clash.where(ShiftType.id != shift_type_id)
    if (await session.execute(clash)).first() is not None:
        raise ValidationFailed({"code": _("Another shift type already uses the code “%(code)s”.",
                                          code=fields["code"])})
    location = await get_or_create_location(session, actor, fields.get("location", ""))
    values = {k: v for k, v in fields.items() if k != "location"}
    retimed = False
    if existing is None:
        shift = ShiftType(organization_id=actor.organization_id, location_id=location.id if location else None,
                          **values)
        session.add(shift)
        before = None
    else:
        shift = existing
        before = _shift_snapshot(shift)
        retimed = (shift.start_time, shift.duration_minutes) != (values["start_time"], values["duration_minutes"])
        for key, value in values.items():
            setattr(shift, key, value)
        shift.location_id = location.id if location else None
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ValidationFailed({"code": _("Another shift type already uses the code “%(code)s”.",
                                          code=fields["code"])}) from None
    await session.refresh(shift)
    if retimed:
        # Every calendar entry of this shift type now has other times: subscribers must see a new version.
        from app.services.rota.schedule import bump_sequences

        await bump_sequences(session, shift.id)
    await audit.record(session, actor, "shift_type.created" if before is None else "shift_type.changed",
                       entity_type="shift_type", entity_id=shift.id, before=before, after=_shift_snapshot(shift))
    await emit(session, actor.organization_id, "rota.setup", entity_type="shift_type", entity_id=shift.id)
    if commit_now:
        await commit(session)
    return shift


async def set_shift_type_active(session: AsyncSession, actor: Actor, shift_type_id: int, active: bool) -> ShiftType:
    require(actor, "schedule.manage")
    shift = await get_shift_type(session, actor, shift_type_id)
    if shift.active != active:
        shift.active = active
        await audit.record(session, actor, "shift_type.activated" if active else "shift_type.archived",
                           entity_type="shift_type", entity_id=shift.id, before={"active": not active},
                           after={"active": active, "code": shift.code})
        await emit(session, actor.organization_id, "rota.setup", entity_type="shift_type", entity_id=shift.id)
        await commit(session)
    return shift


# -- holidays --------------------------------------------------------------------------------------------


async def list_holidays(session: AsyncSession, actor: Actor, start: date, end: date, *,
                        include_inactive: bool = False) -> list[Holiday]:
    require(actor, "schedule.read")
    query = select(Holiday).where(Holiday.organization_id == actor.organization_id, Holiday.date >= start,
                                  Holiday.date <= end)
    if not include_inactive:
        query = query.where(Holiday.active.is_(True))
    return list((await session.execute(query.order_by(Holiday.date))).scalars())


async def get_holiday(session: AsyncSession, actor: Actor, holiday_id: int) -> Holiday:
    require(actor, "schedule.read")
    holiday = (
        await session.execute(
            select(Holiday).where(Holiday.id == holiday_id, Holiday.organization_id == actor.organization_id)
        )
    ).scalar_one_or_none()
    if holiday is None:
        raise NotFound(_("No such holiday."))
    return holiday


async def sync_country_holidays(session: AsyncSession, actor: Actor, years: list[int], *,
                                commit_now: bool = True) -> int:
    """Add the country's public holidays for ``years`` (existing dates, edited or not, are kept)."""
    require(actor, "schedule.manage")
    org = await session.get(Organization, actor.organization_id)
    if org is None or not org.country:
        return 0
    existing = set(
        (await session.execute(select(Holiday.date).where(Holiday.organization_id == org.id))).scalars()
    )
    added = 0
    for day, name in sorted(holidays_lib.country_holidays(org.country, years=years).items()):
        if day in existing:
            continue
        session.add(Holiday(organization_id=org.id, date=day, name=str(name)[:120], weight=2.0, source="country"))
        added += 1
    if added:
        await session.flush()
        await audit.record(session, actor, "holiday.imported", entity_type="organization", entity_id=org.id,
                           after={"country": org.country, "years": years, "added": added})
        await emit(session, org.id, "rota.setup", entity_type="holiday")
    if commit_now:
        await commit(session)
    return added


async def save_holiday(session: AsyncSession, actor: Actor, *, day: date, name: str, weight: float,
                       active: bool = True) -> Holiday:
    """Add a holiday of the organization's own, or change the name, weight or use of one."""
    require(actor, "schedule.manage")
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the holiday.")
    if not 0 <= weight <= 100:
        errors["weight"] = _("Enter a number from %(low)s to %(high)s.", low=0, high=100)
    if errors:
        raise ValidationFailed(errors)
    holiday = (
        await session.execute(select(Holiday).where(Holiday.organization_id == actor.organization_id,
                                                    Holiday.date == day))
    ).scalar_one_or_none()
    before = None
    if holiday is None:
        holiday = Holiday(organization_id=actor.organization_id, date=day, name=name[:120], weight=weight,
                          source="custom", active=active)
        session.add(holiday)
    else:
        before = {"name": holiday.name, "weight": holiday.weight, "active": holiday.active}
        holiday.name, holiday.weight, holiday.active = name[:120], weight, active
    await session.flush()
    await audit.record(session, actor, "holiday.saved", entity_type="holiday", entity_id=holiday.id, before=before,
                       after={"date": day.isoformat(), "name": name, "weight": weight, "active": active})
    await emit(session, actor.organization_id, "rota.setup", entity_type="holiday", entity_id=holiday.id)
    await commit(session)
    return holiday


# -- members' rota details -------------------------------------------------------------------------------


async def update_member_rota(session: AsyncSession, actor: Actor, membership_id: int, *, fte: Any, phone: str,
                             qualifications: str | list[str], in_schedule: bool) -> Membership:
    """FTE, phone, qualifications and whether the member takes shifts."""
    from app.services.organizations import get_membership

    require(actor, "members.manage")
    membership = await get_membership(session, actor, membership_id)
    errors: dict[str, str] = {}
    fte_value = _number(fte, "fte", low=0.05, high=1.5, errors=errors)
    phone = phone.strip()
    if phone and not re.match(r"^[0-9+()\-. ]{3,40}$", phone):
        errors["phone"] = _("Enter a phone number with digits, spaces and + ( ) - only.")
    if isinstance(qualifications, str):
        qualifications = [q for q in re.split(r"[,\s]+", qualifications) if q]
    quals = sorted({q.strip().upper()[:40] for q in qualifications if q.strip()})
    if errors:
        raise ValidationFailed(errors)
    before = {"fte": membership.fte, "phone": membership.phone, "qualifications": membership.qualifications,
              "in_schedule": membership.in_schedule}
    membership.fte, membership.phone = fte_value, phone or None
    membership.qualifications, membership.in_schedule = quals, in_schedule
    await audit.record(session, actor, "member.rota_details_changed", entity_type="membership",
                       entity_id=membership.id, before=before,
                       after={"fte": fte_value, "phone": phone or None, "qualifications": quals,
                              "in_schedule": in_schedule})
    await emit(session, actor.organization_id, "members.changed", entity_type="membership", entity_id=membership.id)
    await commit(session)
    return membership
