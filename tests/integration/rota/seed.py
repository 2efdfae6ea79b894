"""A big group for looking at the calendar: 50 members, 12 shift types across 4 locations, a filled month.

Used by the integration tests (through ``seed_big_group``) and by the browser tests, which run it against
their live server's database: ``python -m tests.integration.rota.seed --month 2026-03`` (with that
server's ``DATABASE_URL``). Assignments are inserted directly (a seed, not a change anyone made), filled
greedily so that nobody works two overlapping shifts and qualifications hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import get_database
from app.demo import DEMO_SHIFTS
from app.models import Assignment, Holiday, Membership, Organization, User, utcnow
from app.services import organizations
from app.services.actor import Actor
from app.services.rota import setup
from app.services.rota.dates import month_bounds, occurrence
from app.services.security import hash_password

__all__ = ("BIG_PASSWORD", "DEMO_SHIFTS", "SHIFTS", "BigGroup", "seed_big_group", "seed_demo_shifts")

BIG_PASSWORD = "big-group-password-2026"
FIRST = [
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Eva",
    "Finn",
    "Gia",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Luis",
    "Maya",
    "Nils",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Vik",
    "Wen",
    "Xavi",
    "Yara",
]
LAST = [
    "Abbott",
    "Brandt",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Romano",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
]
WEEKDAYS, WEEKEND, EVERY = [0, 1, 2, 3, 4], [5, 6], [0, 1, 2, 3, 4, 5, 6]
# code, name, location, start, minutes, days, headcount, qualification, colour
SHIFTS: list[tuple[str, str, str, str, int, list[int], int, str | None, str]] = [
    ("night-call", "Night call", "Albany Medical Center", "19:00", 720, EVERY, 1, None, "#4338ca"),
    ("weekend-call", "Weekend call", "Albany Medical Center", "08:00", 1440, WEEKEND, 1, None, "#b45309"),
    ("clinic-am", "Clinic AM", "Main clinic", "08:00", 240, WEEKDAYS, 2, None, "#0d6e6e"),
    ("clinic-pm", "Clinic PM", "Main clinic", "13:00", 240, WEEKDAYS, 2, None, "#0e7490"),
    ("hospital-rounds", "Hospital rounding", "Albany Medical Center", "07:00", 300, EVERY, 1, None, "#be123c"),
    ("nursing-home", "Nursing home visits", "Elm Grove Home", "14:00", 180, [1, 3], 1, None, "#65a30d"),
    ("peds-call", "Pediatrics call", "Children's wing", "18:00", 840, EVERY, 1, "PEDS", "#db2777"),
    ("ob-call", "Obstetrics call", "Albany Medical Center", "20:00", 720, EVERY, 1, "OB", "#7c3aed"),
    ("er-day", "ER day", "Albany Medical Center", "08:00", 600, EVERY, 2, None, "#dc2626"),
    ("er-night", "ER night", "Albany Medical Center", "22:00", 600, EVERY, 1, None, "#1e3a8a"),
    ("sports", "School sports cover", "Riverside High", "09:00", 240, [5], 1, None, "#ca8a04"),
    ("telehealth", "Telehealth", "Main clinic", "09:00", 480, WEEKDAYS, 1, None, "#0891b2"),
]


@dataclass
class BigGroup:
    organization_id: int
    slug: str
    manager_email: str
    owner_email: str
    member_emails: list[str]
    assignments: int


async def seed_big_group(
    month: date,
    *,
    name: str = "Albany Family Medicine",
    domain: str = "albany.example",
    timezone: str = "America/New_York",
    members: int = 50,
) -> BigGroup:
    """Create the group and fill ``month`` (and the first days of the next) with published assignments."""
    actor = Actor.system("rota-seed")
    password_hash = hash_password(BIG_PASSWORD)
    async with get_database().write_session() as session:

        def user(email: str, full_name: str) -> User:
            u = User(email=email, name=full_name, password_hash=password_hash, email_verified_at=utcnow())
            session.add(u)
            return u

        owner = user(f"chen@{domain}", "Dr. Sarah Chen")
        manager = user(f"wanda@{domain}", "Wanda Martinez")
        people = [
            user(
                f"{FIRST[i % 25].lower()}.{LAST[(i * 7 + i // 25) % 25].lower()}{i}@{domain}",
                f"Dr. {FIRST[i % 25]} {LAST[(i * 7 + i // 25) % 25]}",
            )
            for i in range(members)
        ]
        await session.flush()
        org = await organizations.create_organization(
            session, actor, name=name, owner=owner, timezone=timezone, country="US"
        )
        owner_m = (
            await session.execute(
                select(Membership).where(Membership.user_id == owner.id, Membership.organization_id == org.id)
            )
        ).scalar_one()
        owner_m.phone, owner_m.qualifications = "+1 518 555 0100", ["PEDS", "OB"]
        session.add(
            Membership(
                user_id=manager.id, organization_id=org.id, role="manager", in_schedule=False, phone="+1 518 555 0101"
            )
        )
        memberships = [owner_m]
        for i, u in enumerate(people):
            quals = (["PEDS"] if i % 4 == 0 else []) + (["OB"] if i % 5 == 1 else [])
            m = Membership(
                user_id=u.id,
                organization_id=org.id,
                role="member",
                phone=f"+1 518 555 {1000 + i}",
                qualifications=quals,
                fte=1.0 if i % 3 else 0.8,
            )
            session.add(m)
            memberships.append(m)
        await session.flush()
        org_actor = Actor.system("rota-seed", organization_id=org.id)
        shift_types = []
        for code, sname, location, start, minutes, days, headcount, qual, color in SHIFTS:
            fields = setup.parse_shift_type(
                {
                    "code": code,
                    "name": sname,
                    "location": location,
                    "start_time": start,
                    "duration_minutes": minutes,
                    "days_of_week": days,
                    "headcount": headcount,
                    "qualification": qual or "",
                    "color": color,
                }
            )
            shift_types.append(await setup.save_shift_type(session, org_actor, fields, commit_now=False))
        first, last = month_bounds(month)
        last += timedelta(days=7)
        session.add(Holiday(organization_id=org.id, date=first + timedelta(days=16), name="Founders' Day", weight=2.0))
        tz = ZoneInfo(timezone)
        busy: dict[int, list[tuple[datetime, datetime]]] = {m.id: [] for m in memberships}
        load: dict[int, int] = {m.id: 0 for m in memberships}
        count = 0
        day = first - timedelta(days=1)  # the night before the 1st reaches into it
        while day <= last:
            for shift in shift_types:
                if day.weekday() not in shift.days_of_week:
                    continue
                when = occurrence(day, shift.start_time, shift.duration_minutes, tz)
                # Rest: nobody starts within 10 hours of the end of their previous shift.
                free = [
                    m
                    for m in memberships
                    if (not shift.qualification or shift.qualification in (m.qualifications or []))
                    and all(when.starts_at >= e + timedelta(hours=10) or when.ends_at <= s for s, e in busy[m.id])
                ]
                free.sort(key=lambda m: (load[m.id], m.id))
                # Leave a few slots open so the calendar shows what "open" looks like.
                seats = shift.headcount - (1 if (day.day + shift.id) % 17 == 0 else 0)
                for m in free[:seats]:
                    session.add(
                        Assignment(
                            organization_id=org.id,
                            shift_type_id=shift.id,
                            date=day,
                            membership_id=m.id,
                            source="generated",
                        )
                    )
                    busy[m.id].append((when.starts_at, when.ends_at))
                    load[m.id] += 1
                    count += 1
            day += timedelta(days=1)
        await session.commit()
        slug = (await session.get(Organization, org.id)).slug  # type: ignore[union-attr]
        return BigGroup(org.id, slug, manager.email, owner.email, [u.email for u in people], count)




async def seed_demo_shifts(slug: str) -> list[int]:
    """Give the demo practice its shift types (the e2e tests build its week by hand)."""
    async with get_database().write_session() as session:
        org = (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one()
        actor = Actor.system("rota-seed", organization_id=org.id)
        existing = {s.code: s.id for s in await setup.list_shift_types(session, actor, include_inactive=True)}
        ids = []
        for data in DEMO_SHIFTS:
            if data["code"] in existing:  # the demo may one day come with some of its own
                ids.append(existing[str(data["code"])])
                continue
            shift = await setup.save_shift_type(session, actor, setup.parse_shift_type(data), commit_now=False)
            ids.append(shift.id)
        await session.commit()
        return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--month", help="YYYY-MM to fill for the big group")
    parser.add_argument("--timezone", default="America/New_York")
    parser.add_argument("--demo-shifts", metavar="SLUG", help="add shift types to this (demo) organization")
    args = parser.parse_args(argv)
    from app.config import get_settings
    from app.db import init_database

    init_database(get_settings())
    result: dict[str, object] = {}
    if args.demo_shifts:
        result["demo_shift_ids"] = asyncio.run(seed_demo_shifts(args.demo_shifts))
    if args.month:
        group = asyncio.run(seed_big_group(date.fromisoformat(args.month + "-01"), timezone=args.timezone))
        result.update(organization_id=group.organization_id, slug=group.slug, manager=group.manager_email,
                      owner=group.owner_email, password=BIG_PASSWORD, assignments=group.assignments)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
