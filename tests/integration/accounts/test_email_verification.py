"""Email verification: sign-up mails a single-use link; opening it asks for a click before spending it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.db import get_database
from app.models import EmailMessage, User, UserToken, utcnow
from tests.integration.accounts.conftest import SIGNUP, MailSetup

FAILED = "This link has expired or was already used."


async def _verified_at(email: str) -> object:
    async with get_database().read_session() as session:
        return (await session.execute(select(User.email_verified_at).where(User.email == email))).scalar_one()


async def _sign_up_and_get_link(mail: MailSetup) -> str:
    response = await mail.client.post("/signup", SIGNUP)
    assert response.status_code == 303
    [message] = await mail.mailbox.wait_for(1)
    assert mail.mailbox.recipients == [[SIGNUP["email"]]]
    assert "verify" in mail.mailbox.text_of(message).lower() or "confirm" in mail.mailbox.text_of(message).lower()
    return mail.mailbox.link(message, "/verify-email/")


async def test_it_mails_a_verification_link_over_smtp_at_sign_up(mail: MailSetup) -> None:
    link = await _sign_up_and_get_link(mail)
    assert link.startswith("/verify-email/")
    # The worker marks the row sent after the SMTP server has taken the message, so the mailbox can be a
    # moment ahead of the row.
    for _ in range(50):
        async with get_database().read_session() as session:
            row = (await session.execute(select(EmailMessage))).scalar_one()
        if row.status != "queued":
            break
        await asyncio.sleep(0.1)
    assert (row.status, row.to_address) == ("sent", SIGNUP["email"])


async def test_it_asks_for_a_click_before_spending_the_link(mail: MailSetup) -> None:
    link = await _sign_up_and_get_link(mail)

    # A mail scanner following the link changes nothing.
    for _ in range(2):
        page = await mail.client.get(link)
        assert page.status_code == 200
        assert f'action="{link}"' in page.text
        assert "Verify my email" in page.text
    assert await _verified_at(SIGNUP["email"]) is None

    response = await mail.client.post(link)
    assert response.status_code == 303
    assert response.headers["location"] == "/home?notice=email-verified"
    assert await _verified_at(SIGNUP["email"]) is not None


async def test_it_accepts_a_verification_link_only_once(mail: MailSetup) -> None:
    link = await _sign_up_and_get_link(mail)
    assert (await mail.client.post(link)).status_code == 303

    again = await mail.client.post(link)
    assert again.status_code == 410
    assert FAILED in again.text


async def test_it_refuses_an_expired_verification_link(mail: MailSetup) -> None:
    link = await _sign_up_and_get_link(mail)
    async with get_database().write_session() as session:
        await session.execute(update(UserToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    response = await mail.client.post(link)
    assert response.status_code == 410
    assert FAILED in response.text
    assert await _verified_at(SIGNUP["email"]) is None


async def test_it_sends_a_new_link_on_request_and_the_old_one_stops_working(mail: MailSetup) -> None:
    first = await _sign_up_and_get_link(mail)

    response = await mail.client.post("/verify-email/resend")
    assert response.status_code == 303
    assert response.headers["location"] == "/home?notice=verify-sent"
    messages = await mail.mailbox.wait_for(2)
    second = mail.mailbox.link(messages[1], "/verify-email/")
    assert second != first

    assert (await mail.client.post(first)).status_code == 410
    assert (await mail.client.post(second)).status_code == 303
    assert await _verified_at(SIGNUP["email"]) is not None
