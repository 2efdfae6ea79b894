"""Helpers for the live tests: real ``rounds`` processes on free ports, seeding, browsers and an SSE reader.

The processes get an environment of their own (never the test process's ``ROUNDS_INLINE_WORKER=1`` or
``BASE_URL``), their output goes to a log file that a failing test prints, and they are stopped with
SIGTERM (SIGKILL after a grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
SECRET = "live-tests-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rounds_command(*args: str) -> list[str]:
    """The installed ``rounds`` script next to this interpreter, else ``python -m app.cli``."""
    script = Path(sys.executable).parent / "rounds"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "app.cli", *args]


def process_env(
    *, database_url: str, var_dir: Path, redis_url: str | None = None, inline_worker: bool | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a ``rounds`` process: only what we choose of the test process's Rounds settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "ROUNDS_INLINE_WORKER",
            "ROUNDS_VAR_DIR",
            "BASE_URL",
            "SMTP_URL",
            "HOST",
            "PORT",
            "SECRET_KEY",
            "OUTBOX_SWEEP_SECONDS",
        }
    }
    env.update(
        DATABASE_URL=database_url,
        ROUNDS_VAR_DIR=str(var_dir),
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    if inline_worker is not None:
        env["ROUNDS_INLINE_WORKER"] = "1" if inline_worker else "0"
    env.update(extra)
    return env


def run_rounds(env: dict[str, str], *args: str) -> str:
    """Run a ``rounds`` command to completion; its stdout, or an AssertionError with its output."""
    done = subprocess.run(
        rounds_command(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"rounds {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class RoundsProcess:
    """A ``rounds serve`` or ``rounds worker`` child process."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return f"--- {self.name} log (last {lines} lines) ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 8.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def start_process(
    name: str,
    args: list[str],
    env: dict[str, str],
    log_dir: Path,
    port: int | None = None,
) -> RoundsProcess:
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        rounds_command(*args), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return RoundsProcess(name, proc, log_path, port, log)


