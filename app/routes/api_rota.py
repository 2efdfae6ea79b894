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

from app.i18n import _
from app.models import Location, Organization, utcnow
from app.routes.api import api_actor, api_key_known, api_rate_limit
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


@dataclass
class RequestIn:
    """A request for a member. ``time_off``: ``start_date`` to ``end_date`` (one day when no end is given),
    ``urgency`` advance or emergency. ``swap``: the member offers their shift ``shift`` (a shift type code)
    on ``date`` to ``to_member_id``, optionally taking that colleague's ``take_shift`` on ``take_date`` back."""

    member_id: int
    kind: str
    start_date: str | None = None
    end_date: str | None = None
    note: str = ""
    urgency: str = "advance"
    shift: str | None = None
    date: str | None = None
    to_member_id: int | None = None
    take_shift: str | None = None
    take_date: str | None = None


@dataclass
class AssignmentRefOut:
    id: int
    code: str
    date: str


@dataclass
class RequestOut:
    id: int
    kind: str
    status: str
    member_id: int
    start_date: str | None
    end_date: str | None
    urgency: str | None
    note: str
    auto_reason: str | None
    to_member_id: int | None
    shift: AssignmentRefOut | None
    take_shift: AssignmentRefOut | None
    created_at: str



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
    guards = [api_key_known]

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

    @post("/requests", summary="Ask for time off or offer a swap on a member's behalf", status_code=201)
    async def create_request(self, request: Request[Any, Any, Any], db: AsyncSession, data: RequestIn) -> RequestOut:
        """Scope ``requests:write``. Time off waits for a manager unless the practice's rule approves it at once
        (``status`` and ``auto_reason`` say so); a swap waits for the colleague. 422 with the field's message on
        bad input (unknown member, dates, a shift the member does not work)."""
        from app.services.rota import requests as request_service
        from app.services.rota import trades

        actor = await api_actor(request, db, "requests:write")
        if data.kind == "time_off":
            req = await request_service.create_time_off(
                db, actor, membership_id=data.member_id, start_date=data.start_date or "",
                end_date=data.end_date or data.start_date or "", urgency=data.urgency, note=data.note)
        elif data.kind == "swap":
            if data.to_member_id is None:
                raise ValidationFailed({"to_member_id": _("say whom the shift is offered to")})
            give = await trades.assignment_of(db, actor, membership_id=data.member_id, shift_code=data.shift,
                                              day=data.date, field_name="shift", date_field="date")
            take = None
            if data.take_shift or data.take_date:
                take = await trades.assignment_of(db, actor, membership_id=data.to_member_id,
                                                  shift_code=data.take_shift, day=data.take_date,
                                                  field_name="take_shift", date_field="take_date")
            try:
                req = await trades.offer_swap(db, actor, membership_id=data.member_id, assignment_id=give.id,
                                              to_membership_id=data.to_member_id,
                                              take_assignment_id=take.id if take else None, note=data.note)
            except ValidationFailed as exc:
                # The service speaks the web form's field names; say the ones this endpoint takes.
                names = {"assignment_id": "shift", "to_membership_id": "to_member_id",
                         "take_assignment_id": "take_shift", "membership_id": "member_id"}
                raise ValidationFailed({names.get(k, k): v for k, v in exc.errors.items()}) from None
        else:
            raise ValidationFailed({"kind": _("use 'time_off' or 'swap'")})
        req = await request_service.get_request(db, actor, req.id)

        def ref(a: Any) -> AssignmentRefOut | None:
            return AssignmentRefOut(id=a.id, code=a.shift_type.code, date=a.date.isoformat()) if a else None

        return RequestOut(id=req.id, kind=req.kind, status=req.status, member_id=req.membership_id,
                          start_date=req.start_date.isoformat() if req.start_date else None,
                          end_date=req.end_date.isoformat() if req.end_date else None, urgency=req.urgency,
                          note=req.note, auto_reason=req.auto_reason, to_member_id=req.target_membership_id,
                          shift=ref(req.assignment), take_shift=ref(req.counter_assignment),
                          created_at=req.created_at.isoformat())


# -- the schedule generator and the equity ledger (issue 4) ---------------------------------------------


@dataclass
class GenerateIn:
    start_date: str
    end_date: str
    seconds: float | None = None
    history_months: int | None = None


@dataclass
class DraftMemberOut:
    id: int
    name: str


@dataclass
class DraftAssignmentOut:
    id: int
    date: str
    shift: str
    member: DraftMemberOut
    locked: bool


@dataclass
class DraftOut:
    id: int
    status: str
    start_date: str
    end_date: str
    objective: float | None
    bound: float | None
    explanation: dict[str, Any] | None
    assignments: list[DraftAssignmentOut]


@dataclass
class PublishOut:
    id: int
    status: str
    published: int


@dataclass
class EquityMemberOut:
    id: int
    name: str
    fte: float
    points: float
    points_per_fte: float
    fair_share: float
    deviation_per_fte: float
    weekday_points: float
    weekend_points: float
    holiday_points: float
    shifts: int
    weekends: int
    holidays: int
    nights: int
    ytd_points: float
    ytd_points_per_fte: float


