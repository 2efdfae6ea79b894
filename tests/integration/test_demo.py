"""The demo practice of ``make run``: with its rota, a first visit shows a real, fully staffed month."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.db import get_database
from app.demo import DEMO_PASSWORD, DEMO_SHIFTS, DEMO_SLUG, seed_demo, seed_demo_rota
from app.models import Assignment, Organization, ShiftType, utcnow
from tests.conftest import Browser


async def test_it_seeds_a_published_fully_staffed_month_once(client: Browser) -> None:
    created, logins = await seed_demo()
    assert created and len(logins) == 6

    published = await seed_demo_rota(seconds=3)

    async with get_database().read_session() as session:
        org = (await session.execute(select(Organization).where(Organization.slug == DEMO_SLUG))).scalar_one()
        shifts = {s.id: s for s in (await session.execute(
            select(ShiftType).where(ShiftType.organization_id == org.id))).scalars()}
        rows = list((await session.execute(select(Assignment).where(
            Assignment.organization_id == org.id, Assignment.status == "active"))).scalars().unique())
    assert sorted(s.code for s in shifts.values()) == sorted(str(d["code"]) for d in DEMO_SHIFTS)
    assert rows and all(a.draft_id is None for a in rows) and published == len(rows)
    today = utcnow().astimezone(ZoneInfo(org.timezone)).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    seats = Counter((a.shift_type_id, a.date) for a in rows)
    day = first
    while day <= last:  # every seat of every day of this month is taken, none twice
        for s in shifts.values():
            wanted = s.headcount if day.weekday() in s.days_of_week else 0
            assert seats[(s.id, day)] == wanted, (s.code, day)
        day += timedelta(days=1)
    for a in rows:  # qualifications hold
        assert not a.shift_type.qualification or a.shift_type.qualification in a.membership.qualifications

    assert await seed_demo_rota(seconds=3) == 0  # a second run adds nothing
    async with get_database().read_session() as session:
        count = (await session.execute(select(func.count()).select_from(Assignment).where(
            Assignment.organization_id == org.id))).scalar_one()
    assert count == len(rows)

    await client.post("/login", {"email": "amir.patel@riverside.example", "password": DEMO_PASSWORD})
    month = await client.get(f"/rota/month/{first.isoformat()}")
    assert month.status_code == 200
    assert "Night call" in month.text and "Pediatrics call" in month.text
