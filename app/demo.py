"""The demo practice ``make run`` starts with: an owner, a manager, three physicians and an operator."""

from __future__ import annotations

from sqlalchemy import select

from app.db import get_database
from app.models import Membership, Organization, User, utcnow
from app.services import audit, organizations
from app.services.actor import Actor
from app.services.events import commit
from app.services.security import hash_password

__all__ = ("DEMO_PASSWORD", "DEMO_PEOPLE", "DEMO_SLUG", "seed_demo")

DEMO_SLUG = "riverside-family-practice"
DEMO_PASSWORD = "rounds-demo-2026"
# (role, email, name, phone, qualifications)
DEMO_PEOPLE = [
    ("owner", "olivia.owner@riverside.example", "Dr. Olivia Hart", "+1 555 0100", ["PEDS"]),
    ("manager", "max.manager@riverside.example", "Max Mendez", "+1 555 0101", []),
    ("member", "amir.patel@riverside.example", "Dr. Amir Patel", "+1 555 0102", ["PEDS"]),
    ("member", "bea.nguyen@riverside.example", "Dr. Bea Nguyen", "+1 555 0103", []),
    ("member", "carl.jensen@riverside.example", "Dr. Carl Jensen", "+1 555 0104", ["OB"]),
    ("viewer", "operator@riverside.example", "Hospital Operator", None, []),
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
