"""Helpers of the generator tests: a small practice, approved time off, waiting for the worker."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import get_database
from app.models import Assignment, RotaRequest, ScheduleDraft
from tests.integration.rota.support import make_shift, set_member

__all__ = ("FIRST", "LAST", "approve_leave", "draft_cells", "make_shift", "set_member", "wait_for")


def _month_after_next() -> date:
    """The first day of the month after next in Alpha Clinic's timezone: always ahead of today, never so far
    ahead that a calendar feed (a year ahead) leaves it out, and its month before is wholly in the future."""
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    months = today.year * 12 + today.month - 1 + 2
    return date(months // 12, months % 12 + 1, 1)


# The first week of the month after next.
FIRST = _month_after_next()
LAST = FIRST + timedelta(days=6)


async def approve_leave(organization_id: int, membership_id: int, first: date, last: date) -> None:
    """Approved time off, as the request workflow leaves it."""
    async with get_database().write_session() as session:
        session.add(RotaRequest(organization_id=organization_id, kind="time_off", status="approved",
                                membership_id=membership_id, urgency="advance", start_date=first, end_date=last))
        await session.commit()


async def wait_for(draft_id: int, *, limit: float = 60.0) -> ScheduleDraft:
    """The draft once the worker has finished it (done, infeasible or published)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + limit
    while True:
        async with get_database().read_session() as session:
            draft = await session.get(ScheduleDraft, draft_id)
            if draft is not None and draft.status not in ("queued", "running"):
                return draft
        if loop.time() > until:
            raise AssertionError(f"draft {draft_id} still {draft.status if draft else 'missing'}")
        await asyncio.sleep(0.2)


async def draft_cells(draft_id: int) -> list[Assignment]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(Assignment).where(Assignment.draft_id == draft_id,
                                                              Assignment.status == "active")
                                     .order_by(Assignment.date, Assignment.id))
        return list(rows.scalars().unique())


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def form(**values: Any) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}
