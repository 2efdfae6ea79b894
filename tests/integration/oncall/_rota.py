"""A small published rota for the on-call and "my shifts" tests, built through the rota services.

Alpha Clinic (Europe/Berlin): ``peds-call`` "Pediatric call" at AMC (19:00, 12 h, needs PEDS),
``ob-call`` "Obstetric call" at St. Mary (19:00, 12 h), ``clinic-am`` "Clinic AM" at Main clinic
(08:00, 4 h). Beta Surgery (America/New_York) has its own ``peds-call`` at Beta Hospital.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from app.db import get_database
from app.models import Assignment, Membership, ScheduleDraft
from app.services.actor import Actor
from app.services.events import commit
from app.services.rota import schedule, setup
from tests.conftest import Persona, World

__all__ = ("MEL_PHONE", "assign", "draft_assignment", "mid", "seed_shift_types", "set_member")

MEL_PHONE = "+49 30 1234-567"
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def mid(persona: Persona) -> int:
    """A persona's membership id (every persona of the world fixture has one)."""
    assert persona.membership_id is not None
    return persona.membership_id


async def set_member(membership_id: int, **values: Any) -> None:
    async with get_database().write_session() as session:
        await session.execute(update(Membership).where(Membership.id == membership_id).values(**values))
        await session.commit()


async def _shift(organization_id: int, **fields: Any) -> int:
    actor = Actor.system("test-rota", organization_id=organization_id)
    data = {"days_of_week": EVERY_DAY, "headcount": 2, "weight": 1, **fields}
    async with get_database().write_session() as session:
        shift = await setup.save_shift_type(session, actor, setup.parse_shift_type(data))
        return shift.id


async def seed_shift_types(world: World) -> dict[str, int]:
    """The shift types of both practices, and phones and qualifications of the people on them."""
    await set_member(mid(world.member), phone=MEL_PHONE, qualifications=["PEDS"])
    await set_member(mid(world.owner), qualifications=["OB"])
    return {
        "peds-call": await _shift(
            world.alpha_id,
            code="peds-call",
            name="Pediatric call",
            location="AMC",
            start_time="19:00",
            duration_minutes=720,
            qualification="PEDS",
            color="#4338ca",
        ),
        "ob-call": await _shift(
            world.alpha_id,
            code="ob-call",
            name="Obstetric call",
            location="St. Mary",
            start_time="19:00",
            duration_minutes=720,
            color="#be123c",
        ),
        "clinic-am": await _shift(
            world.alpha_id,
            code="clinic-am",
            name="Clinic AM",
            location="Main clinic",
            start_time="08:00",
            duration_minutes=240,
        ),
        "beta-peds": await _shift(
            world.beta_id,
            code="peds-call",
            name="Beta pediatric call",
            location="Beta Hospital",
            start_time="19:00",
            duration_minutes=720,
        ),
    }


async def assign(organization_id: int, shift_type_id: int, day: date, membership_id: int) -> int:
    """A published assignment, made the way a manager makes one (audited, announced)."""
    actor = Actor.system("test-rota", organization_id=organization_id)
    async with get_database().write_session() as session:
        row = await schedule.assign(session, actor, shift_type_id=shift_type_id, day=day, membership_id=membership_id)
        return row.id


async def draft_assignment(organization_id: int, shift_type_id: int, day: date, membership_id: int) -> None:
    """An assignment of an unpublished draft, as schedule generation leaves it."""
    async with get_database().write_session() as session:
        draft = ScheduleDraft(organization_id=organization_id, start_date=day, end_date=day, status="done")
        session.add(draft)
        await session.flush()
        session.add(
            Assignment(
                organization_id=organization_id,
                shift_type_id=shift_type_id,
                date=day,
                membership_id=membership_id,
                draft_id=draft.id,
                source="generated",
            )
        )
        await commit(session)
