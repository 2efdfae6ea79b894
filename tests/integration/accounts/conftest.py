"""Helpers for the accounts tests: reading the pages, the database, and a real SMTP server to mail to."""

from __future__ import annotations

import asyncio
import email
import email.policy
import html
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import get_database
from tests.conftest import Browser

SIGNUP = {
    "name": "Olga Owner",
    "email": "olga@alpha.example",
    "password": "a long quiet harbour",
    "practice_name": "Harbour Physio",
    "timezone": "Europe/London",
    "country": "GB",
}


def field_error(page: str, name: str) -> str | None:
    """The message shown beside form field ``name`` (the element ``#f-<name>-error``), unescaped."""
    match = re.search(rf'id="f-{re.escape(name)}-error"[^>]*>(.*?)</', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def form_alert(page: str) -> str | None:
    """The form-wide error (``role="alert"``), unescaped."""
    match = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


async def count(model: Any, *where: Any) -> int:
    async with get_database().read_session() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def visit_with_cookie(browser: Browser, path: str, token: str) -> Any:
    """GET ``path`` presenting ``token`` as the session cookie (as a stolen or stale cookie would be)."""
    return await browser.client.get(path, headers={"Cookie": f"rounds_session={token}"})


def set_cookie_headers(response: Any, name: str = "rounds_session") -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{name}=")]


def cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


# -- a real SMTP server ----------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def wait_for(self, n: int = 1, *, within: float = 5.0) -> list[email.message.EmailMessage]:
        """The messages received, once there are at least ``n`` (polling up to ``within`` seconds)."""
        for _ in range(int(within / 0.05)):
            if len(self.messages) >= n:
                return self.messages
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {n} email(s) within {within}s, got {len(self.messages)}")

    @staticmethod
    def text_of(message: email.message.EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    def link(self, message: email.message.EmailMessage, prefix: str) -> str:
        """The path of the first link under ``prefix`` in the plain-text body (``/reset-password/...``)."""
        match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[A-Za-z0-9_\-]+)", self.text_of(message))
        assert match, self.text_of(message)
        return match.group(1)


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mailbox.recipients.append(list(envelope.rcpt_tos))
        self.mailbox.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailSetup:
    client: Browser
    mailbox: Mailbox
    app: Any
    others: list[Any] = field(default_factory=list)

    async def open_browser(self) -> Browser:
        """Another browser (own cookies) on the same running app."""
        import httpx

        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("testclient", 50000)),
                              base_url="http://testserver.local", follow_redirects=False)
        self.others.append(c)
        return Browser(c)


@pytest.fixture
async def mail(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MailSetup]:
    """An app (with its in-process worker) whose mail goes to a local SMTP server, and that server's mailbox."""
    from aiosmtpd.controller import Controller
    from litestar.testing import AsyncTestClient

    from app.config import get_settings
    from app.main import create_app

    mailbox = Mailbox()
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    get_settings.cache_clear()
    try:
        assert get_settings().smtp_url is not None
        app = create_app()
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
            c.follow_redirects = False
            setup = MailSetup(Browser(c), mailbox, app)
            try:
                yield setup
            finally:
                for other in setup.others:
                    await other.aclose()
    finally:
        controller.stop()
        monkeypatch.delenv("SMTP_URL", raising=False)
        monkeypatch.undo()
        get_settings.cache_clear()