@dataclass
class EquityOut:
    start_date: str
    end_date: str
    total_points: float
    max_deviation_per_fte: float
    members: list[EquityMemberOut]


async def _draft_out(db: AsyncSession, draft: Any) -> DraftOut:
    from app.services.rota import drafts

    cells = await drafts.draft_assignments(db, draft) if draft.status in ("done",) else []
    info = draft.explanation or {}
    explanation = {k: info[k] for k in ("problems", "summary", "progress", "params") if k in info} or None
    return DraftOut(id=draft.id, status=draft.status, start_date=draft.start_date.isoformat(),
                    end_date=draft.end_date.isoformat(), objective=draft.objective, bound=draft.bound,
                    explanation=explanation,
                    assignments=[DraftAssignmentOut(id=a.id, date=a.date.isoformat(), shift=a.shift_type.code,
                                                    member=DraftMemberOut(id=a.membership_id,
                                                                          name=a.membership.user.name),
                                                    locked=a.locked) for a in cells])


class GenerateApiController(Controller):
    """``/api/v1/schedule/generate``, ``/api/v1/schedule/drafts/{id}`` (+ ``/publish``), ``/api/v1/equity``."""

    path = "/api/v1"
    tags = ["generator"]
    middleware = [api_rate_limit()]
    guards = [api_key_known]

    @post("/schedule/generate", summary="Generate a draft schedule", status_code=202)
    async def create_generation(self, request: Request[Any, Any, Any], db: AsyncSession, data: GenerateIn) -> DraftOut:
        """Queue the generation of a draft (scope ``schedule:write``); poll ``/schedule/drafts/{id}`` until its
        status is ``done``, ``infeasible`` (``explanation.problems`` says why) or ``failed`` (the run stopped; generate
        again). Nothing is visible to members until it is published."""
        from app.services.rota import drafts

        actor = await api_actor(request, db, "schedule:write")
        start, end, seconds, months = drafts.parse_request(
            {"start_date": data.start_date, "end_date": data.end_date, "seconds": data.seconds,
             "history_months": data.history_months})
        draft = await drafts.request_draft(db, actor, start=start, end=end, seconds=seconds, history_months=months)
        return await _draft_out(db, draft)

    @get("/schedule/drafts/{draft_id:int}", summary="A generated draft")
    async def get_draft(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> DraftOut:
        """The draft, its status and (when done) its assignments (scope ``schedule:write``)."""
        from app.services.rota import drafts

        actor = await api_actor(request, db, "schedule:write")
        if not 0 < draft_id < 2**31:
            raise HTTPException(status_code=404, detail="No such draft.")
        draft = await drafts.get_draft(db, actor, draft_id)
        return await _draft_out(db, draft)

    @post("/schedule/drafts/{draft_id:int}/publish", summary="Publish a draft", status_code=200)
    async def publish_draft(self, request: Request[Any, Any, Any], db: AsyncSession, draft_id: int) -> PublishOut:
        """Move the draft's assignments into the published schedule; members are notified (``schedule:write``).
        409 when the draft is not finished, already published, or the schedule changed meanwhile."""
        from app.services.rota import drafts

        actor = await api_actor(request, db, "schedule:write")
        if not 0 < draft_id < 2**31:
            raise HTTPException(status_code=404, detail="No such draft.")
        count = await drafts.publish(db, actor, draft_id)
        return PublishOut(id=draft_id, status="published", published=count)

    @get("/equity", summary="The equity ledger")
    async def get_equity(self, request: Request[Any, Any, Any], db: AsyncSession,
                         from_: str | None = Parameter(query="from", default=None, required=False),
                         to: str | None = Parameter(query="to", default=None, required=False)) -> EquityOut:
        """Each member's weighted points from ``from`` to ``to`` (default: this month) and year to date, per FTE,
        weekends, holidays, nights (scope ``schedule:read``). Published shifts only."""
        from app.services.rota import equity
        from app.views.equity import parse_period

        actor = await api_actor(request, db, "schedule:read")
        org = await db.get(Organization, actor.organization_id)
        tz = ZoneInfo(org.timezone if org else "UTC")
        start, end, errors = parse_period(from_, to, utcnow().astimezone(tz).date())
        if errors:
            raise ValidationFailed({("from" if k == "from" else "to"): v for k, v in errors.items()})
        ledger = await equity.ledger(db, actor, start, end)
        return EquityOut(
            start_date=start.isoformat(), end_date=end.isoformat(), total_points=round(ledger.total, 4),
            max_deviation_per_fte=round(ledger.max_deviation, 4),
            members=[EquityMemberOut(
                id=r.membership_id, name=r.name, fte=r.fte, points=round(r.points, 4),
                points_per_fte=round(r.per_fte, 4), fair_share=round(r.fair_share, 4),
                deviation_per_fte=round(r.deviation, 4), weekday_points=round(r.weekday_points, 4),
                weekend_points=round(r.weekend_points, 4), holiday_points=round(r.holiday_points, 4),
                shifts=r.shifts, weekends=r.weekends, holidays=r.holidays, nights=r.nights,
                ytd_points=round(r.ytd_points, 4), ytd_points_per_fte=round(r.ytd_per_fte, 4)) for r in ledger.rows])
