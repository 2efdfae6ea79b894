"""The rota's JSON API (``/api/v1``): shift types, the published schedule, who is on call, assignments, members.

Dates are ``YYYY-MM-DD`` in the organization's timezone; instants ISO 8601 with offset.
Only the published schedule is ever served here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Location, Organization, utcnow
from app.routes.api import api_actor, api_rate_limit
from app.services.errors import ValidationFailed
from app.services.rota import schedule, setup
from app.services.rota.dates import parse_when
from app.services.rota.schedule import Slot

__all__ = ("RotaApiController",)

MAX_DAYS = 93


@dataclass
class ShiftOut:
    code: str
    name: str
    location: str | None


@dataclass
class PersonOut:
    id: int
    name: str
    phone: str | None


@dataclass
class AssignmentOut:
    id: int
    date: str
    shift: ShiftOut
    starts_at: str
    ends_at: str
    member: PersonOut


@dataclass
class ScheduleOut:
    assignments: list[AssignmentOut]


@dataclass
class ShiftTypeOut:
    id: int
    code: str
    name: str
    location: str | None
    start_time: str
    duration_minutes: int
    days_of_week: list[int]
    headcount: int
    weight: float
    weekend_weight: float
    holiday_weight: float
    qualification: str | None
    active: bool


@dataclass
class ShiftTypeList:
    shift_types: list[ShiftTypeOut]


@dataclass
class ShiftTypeIn:
    code: str
    name: str
    start_time: str
    duration_minutes: int
    days_of_week: list[int]
    location: str | None = None
    headcount: int = 1
    weight: float = 1.0
    weekend_weight: float | None = None
    holiday_weight: float | None = None
    qualification: str | None = None
    color: str = "#0d6e6e"


@dataclass
class AssignmentIn:
    shift: str
    date: str
    member_id: int


def _bad(message: str, *, field_name: str | None = None) -> HTTPException:
    return HTTPException(status_code=400, detail=f"{field_name}: {message}" if field_name else message)


def _parse_day(raw: str, tz: ZoneInfo, *, field_name: str = "date") -> date:
    today = utcnow().astimezone(tz).date()
    text = raw.strip().lower()
    if text in {"", "today"}:
        return today
    if text == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad("use YYYY-MM-DD, 'today' or 'tomorrow'", field_name=field_name) from None


def _assignment_out(slot: Slot, a: Any) -> AssignmentOut:
    return AssignmentOut(
        id=a.id,
        date=slot.day.isoformat(),
        shift=ShiftOut(code=slot.shift.code, name=slot.shift.name,
                       location=slot.shift.location.name if slot.shift.location else None),
        starts_at=slot.when.starts_at.isoformat(),
        ends_at=slot.when.ends_at.isoformat(),
        member=PersonOut(id=a.membership_id, name=a.membership.user.name, phone=a.membership.phone),
    )


def _shift_type_out(s: Any) -> ShiftTypeOut:
    return ShiftTypeOut(id=s.id, code=s.code, name=s.name, location=s.location.name if s.location else None,
                        start_time=s.start_time.strftime("%H:%M"), duration_minutes=s.duration_minutes,
                        days_of_week=list(s.days_of_week), headcount=s.headcount, weight=s.weight,
                        weekend_weight=s.weekend_weight, holiday_weight=s.holiday_weight,
                        qualification=s.qualification, active=s.active)


async def _location_id(db: AsyncSession, organization_id: int, name: str | None) -> int | None:
    if not name:
        return None
    from sqlalchemy import func

    found = (
        await db.execute(select(Location.id).where(Location.organization_id == organization_id,
                                                   func.lower(Location.name) == name.strip().lower()))
    ).scalar_one_or_none()
    return found if found is not None else -1  # an unknown location matches nothing


class RotaApiController(Controller):
    path = "/api/v1"
    tags = ["rota"]
    middleware = [api_rate_limit()]

    @get("/shift-types", summary="List shift types")
    async def list_shift_types(self, request: Request[Any, Any, Any], db: AsyncSession) -> ShiftTypeList:
        """Active shift types of the key's organization (scope ``schedule:read``)."""
        actor = await api_actor(request, db, "schedule:read")
        shifts = await setup.list_shift_types(db, actor)
        return ShiftTypeList(shift_types=[_shift_type_out(s) for s in shifts])

    @post("/shift-types", summary="Create a shift type", status_code=201)
    async def create_shift_type(self, request: Request[Any, Any, Any], db: AsyncSession,
                                data: ShiftTypeIn) -> ShiftTypeOut:
        """Create a shift type (scope ``schedule:write``); 422 with the field's message on bad input."""
        actor = await api_actor(request, db, "schedule:write")
        raw = {**data.__dict__}
        raw["weekend_weight"] = data.weekend_weight if data.weekend_weight is not None else data.weight
        raw["holiday_weight"] = data.holiday_weight if data.holiday_weight is not None else data.weight
        shift = await setup.save_shift_type(db, actor, setup.parse_shift_type(raw))
        return _shift_type_out(shift)

    @get("/schedule", summary="The published schedule")
    async def get_schedule(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        date_: str = Parameter(query="date", default="today", description="YYYY-MM-DD, today or tomorrow"),
        days: int = Parameter(default=1, ge=1, le=MAX_DAYS),
        shift: str | None = Parameter(default=None, description="a shift type code"),
        location: str | None = Parameter(default=None, description="a location name"),
        member_id: int | None = Parameter(default=None),
    ) -> ScheduleOut:
        """Published assignments on ``days`` days from ``date`` (scope ``schedule:read``)."""
        actor = await api_actor(request, db, "schedule:read")
        org = await db.get(Organization, actor.organization_id)
        assert org is not None
        start = _parse_day(date_, ZoneInfo(org.timezone))
        end = start + timedelta(days=days - 1)
        location_id = await _location_id(db, org.id, location)
        slots = await schedule.load_slots(db, actor, start, end, location_id=location_id, shift_code=shift,
                                          membership_id=member_id)
        out = [
            _assignment_out(slot, a)
            for slot in slots
            if start <= slot.day
            for a in slot.assignments
            if member_id is None or a.membership_id == member_id
        ]
        return ScheduleOut(assignments=out)

    @get("/oncall/now", summary="Who is on duty at an instant")
    async def get_oncall_now(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        shift: str | None = Parameter(default=None),
        location: str | None = Parameter(default=None),
        at: str | None = Parameter(default=None, description="ISO 8601 instant; default now"),
    ) -> ScheduleOut:
        """Members on a published shift at ``at`` (scope ``schedule:read``)."""
        actor = await api_actor(request, db, "schedule:read")
        org = await db.get(Organization, actor.organization_id)
        assert org is not None
        instant = parse_when(at or "now", ZoneInfo(org.timezone), utcnow())
        if instant is None:
            raise _bad("use an ISO 8601 instant such as 2026-03-02T03:00:00+01:00", field_name="at")
        rows = await schedule.on_duty(db, actor, instant, shift_code=shift, location=location)
        return ScheduleOut(assignments=[_assignment_out(slot, a) for slot, a in rows])

    @post("/assignments", summary="Assign a member to a published shift", status_code=201)
    async def create_assignment(self, request: Request[Any, Any, Any], db: AsyncSession,
                                data: AssignmentIn) -> AssignmentOut:
        """Effective at once; the member is notified (scope ``schedule:write``)."""
        actor = await api_actor(request, db, "schedule:write")
        org = await db.get(Organization, actor.organization_id)
        assert org is not None
        day = _parse_day(data.date, ZoneInfo(org.timezone))
        shifts = {s.code: s for s in await setup.list_shift_types(db, actor)}
        if data.shift not in shifts:
            raise ValidationFailed({"shift": f"no active shift type with the code '{data.shift}'"})
        assignment = await schedule.assign(db, actor, shift_type_id=shifts[data.shift].id, day=day,
                                           membership_id=data.member_id)
        slots = await schedule.load_slots(db, actor, day, day, shift_code=data.shift)
        slot = next(s for s in slots if s.day == day)
        return _assignment_out(slot, assignment)

    @delete("/assignments/{assignment_id:int}", summary="Remove an assignment", status_code=204)
    async def delete_assignment(self, request: Request[Any, Any, Any], db: AsyncSession,
                                assignment_id: int) -> None:
        """Take the member off the shift (scope ``schedule:write``); another organization's id is 404."""
        actor = await api_actor(request, db, "schedule:write")
        await schedule.unassign(db, actor, assignment_id)
