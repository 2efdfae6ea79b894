"""The demo practice ``make run`` starts with: an owner, a manager, three physicians and an operator.

With ``--with-rota`` (what ``make run`` asks for) it also gets shift types, a few rules and a published
rota for the current month, made by the generator and published by the manager as a person would, so that
a first visit shows a real schedule to swap, cover and generate the next month from.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import get_database
from app.models import Membership, Organization, User, utcnow
from app.services import audit, organizations
from app.services.actor import Actor
from app.services.events import commit
from app.services.security import hash_password

__all__ = ("DEMO_PASSWORD", "DEMO_PEOPLE", "DEMO_SHIFTS", "DEMO_SLUG", "seed_demo", "seed_demo_rota")

DEMO_SLUG = "riverside-family-practice"
DEMO_PASSWORD = "rounds-demo-2026"  # noqa: S105 - the demo practice's published password
# (role, email, name, phone, qualifications)
DEMO_PEOPLE = [
    ("owner", "olivia.owner@riverside.example", "Dr. Olivia Hart", "+1 555 0100", ["PEDS"]),
    ("manager", "max.manager@riverside.example", "Max Mendez", "+1 555 0101", []),
    ("member", "amir.patel@riverside.example", "Dr. Amir Patel", "+1 555 0102", ["PEDS"]),
    ("member", "bea.nguyen@riverside.example", "Dr. Bea Nguyen", "+1 555 0103", []),
    ("member", "carl.jensen@riverside.example", "Dr. Carl Jensen", "+1 555 0104", ["OB"]),
    ("viewer", "operator@riverside.example", "Hospital Operator", None, []),
]

_WEEKDAYS, _EVERY = [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]
DEMO_SHIFTS: list[dict[str, object]] = [
    {"code": "night-call", "name": "Night call", "location": "Albany Medical Center", "start_time": "19:00",
     "duration_minutes": 720, "days_of_week": _EVERY, "headcount": 1, "color": "#4338ca"},
    {"code": "clinic-am", "name": "Clinic AM", "location": "Main clinic", "start_time": "08:00",
     "duration_minutes": 240, "days_of_week": _WEEKDAYS, "headcount": 2, "color": "#0d6e6e"},
    {"code": "hospital-rounds", "name": "Hospital rounding", "location": "Albany Medical Center",
     "start_time": "07:00", "duration_minutes": 300, "days_of_week": _EVERY, "headcount": 1, "color": "#be123c"},
    {"code": "peds-call", "name": "Pediatrics call", "location": "Children's wing", "start_time": "18:00",
     "duration_minutes": 840, "days_of_week": _EVERY, "headcount": 1, "qualification": "PEDS", "color": "#db2777"},
]


async def seed_demo() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo practice unless it exists. Returns (created, [(role, email, password)])."""
    logins = [(role, email, DEMO_PASSWORD) for role, email, *_ in DEMO_PEOPLE]
    actor = Actor.system("demo-seed")
    async with get_database().write_session() as session:
        if (await session.execute(select(Organization.id).where(Organization.slug == DEMO_SLUG))).first():
            return False, logins
        password_hash = hash_password(DEMO_PASSWORD)
        users = []
        for _role, email, name, _phone, _quals in DEMO_PEOPLE:
            user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
            if user is None:
                user = User(email=email, name=name, password_hash=password_hash, email_verified_at=utcnow())
                session.add(user)
            users.append(user)
        await session.flush()
        org = await organizations.create_organization(
            session, actor, name="Riverside Family Practice", owner=users[0], timezone="America/New_York",
            country="US")
        org.slug = DEMO_SLUG
        for (role, _email, _name, phone, quals), user in zip(DEMO_PEOPLE, users, strict=True):
            if role == "owner":
                owner = (await session.execute(select(Membership).where(
                    Membership.user_id == user.id, Membership.organization_id == org.id))).scalar_one()
                owner.phone, owner.qualifications = phone, quals
                continue
            membership = Membership(user_id=user.id, organization_id=org.id, role=role, phone=phone,
                                    qualifications=quals, in_schedule=role in {"owner", "member"})
            session.add(membership)
            await session.flush()
            await audit.record(session, actor, "member.added", organization_id=org.id, entity_type="membership",
                               entity_id=membership.id, after={"email": user.email, "role": role})
        await commit(session)
    return True, logins


async def seed_demo_rota(*, seconds: float = 4.0) -> int:
    """Shift types, rules and this month's published rota for the demo practice, unless it has shift types.

    The month is generated and published through the same services a manager uses (audited, announced; the
    members' "rota published" emails land in the demo outbox). Returns how many shifts were published.
    """
    from app.services.rota import drafts, setup
    from app.services.rota.draft_runs import run_draft
    from app.services.rota.rules import Rules, save_rules

    db = get_database()
    async with db.write_session() as session:
        org = (await session.execute(select(Organization).where(Organization.slug == DEMO_SLUG))).scalar_one()
        owner = (await session.execute(select(Membership).where(
            Membership.organization_id == org.id, Membership.role == "owner"))).scalars().first()
        manager = (await session.execute(select(Membership).where(
            Membership.organization_id == org.id, Membership.role == "manager"))).scalars().first()
        system = Actor.system("demo-seed", organization_id=org.id)
        if await setup.list_shift_types(session, system, include_inactive=True):
            return 0  # the practice has its own rota already
        ids = {}
        for data in DEMO_SHIFTS:
            shift = await setup.save_shift_type(session, system, setup.parse_shift_type(data), commit_now=False)
            ids[str(data["code"])] = shift.id
        await session.commit()
        # No morning shift straight after the night call, no rounding after pediatrics call (the two
        # pediatricians take every pediatrics call between them, so a clinic morning after one must stay
        # allowed for four physicians to staff the day); at most six days in a row.
        await save_rules(session, system, Rules(
            forbidden_successions=frozenset({(ids["night-call"], ids["clinic-am"]),
                                             (ids["night-call"], ids["hospital-rounds"]),
                                             (ids["peds-call"], ids["hospital-rounds"])}),
            max_consecutive_days=6, auto_approve_days=14))
        tz = ZoneInfo(org.timezone)
        today = utcnow().astimezone(tz).date()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        who = manager or owner
        assert who is not None
        actor = Actor(user_id=who.user_id, label="demo-seed", organization_id=org.id, role=who.role)
        draft = await drafts.request_draft(session, actor, start=first, end=last, seconds=seconds, history_months=0)
        draft_id = draft.id
    status = await run_draft(db.write_session, draft_id)
    if status != "done":
        return 0
    async with db.write_session() as session:
        return await drafts.publish(session, actor, draft_id)
