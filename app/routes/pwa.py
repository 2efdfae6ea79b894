"""The installable shell: service worker, manifest, offline page, health check, the demo mail outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import File, Template
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import client_ip
from app.config import get_settings
from app.models import EmailMessage
from app.routes._common import page

__all__ = ("PwaController",)

STATIC = Path(__file__).resolve().parent.parent / "static"
LOOPBACK = {"127.0.0.1", "::1", "testclient", "localhost"}


class PwaController(Controller):
    include_in_schema = False

    @get("/sw.js")
    async def service_worker(self) -> File:
        # Served from the root so that its scope is the whole site.
        return File(STATIC / "sw.js", media_type="text/javascript", content_disposition_type="inline",
                    headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"})

    @get("/manifest.json")
    async def manifest(self) -> File:
        return File(STATIC / "manifest.json", media_type="application/manifest+json",
                    content_disposition_type="inline")

    @get("/offline")
    async def offline_page(self, request: Request[Any, Any, Any]) -> Template:
        # Cached by the service worker: it must carry nobody's data.
        return Template("pages/offline.html", context={"auth": None, "offline_page": True},
                        media_type=MediaType.HTML)

    @get("/healthz")
    async def health(self, db: AsyncSession) -> Response[Any]:
        await db.execute(text("SELECT 1"))
        return Response({"status": "ok"}, headers={"Cache-Control": "no-store"})

    @get("/outbox")
    async def mail_outbox(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        """Without ``SMTP_URL``, the emails Rounds would have sent, for the demo and local use only."""
        if get_settings().smtp_url or client_ip(request.scope) not in LOOPBACK:
            raise NotFoundException()
        messages = (await db.execute(select(EmailMessage).order_by(EmailMessage.id.desc()).limit(50))).scalars().all()
        return page(request, "pages/outbox.html", messages=messages)