def start_server(name: str, env: dict[str, str], log_dir: Path, *, timeout: float = 90.0) -> RoundsProcess:
    """``rounds serve`` on a free port, once ``/healthz`` answers."""
    port = free_port()
    env = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
    server = start_process(name, ["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_dir, port)
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            server.stop()
            raise AssertionError(f"{name} exited with {server.proc.returncode}\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"{name} did not answer /healthz within {timeout}s\n{server.log_tail()}")
        time.sleep(0.2)


def wait_until(check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; that value, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# -- seeding ----------------------------------------------------------------------------------------------


def sync_database_url(url: str) -> str:
    """A synchronous SQLAlchemy URL for ``DATABASE_URL`` (psycopg 3 for PostgreSQL)."""
    from app.config import _async_url
    from app.db import sync_url

    return sync_url(_async_url(url))


def add_member(database_url: str, org_slug: str, email: str, name: str, role: str = "member") -> int:
    """Insert a verified user with ``PASSWORD`` and an active membership; the membership's id."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.models import Membership, Organization, User, utcnow
    from app.services.security import hash_password

    engine = create_engine(sync_database_url(database_url))
    try:
        with Session(engine) as session:
            org = session.execute(select(Organization).where(Organization.slug == org_slug)).scalar_one()
            user = User(email=email, name=name, password_hash=hash_password(PASSWORD), email_verified_at=utcnow())
            session.add(user)
            session.flush()
            membership = Membership(user_id=user.id, organization_id=org.id, role=role)
            session.add(membership)
            session.commit()
            return membership.id
    finally:
        engine.dispose()


def insert_stranded_event(
    database_url: str, org_slug: str, *, kind: str = "members.invited", age_seconds: float = 300
) -> int:
    """An unprocessed change event committed ``age_seconds`` ago and never dispatched (as a crash between
    commit and dispatch leaves it); its id."""
    from datetime import timedelta

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.models import Organization, OutboxEvent, utcnow

    engine = create_engine(sync_database_url(database_url))
    try:
        with Session(engine) as session:
            org_id = session.execute(select(Organization.id).where(Organization.slug == org_slug)).scalar_one()
            event = OutboxEvent(
                organization_id=org_id,
                kind=kind,
                entity_type="invitation",
                entity_id="1",
                payload={},
                created_at=utcnow() - timedelta(seconds=age_seconds),
            )
            session.add(event)
            session.commit()
            return event.id
    finally:
        engine.dispose()


def query_one(database_url: str, statement: Any) -> Any:
    """One row of ``statement`` read through a short-lived engine (what another process committed)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(sync_database_url(database_url))
    try:
        with Session(engine) as session:
            return session.execute(statement).first()
    finally:
        engine.dispose()


# -- browsers ---------------------------------------------------------------------------------------------


class LiveBrowser:
    """An httpx client against one server that keeps cookies and echoes the CSRF cookie in ``x-csrftoken``."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=10)

    async def __aenter__(self) -> LiveBrowser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def post(self, url: str, data: dict[str, Any] | None = None) -> httpx.Response:
        if not self.client.cookies.get("csrftoken"):
            await self.client.get("/login")
        token = self.client.cookies.get("csrftoken")
        assert token, "the server set no csrftoken cookie"
        return await self.client.post(url, data=data or {}, headers={"x-csrftoken": token})

    async def login(self, email: str, password: str = PASSWORD) -> None:
        response = await self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, (response.status_code, response.text[:500])
        assert self.client.cookies.get("rounds_session"), "no session cookie after signing in"


class SSEReader:
    """Reads ``/events`` in the background and queues each event as a dict (``event``, ``data``, ``id``,
    ``comment``); ``None`` is queued when the server ends the stream."""

    def __init__(self, client: httpx.AsyncClient, path: str = "/events") -> None:
        self.client, self.path = client, path
        self.events: asyncio.Queue[dict[str, str] | None] = asyncio.Queue()
        self.seen: list[dict[str, str]] = []
        self.response: httpx.Response | None = None
        self._stack = contextlib.AsyncExitStack()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SSEReader:
        self.response = await self._stack.enter_async_context(
            self.client.stream(
                "GET", self.path, headers={"accept": "text/event-stream"}, timeout=httpx.Timeout(10, read=None)
            )
        )
        assert self.response.status_code == 200, self.response.status_code
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self._task = asyncio.create_task(self._read())
        # The stream says ": connected" once it is subscribed: only then is a change sure to reach it.
        first = await self.next(10)
        assert first is not None and "connected" in first.get("comment", ""), first
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task
        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            await self._stack.aclose()

    async def _read(self) -> None:
        assert self.response is not None
        event: dict[str, str] = {}
        try:
            async for line in self.response.aiter_lines():
                if not line:
                    if event:
                        self.seen.append(event)
                        self.events.put_nowait(event)
                        event = {}
                    continue
                key, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if key == "":
                    event["comment"] = (event.get("comment", "") + "\n" + value).lstrip("\n")
                elif key == "data":
                    event["data"] = (event.get("data", "") + "\n" + value).lstrip("\n")
                else:
                    event[key] = value
        except httpx.HTTPError:
            pass
        finally:
            self.events.put_nowait(None)

    async def next(self, within: float) -> dict[str, str] | None:
        return await asyncio.wait_for(self.events.get(), timeout=within)

    async def wait_for(self, event_name: str, within: float) -> dict[str, str]:
        """The next event named ``event_name`` within ``within`` seconds (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {event_name!r} event within {within}s; saw {self.seen}")
            try:
                event = await self.next(remaining)
            except TimeoutError:
                raise AssertionError(f"no {event_name!r} event within {within}s; saw {self.seen}") from None
            if event is None:
                raise AssertionError(f"the stream ended before a {event_name!r} event; saw {self.seen}")
            if event.get("event") == event_name:
                return event

    async def wait_closed(self, within: float) -> None:
        """The server ends the stream within ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            remaining = deadline - loop.time()
            try:
                event = await self.next(max(remaining, 0.01))
            except TimeoutError:
                raise AssertionError(f"the stream was still open after {within}s; saw {self.seen}") from None
            if event is None:
                return
