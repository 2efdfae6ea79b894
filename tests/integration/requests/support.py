"""Helpers of the requests tests: dates ahead of today, shifts and assignments, rules, and reading the database."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import get_database
from app.models import AuditEntry, EmailMessage, OutboxEvent, RotaRequest
from app.services.actor import Actor
from app.services.rota import rules as rules_service
from tests.integration.rota.support import actor_of, assign, assignments, make_shift, page_text, set_member

__all__ = (
    "actor_of",
    "assign",
    "assignments",
    "audit_actions",
    "emails_to",
    "error_of",
    "events",
    "make_shift",
    "next_weekday",
    "page_text",
    "request_rows",
    "set_member",
    "set_rules",
    "today",
)

BERLIN = ZoneInfo("Europe/Berlin")  # Alpha Clinic's timezone


def today() -> date:
    return datetime.now(BERLIN).date()


def next_weekday(weekday: int, *, after_days: int = 7) -> date:
    """The first ``weekday`` (Monday = 0) at least ``after_days`` days from today."""
    day = today() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


async def set_rules(organization_id: int, **values: Any) -> None:
    """Store rules for the organization as its owner would (through the service)."""
    async with get_database().write_session() as session:
        await rules_service.save_rules(session, Actor.system("test", organization_id=organization_id),
                                       rules_service.Rules(**values))


async def request_rows(**where: Any) -> list[RotaRequest]:
    async with get_database().read_session() as session:
        query = select(RotaRequest)
        for key, value in where.items():
            query = query.where(getattr(RotaRequest, key) == value)
        return list((await session.execute(query.order_by(RotaRequest.id))).scalars().unique())


async def emails_to(address: str) -> list[EmailMessage]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(EmailMessage).where(EmailMessage.to_address == address)
                                     .order_by(EmailMessage.id))
        return list(rows.scalars())


async def audit_actions(organization_id: int) -> list[str]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(AuditEntry.action).where(AuditEntry.chain == organization_id)
                                     .order_by(AuditEntry.seq))
        return list(rows.scalars())


async def events(organization_id: int, prefix: str = "") -> list[str]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(OutboxEvent.kind).where(OutboxEvent.organization_id == organization_id)
                                     .order_by(OutboxEvent.id))
        return [k for k in rows.scalars() if k.startswith(prefix)]


def error_of(page: str, name: str) -> str | None:
    """The message beside field ``name`` (``#f-<name>-error``), checking the field points at it."""
    match = re.search(rf'id="f-{re.escape(name)}-error"[^>]*>(.*?)</', page, re.S)
    if not match:
        return None
    assert re.search(rf'aria-describedby="[^"]*f-{re.escape(name)}-error', page), f"{name} does not point at its error"
    return html.unescape(match.group(1)).strip()
