"""Rota helpers for the feeds and push tests: shift types and published (or draft) assignments made
through the schedule services, as a manager would make them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import update

from app.db import get_database
from app.models import Assignment, ScheduleDraft
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.services.rota import schedule, setup

if TYPE_CHECKING:
    from tests.conftest import Persona

__all__ = ("actor_of", "add_draft", "assign", "local_today", "make_shift", "next_weekday", "reassign", "unassign")

BERLIN = ZoneInfo("Europe/Berlin")


def actor_of(p: Persona) -> Actor:
    return Actor(user_id=p.user_id, label=p.email, organization_id=p.organization_id, role=p.role)


def local_today(tz: ZoneInfo = BERLIN) -> date:
    return datetime.now(tz).date()


def next_weekday(weekday: int, *, after: date | None = None, weeks: int = 1) -> date:
    """A date ``weeks`` weeks ahead that falls on ``weekday`` (Monday 0), safely inside any feed window."""
    start = (after or local_today()) + timedelta(days=7 * weeks)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


async def make_shift(manager: Persona, *, code: str = "night-call", name: str = "Night call", start: str = "19:00",
                     minutes: int = 720, location: str = "AMC", days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6),
                     headcount: int = 1) -> int:
    fields = setup.parse_shift_type({"code": code, "name": name, "start_time": start, "duration_minutes": minutes,
                                     "days_of_week": [str(d) for d in days], "headcount": headcount,
                                     "location": location})
    async with get_database().write_session() as session:
        shift = await setup.save_shift_type(session, actor_of(manager), fields)
        return shift.id


async def assign(manager: Persona, shift_id: int, day: date, member: Persona) -> int:
    async with get_database().write_session() as session:
        row = await schedule.assign(session, actor_of(manager), shift_type_id=shift_id, day=day,
                                    membership_id=member.membership_id)
        return row.id


async def unassign(manager: Persona, assignment_id: int) -> None:
    async with get_database().write_session() as session:
        await schedule.unassign(session, actor_of(manager), assignment_id)


async def reassign(manager: Persona, assignment_id: int, member: Persona) -> int:
    async with get_database().write_session() as session:
        row = await schedule.reassign(session, actor_of(manager), assignment_id, member.membership_id)
        return row.id


async def add_draft(manager: Persona, shift_id: int, day: date, member: Persona) -> int:
    """An unpublished assignment in a draft, as schedule generation leaves them."""
    async with get_database().write_session() as session:
        draft = ScheduleDraft(organization_id=manager.organization_id, start_date=day, end_date=day, status="done")
        session.add(draft)
        await session.flush()
        row = Assignment(organization_id=manager.organization_id, shift_type_id=shift_id, date=day,
                         membership_id=member.membership_id, draft_id=draft.id, source="generated")
        session.add(row)
        await session.commit()
        return row.id


async def age_assignment(assignment_id: int, days: int) -> None:
    """Pretend the assignment last changed ``days`` days ago."""
    from app.models import utcnow

    async with get_database().write_session() as session:
        await session.execute(update(Assignment).where(Assignment.id == assignment_id)
                              .values(updated_at=utcnow() - timedelta(days=days)))
        await session.commit()


async def assign_upcoming(slug: str, email: str, *, count: int = 4) -> list[int]:
    """Put the member with ``email`` on ``count`` upcoming published slots of the organization ``slug``
    (one a day from next week on, on whichever shift type runs that day), as its manager would."""
    from sqlalchemy import select

    from app.models import Membership, Organization, ShiftType, User

    async with get_database().read_session() as session:
        org = (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one()
        member = (await session.execute(select(Membership).join(User).where(
            Membership.organization_id == org.id, User.email == email))).scalar_one()
        shifts = list((await session.execute(select(ShiftType).where(ShiftType.organization_id == org.id)
                                              .order_by(ShiftType.id))).scalars().unique())
    actor = Actor.system("feeds-seed", organization_id=org.id)
    day = datetime.now(ZoneInfo(org.timezone)).date() + timedelta(days=7)
    made: list[int] = []
    for offset in range(60):
        if len(made) >= count:
            break
        for shift in shifts[offset % max(len(shifts), 1):] + shifts[:offset % max(len(shifts), 1)]:
            if day.weekday() not in shift.days_of_week:
                continue
            try:
                async with get_database().write_session() as session:
                    row = await schedule.assign(session, actor, shift_type_id=shift.id, day=day,
                                                membership_id=member.id)
            except ServiceError:
                continue  # not qualified, full, or busy then: try another
            made.append(row.id)
            break
        day += timedelta(days=1)
    return made


if __name__ == "__main__":  # python -m tests.integration.feeds.rota_support SLUG EMAIL (the browser tests' seed)
    import asyncio
    import json
    import sys

    from app.config import get_settings
    from app.db import init_database

    init_database(get_settings())
    print(json.dumps({"assignments": asyncio.run(assign_upcoming(sys.argv[1], sys.argv[2]))}))
