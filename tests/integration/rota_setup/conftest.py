"""Helpers of the rota setup tests: signing in as a persona, reading fields and rows, making shift types."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from app.db import get_database
from app.models import Assignment, Holiday, Membership, ShiftType
from app.services.actor import Actor
from tests.conftest import Browser, Persona

__all__ = (
    "NIGHT",
    "as_actor",
    "assignments",
    "error_beside",
    "holidays",
    "make_shift_type",
    "shift_types",
    "signed_in",
)

NIGHT = {
    "name": "Night call", "code": "night-call", "location": "AMC", "color": "#4338ca", "start_time": "19:00",
    "duration_hours": "12", "days_of_week": ["0", "1", "2", "3", "4", "5", "6"], "headcount": "1",
    "weight": "2", "weekend_weight": "3", "holiday_weight": "4", "qualification": "",
}


async def signed_in(client: Browser, persona: Persona) -> Browser:
    await client.login(persona.email)
    return client


def as_actor(persona: Persona) -> Actor:
    return Actor(user_id=persona.user_id, label=persona.email, organization_id=persona.organization_id,
                 role=persona.role)


def error_beside(page: str, field_id: str) -> str | None:
    """The message of the element ``#<field_id>-error`` (the one the input's aria-describedby names)."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</', page, re.S)
    if not match:
        return None
    described = re.search(rf'id="{re.escape(field_id)}"[^>]*aria-describedby="[^"]*{re.escape(field_id)}-error', page)
    legend = re.search(rf'aria-describedby="{re.escape(field_id)}-error"', page)
    assert described or legend, f"the field {field_id} does not point at its error"
    return html.unescape(match.group(1)).strip()


async def make_shift_type(persona: Persona, **overrides: Any) -> ShiftType:
    from app.services.rota import setup

    data = {**NIGHT, **overrides}
    async with get_database().write_session() as session:
        return await setup.save_shift_type(session, as_actor(persona), setup.parse_shift_type(data))


async def shift_types(organization_id: int) -> list[ShiftType]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(ShiftType).where(ShiftType.organization_id == organization_id)
                                     .order_by(ShiftType.id))
        return list(rows.scalars().unique())


async def holidays(organization_id: int) -> list[Holiday]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(Holiday).where(Holiday.organization_id == organization_id)
                                     .order_by(Holiday.date))
        return list(rows.scalars())


async def assignments(organization_id: int) -> list[Assignment]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(Assignment).where(Assignment.organization_id == organization_id,
                                                              Assignment.status == "active")
                                     .order_by(Assignment.date, Assignment.id))
        return list(rows.scalars().unique())


async def membership_rows(organization_id: int) -> list[Membership]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(Membership).where(Membership.organization_id == organization_id)
                                     .order_by(Membership.id))
        return list(rows.scalars().unique())
