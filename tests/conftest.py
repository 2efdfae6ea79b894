"""Shared fixtures: a migrated test database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
an app with its in-process worker, and fixed personas.

Personas (``world``): in "Alpha Clinic" an owner, a manager, a member and a viewer; in "Beta
Surgery" an outsider (its owner). Every persona's password is ``PASSWORD``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="rounds-tests-"))
os.environ["ROUNDS_VAR_DIR"] = str(_TMP)
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
if not os.environ.get("TEST_REDIS_URL"):
    os.environ.pop("REDIS_URL", None)
else:
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
os.environ.pop("SMTP_URL", None)
os.environ["ROUNDS_INLINE_WORKER"] = "1"
os.environ["BASE_URL"] = "http://testserver.local"

from sqlalchemy import text  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.db import get_database  # noqa: E402
from app.models import Base  # noqa: E402

PASSWORD = "correct-horse-battery"  # noqa: S105


def _reset_schema() -> None:
    from app.migrate import upgrade

    db = get_database()
    with db.sync_engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(Base.metadata.sorted_tables):
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        else:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade()


@pytest.fixture(scope="session", autouse=True)
def _database() -> Iterator[None]:
    get_settings.cache_clear()
    _reset_schema()
    yield


def truncate_all() -> None:
    db = get_database()
    names = [t.name for t in Base.metadata.sorted_tables]
    with db.sync_engine.begin() as conn:
        if db.is_sqlite:
            for name in reversed(names):
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
        else:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(autouse=True)
def _clean_tables() -> Iterator[None]:
    truncate_all()
    flush_queues()
    yield


def flush_queues() -> None:
    """Drop Dramatiq's queued jobs (whose ids restart with every test) and, with TEST_REDIS_URL, the rest of
    that Redis database (rate-limit counters): nothing may leak from one test into the next."""
    from workers.broker import broker

    broker.flush_all()
    if url := os.environ.get("TEST_REDIS_URL"):
        import redis

        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()


# -- personas --------------------------------------------------------------------------------------------


@dataclass
class Persona:
    email: str
    name: str
    role: str | None
    user_id: int
    membership_id: int | None
    organization_id: int


@dataclass
class World:
    alpha_id: int
    beta_id: int
    owner: Persona
    manager: Persona
    member: Persona
    viewer: Persona
    outsider: Persona


_HASH: dict[str, str] = {}


def _password_hash() -> str:
    if "h" not in _HASH:
        from app.services.security import hash_password

        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


async def make_world() -> World:
    from app.models import Membership, User, utcnow
    from app.services import organizations
    from app.services.actor import Actor
    from app.services.events import commit

    actor = Actor.system("test-setup")
    async with get_database().write_session() as session:
        def user(email: str, name: str) -> User:
            u = User(email=email, name=name, password_hash=_password_hash(), email_verified_at=utcnow())
            session.add(u)
            return u

        owner = user("owner@alpha.example", "Olga Owner")
        manager = user("manager@alpha.example", "Mona Manager")
        member = user("member@alpha.example", "Mel Member")
        viewer = user("viewer@alpha.example", "Vic Viewer")
        outsider = user("owner@beta.example", "Otto Outsider")
        await session.flush()
        alpha = await organizations.create_organization(session, actor, name="Alpha Clinic", owner=owner,
                                                        timezone="Europe/Berlin", country="DE")
        beta = await organizations.create_organization(session, actor, name="Beta Surgery", owner=outsider,
                                                       timezone="America/New_York", country="US")
        memberships = {}
        for u, role in ((manager, "manager"), (member, "member"), (viewer, "viewer")):
            m = Membership(user_id=u.id, organization_id=alpha.id, role=role)
            session.add(m)
            memberships[u.id] = m
        await session.flush()
        from sqlalchemy import select

        for u, org in ((owner, alpha), (outsider, beta)):
            memberships[u.id] = (await session.execute(select(Membership).where(
                Membership.user_id == u.id, Membership.organization_id == org.id))).scalar_one()
        await commit(session)

        def persona(u: User, org_id: int) -> Persona:
            m = memberships[u.id]
            return Persona(u.email, u.name, m.role, u.id, m.id, org_id)

        return World(alpha.id, beta.id, persona(owner, alpha.id), persona(manager, alpha.id),
                     persona(member, alpha.id), persona(viewer, alpha.id), persona(outsider, beta.id))


@pytest.fixture
async def world() -> World:
    return await make_world()


# -- HTTP client -----------------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Browser:
    """A test client that behaves like one browser: keeps cookies and sends the CSRF token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.client.get(url, **kw)

    async def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        if csrf and not self.client.cookies.get("csrftoken"):
            await self.client.get("/login")
        headers = kw.pop("headers", {})
        if csrf:
            headers["x-csrftoken"] = self.client.cookies.get("csrftoken")
        return await self.client.post(url, data=data or {}, headers=headers, **kw)

    async def login(self, email: str, password: str = PASSWORD) -> Any:
        response = await self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response

    @property
    def session_cookie(self) -> str | None:
        return self.client.cookies.get("rounds_session")


@pytest.fixture
def app() -> Any:
    from app.main import create_app

    return create_app()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Browser]:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        c.follow_redirects = False
        yield Browser(c)


@pytest.fixture
async def make_browser(app: Any, client: Browser) -> AsyncIterator[Any]:
    """Open more independent browsers (each with its own cookies) on the app ``client`` started."""
    import httpx

    opened: list[httpx.AsyncClient] = []

    async def open_browser() -> Browser:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("testclient", 50000)),
                              base_url="http://testserver.local", follow_redirects=False)
        opened.append(c)
        return Browser(c)

    yield open_browser
    for c in opened:
        await c.aclose()
