"""Settings read from the environment.

Every field documents the variable that sets it. With nothing set, Rounds runs
embedded: one SQLite file under ``var/``, in-memory channels and an in-process
Dramatiq worker.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ("Settings", "get_settings")

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _var_dir() -> Path:
    path = Path(os.environ.get("ROUNDS_VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(var_dir: Path) -> str:
    """``SECRET_KEY``, or one generated once into ``var/secret_key`` and kept."""
    if key := os.environ.get("SECRET_KEY", "").strip():
        return key
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    """Rounds configuration; one field per environment variable."""

    var_dir: Path
    """``ROUNDS_VAR_DIR``: where the SQLite file, the generated secret and keys live (default ``var/``)."""
    database_url: str
    """``DATABASE_URL``: ``postgresql://...`` for production; default a SQLite file in ``var/``."""
    redis_url: str | None
    """``REDIS_URL``: Redis for channels (SSE across processes) and the Dramatiq broker."""
    secret_key: str
    """``SECRET_KEY``: signs CSRF tokens; generated into ``var/`` when absent."""
    base_url: str
    """``BASE_URL``: the public address used in emails (default ``http://HOST:PORT``)."""
    smtp_url: str | None
    """``SMTP_URL``: ``smtp://user:pass@host:port`` (``smtps://`` for TLS); unset keeps mail in the outbox page."""
    mail_from: str
    """``MAIL_FROM``: sender address of Rounds' emails."""
    session_idle_minutes: int
    """``SESSION_IDLE_MINUTES``: a session unused this long ends (default 60)."""
    session_absolute_hours: int
    """``SESSION_ABSOLUTE_HOURS``: a session ends this long after login whatever happens (default 12)."""
    secure_cookies: bool
    """Cookies carry ``Secure`` when ``BASE_URL`` is https."""
    in_process_worker: bool
    """``ROUNDS_INLINE_WORKER``: run the Dramatiq worker inside ``rounds serve`` (default: when no Redis)."""
    sweep_seconds: int = field(default=15)
    """``OUTBOX_SWEEP_SECONDS``: how often the sweeper re-sends change events left behind."""
    api_rate_limit_per_minute: int = field(default=300)
    """``API_RATE_LIMIT_PER_MINUTE``: JSON API requests one key (or one address without a key) may make a minute."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _async_url(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    var_dir = _var_dir()
    database_url = _async_url(os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{var_dir / 'rounds.db'}")
    redis_url = os.environ.get("REDIS_URL", "").strip() or None
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    base_url = (os.environ.get("BASE_URL", "").strip() or f"http://{host}:{port}").rstrip("/")
    inline = os.environ.get("ROUNDS_INLINE_WORKER", "").strip().lower()
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=_secret_key(var_dir),
        base_url=base_url,
        smtp_url=os.environ.get("SMTP_URL", "").strip() or None,
        mail_from=os.environ.get("MAIL_FROM", "Rounds <rounds@localhost>"),
        session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 60),
        session_absolute_hours=_env_int("SESSION_ABSOLUTE_HOURS", 12),
        secure_cookies=base_url.startswith("https://"),
        in_process_worker=(inline in {"1", "true", "yes"}) if inline else redis_url is None,
        sweep_seconds=_env_int("OUTBOX_SWEEP_SECONDS", 15),
        api_rate_limit_per_minute=max(1, _env_int("API_RATE_LIMIT_PER_MINUTE", 300)),
    )
