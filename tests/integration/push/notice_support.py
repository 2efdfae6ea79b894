"""Helpers of the notice tests: people signed in with a phone each on the app whose mail goes to the local SMTP
server, the pushes and emails each of them got, and the push log and outbox rows behind them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.db import get_database
from app.models import EmailMessage, OutboxEvent, PushNotification
from tests.integration.push.conftest import enable_push

if TYPE_CHECKING:
    from tests.conftest import Browser, Persona
    from tests.integration.accounts.conftest import MailSetup
    from tests.integration.push.push_service import Device, PushService

__all__ = ("Person", "day_label", "emails_of", "event_id", "push_rows", "sign_in_with_phone", "subjects_to")


@dataclass(eq=False)
class Person:
    persona: Persona
    browser: Browser
    phone: Device

    def pushes(self, service: PushService, count: int | None = None) -> list[dict[str, Any]]:
        """The decrypted payloads this person's phone received (waiting for ``count`` of them), after checking
        that each arrived as the protocol wants (VAPID, aes128gcm, a TTL)."""
        got = service.wait_for(self.phone, count) if count else service.for_device(self.phone)
        assert all(r.problems == [] for r in got), [r.problems for r in got]
        return [r.payload for r in got]  # type: ignore[misc]


async def sign_in_with_phone(mail: MailSetup, service: PushService, persona: Persona) -> Person:
    browser = await mail.open_browser()
    await browser.login(persona.email)
    phone = service.device(persona.email)
    await enable_push(browser, phone)
    return Person(persona, browser, phone)


def day_label(day: date) -> str:
    """As the request pages and emails write a day: "Sat, Dec 5"."""
    return day.strftime("%a, %b ") + str(day.day)


def subjects_to(mail: MailSetup, address: str) -> list[str]:
    """Subjects of the emails the local SMTP server received for ``address``, in order (runs of spaces as one:
    folding a long subject with an encoded "·" in it can leave two)."""
    return [re.sub(" {2,}", " ", str(m["Subject"])) for m in mail.mailbox.messages if str(m["To"]) == address]


async def emails_of(address: str) -> list[EmailMessage]:
    async with get_database().read_session() as session:
        rows = await session.execute(select(EmailMessage).where(EmailMessage.to_address == address)
                                     .order_by(EmailMessage.id))
        return list(rows.scalars())


async def push_rows(user_id: int | None = None) -> list[PushNotification]:
    async with get_database().read_session() as session:
        query = select(PushNotification).order_by(PushNotification.id)
        if user_id is not None:
            query = query.where(PushNotification.user_id == user_id)
        return list((await session.execute(query)).scalars())


async def event_id(kind: str) -> int:
    """The id of the last change event of ``kind``."""
    async with get_database().read_session() as session:
        return (await session.execute(select(OutboxEvent.id).where(OutboxEvent.kind == kind)
                                      .order_by(OutboxEvent.id.desc()).limit(1))).scalar_one()
