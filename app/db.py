"""Engines and sessions.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue for the
lock instead of failing half-way with "database is locked". Reads use a plain
deferred ``BEGIN`` and so never wait for writers. PostgreSQL needs none of this:
both session makers share one engine there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from app.config import Settings

__all__ = ("Database", "get_database", "init_database", "sync_url")


def sync_url(url: str) -> str:
    """The synchronous driver URL of an async one (workers and migrations use it)."""
    return url.replace("sqlite+aiosqlite://", "sqlite://")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Our own BEGIN statements below replace the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _prepare_sqlite(engine: Engine, *, immediate: bool) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


@dataclass
class Database:
    """The engines of one configuration and the session makers over them."""

    url: str
    read_engine: AsyncEngine
    write_engine: AsyncEngine
    read_session: async_sessionmaker[AsyncSession]
    write_session: async_sessionmaker[AsyncSession]
    sync_engine: Engine
    sync_session: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()
        self.sync_engine.dispose()


def _build(url: str) -> Database:
    if url.startswith("sqlite"):
        read_engine = create_async_engine(url)
        write_engine = create_async_engine(url)
        _prepare_sqlite(read_engine.sync_engine, immediate=False)
        _prepare_sqlite(write_engine.sync_engine, immediate=True)
        sync_engine = create_engine(sync_url(url))
        _prepare_sqlite(sync_engine, immediate=True)
    else:
        read_engine = write_engine = create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        sync_engine = create_engine(url, pool_pre_ping=True)
    return Database(
        url=url,
        read_engine=read_engine,
        write_engine=write_engine,
        read_session=async_sessionmaker(read_engine, expire_on_commit=False),
        write_session=async_sessionmaker(write_engine, expire_on_commit=False),
        sync_engine=sync_engine,
        sync_session=sessionmaker(sync_engine, expire_on_commit=False),
    )


_current: Database | None = None


def init_database(settings: Settings) -> Database:
    """(Re)build the engines for ``settings`` and make them the current ones."""
    global _current
    if _current is None or _current.url != settings.database_url:
        _current = _build(settings.database_url)
    return _current


def get_database() -> Database:
    if _current is None:
        from app.config import get_settings

        return init_database(get_settings())
    return _current
