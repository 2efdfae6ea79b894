"""Seed a realistic tenant for the benchmarks: 60 members, 12 shift types, 24 months of published history."""

from __future__ import annotations

import argparse
import random
from datetime import date, time, timedelta

from sqlalchemy import insert, select

from app.db import get_database
from app.models import Assignment, Holiday, Location, Membership, Organization, ShiftType, User, utcnow
from app.services.security import hash_password

SLUG = "bench-medical-group"
PASSWORD = "benchmark-password-2026"
SHIFTS = [
    # code, name, location, start, minutes, days, headcount, qualification
    ("night-call", "Night call", "Main", time(19), 720, range(7), 1, None),
    ("peds-call", "Pediatric call", "AMC", time(18), 840, range(7), 1, "PEDS"),
    ("ob-call", "Obstetric call", "AMC", time(18), 840, range(7), 1, "OB"),
    ("weekend-call", "Weekend call", "Main", time(8), 1440, (5, 6), 1, None),
    ("clinic-am", "Clinic AM", "Main", time(8), 240, range(5), 3, None),
    ("clinic-pm", "Clinic PM", "Main", time(13), 240, range(5), 3, None),
    ("north-am", "North clinic AM", "North", time(8), 240, range(5), 2, None),
    ("north-pm", "North clinic PM", "North", time(13), 240, range(5), 2, None),
    ("rounds", "Hospital rounding", "AMC", time(7), 300, range(7), 2, None),
    ("nursing-home", "Nursing home", "Elm House", time(14), 180, (1, 3), 1, None),
    ("urgent-care", "Urgent care", "Main", time(10), 600, range(7), 1, None),
    ("admin", "Admin session", "Main", time(9), 180, (4,), 1, None),
]


def seed(database_url: str | None = None, *, members: int = 60, months_back: int = 24) -> dict[str, object]:
    """Create the tenant unless it exists; returns its slug, owner login and counts."""
    db = get_database()
    rng = random.Random(20261121)
    with db.sync_session() as s:
        org = s.execute(select(Organization).where(Organization.slug == SLUG)).scalar_one_or_none()
        if org is not None:
            count = s.query(Assignment).filter(Assignment.organization_id == org.id).count()
            return {"slug": SLUG, "owner": f"owner@{SLUG}.example", "password": PASSWORD, "assignments": count}
        org = Organization(name="Bench Medical Group", slug=SLUG, timezone="America/Chicago", country="US")
        s.add(org)
        s.flush()
        hashed = hash_password(PASSWORD)
        memberships = []
        for i in range(members):
            role = "owner" if i == 0 else "member"
            user = User(email=("owner" if i == 0 else f"doc{i:02d}") + f"@{SLUG}.example",
                        name=f"Dr. {rng.choice('ABCDEFGHJKLMNPRSTW')}. Member {i:02d}", password_hash=hashed,
                        email_verified_at=utcnow())
            s.add(user)
            s.flush()
            quals = ["PEDS"] if i % 5 == 0 else (["OB"] if i % 7 == 0 else [])
            m = Membership(user_id=user.id, organization_id=org.id, role=role, phone=f"+1 312 555 {i:04d}",
                           qualifications=quals, fte=1.0 if i % 4 else 0.6)
            s.add(m)
            memberships.append(m)
        s.flush()
        locations: dict[str, Location] = {}
        shifts = []
        for pos, (code, name, loc, start, minutes, days, headcount, qual) in enumerate(SHIFTS):
            if loc not in locations:
                locations[loc] = Location(organization_id=org.id, name=loc)
                s.add(locations[loc])
                s.flush()
            shift = ShiftType(organization_id=org.id, code=code, name=name, location_id=locations[loc].id,
                              start_time=start, duration_minutes=minutes, days_of_week=list(days),
                              headcount=headcount, qualification=qual, position=pos)
            s.add(shift)
            shifts.append(shift)
        s.flush()
        today = date.today()
        first = (today.replace(day=1) - timedelta(days=months_back * 31)).replace(day=1)
        last = today + timedelta(days=92)
        import holidays as holidays_lib

        for day, hname in holidays_lib.country_holidays("US", years=range(first.year, last.year + 1)).items():
            s.add(Holiday(organization_id=org.id, date=day, name=str(hname)[:120], source="country"))
        rows = []
        qualified = {q: [m.id for m in memberships if q in m.qualifications] for q in ("PEDS", "OB")}
        everyone = [m.id for m in memberships]
        cursor = 0
        day = first
        while day <= last:
            busy: set[int] = set()
            for shift in shifts:
                if day.weekday() not in shift.days_of_week:
                    continue
                pool = qualified[shift.qualification] if shift.qualification else everyone
                for _ in range(shift.headcount):
                    for _attempt in range(len(pool)):
                        cursor += 1
                        member_id = pool[cursor % len(pool)]
                        if member_id not in busy:
                            busy.add(member_id)
                            rows.append({"organization_id": org.id, "shift_type_id": shift.id, "date": day,
                                         "membership_id": member_id, "source": "generated", "status": "active",
                                         "locked": False, "sequence": 0, "created_at": utcnow(),
                                         "updated_at": utcnow()})
                            break
            day += timedelta(days=1)
        for i in range(0, len(rows), 5000):
            s.execute(insert(Assignment), rows[i : i + 5000])
        s.commit()
        return {"slug": SLUG, "owner": f"owner@{SLUG}.example", "password": PASSWORD, "assignments": len(rows)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    print(seed(members=args.members, months_back=args.months))
