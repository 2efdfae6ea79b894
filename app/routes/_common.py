"""What every HTML route uses: the database session, form parsing, page rendering, redirects."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import AuthContext, auth_of
from app.config import get_settings
from app.db import get_database
from app.views.notices import notice_text

__all__ = ("form_data", "page", "page_number", "provide_db", "redirect", "require_auth", "safe_next")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """A read session for safe requests, a write (``BEGIN IMMEDIATE`` on SQLite) one for the rest."""
    db = get_database()
    maker = db.read_session if request.method in SAFE_METHODS else db.write_session
    async with maker() as session:
        yield session


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted form as ``{name: str}`` (``{name: [str, ...]}`` for repeated names)."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        data[key] = values if len(values) > 1 else values[0]
    return data


def require_auth(request: Request[Any, Any, Any]) -> AuthContext:
    auth = auth_of(request)
    assert auth is not None, "guarded route reached without a session"
    return auth


def page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render ``template`` with what the base layout needs."""
    auth = auth_of(request)
    settings = get_settings()
    base = {
        "auth": auth,
        "notice": notice_text(request.query_params.get("notice")),
        "mail_outbox": settings.smtp_url is None,
        "tz": auth.organization.timezone if auth and auth.organization else "UTC",
    }
    return Template(template, context={**base, **context}, status_code=status_code, media_type=MediaType.HTML)


def page_number(raw: str | None) -> int:
    """A list's ``?page=``: a missing, malformed or absurdly large number is the first page (no 500 from an
    offset the database cannot hold)."""
    text = (raw or "").strip()
    return max(1, int(text)) if text.isdigit() and len(text) < 7 else 1


def redirect(path: str, *, notice: str | None = None, **params: str) -> Response[Any]:
    query = {**params, **({"notice": notice} if notice else {})}
    return Redirect(path + ("?" + urlencode(query) if query else ""), status_code=303)


def safe_next(target: str | None, default: str = "/home") -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative ``//``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
