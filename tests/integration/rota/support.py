"""Rota test helpers: shift types, member details and assignments made through the real services.

Shared by the rota unit tests (services against the test database) and the integration tests (routes).
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from sqlalchemy import select, update

from app.db import get_database
from app.models import Assignment, Holiday, Membership, ScheduleDraft
from app.services.actor import Actor
from app.services.rota import schedule, setup

__all__ = (
    "NIGHT",
    "actor_of",
    "add_draft_assignment",
    "add_holiday",
    "assign",
    "assignments",
    "make_shift",
    "page_text",
    "set_member",
)

# A night call: 19:00 for 12 wall-clock hours, every day, one person.
NIGHT: dict[str, Any] = {"code": "night-call", "name": "Night call", "start_time": "19:00", "duration_minutes": 720,
                         "days_of_week": [0, 1, 2, 3, 4, 5, 6], "headcount": 1, "location": "Main hospital"}


def actor_of(persona: Any) -> Actor:
    return Actor(user_id=persona.user_id, label=persona.email, organization_id=persona.organization_id,
                 role=persona.role)


async def make_shift(persona: Any, **fields: Any) -> int:
    """A shift type of ``persona``'s organization (night call unless told otherwise); its id."""
    data = {**NIGHT, **fields}
    async with get_database().write_session() as session:
        shift = await setup.save_shift_type(session, actor_of(persona), setup.parse_shift_type(data))
        return shift.id


async def set_member(membership_id: int, **values: Any) -> None:
    """Change a membership's rota details directly (phone, qualifications, in_schedule, ...)."""
    async with get_database().write_session() as session:
        await session.execute(update(Membership).where(Membership.id == membership_id).values(**values))
        await session.commit()


async def assign(persona: Any, shift_id: int, day: date, membership_id: int) -> int:
    """Assign through the service as ``persona`` (a manager or owner); the new assignment's id."""
    async with get_database().write_session() as session:
        row = await schedule.assign(session, actor_of(persona), shift_type_id=shift_id, day=day,
                                    membership_id=membership_id)
        return row.id


async def add_holiday(organization_id: int, day: date, name: str) -> None:
    async with get_database().write_session() as session:
        session.add(Holiday(organization_id=organization_id, date=day, name=name, weight=2.0))
        await session.commit()


async def add_draft_assignment(organization_id: int, shift_id: int, day: date, membership_id: int) -> int:
    """An unpublished (draft) assignment, as the generator would leave it; the draft's id."""
    async with get_database().write_session() as session:
        draft = ScheduleDraft(organization_id=organization_id, start_date=day, end_date=day, status="done")
        session.add(draft)
        await session.flush()
        session.add(Assignment(organization_id=organization_id, shift_type_id=shift_id, date=day,
                               membership_id=membership_id, draft_id=draft.id, source="generated"))
        await session.commit()
        return draft.id


async def assignments(**where: Any) -> list[Assignment]:
    """Assignments matching ``where`` (column=value), oldest first."""
    async with get_database().read_session() as session:
        query = select(Assignment)
        for key, value in where.items():
            query = query.where(getattr(Assignment, key) == value)
        return list((await session.execute(query.order_by(Assignment.id))).scalars().unique())


def page_text(page: str) -> str:
    """The visible text of a page or fragment, tags removed and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
