"""Password reset by an emailed, single-use, expiring link, delivered through a real SMTP server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from app.db import get_database
from app.models import EmailMessage, UserToken, utcnow
from tests.conftest import PASSWORD, World
from tests.integration.accounts.conftest import MailSetup, count, field_error, form_alert

NEW_PASSWORD = "a brand new tide table"
USED = "This reset link has expired or was already used. Ask for a new one."


async def _reset_link(mail: MailSetup, email: str) -> str:
    response = await mail.client.post("/forgot-password", {"email": email})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=reset-sent"
    [message] = await mail.mailbox.wait_for(1)
    assert message["To"] == email
    assert "password" in message["Subject"].lower()
    return mail.mailbox.link(message, "/reset-password/")


async def test_it_mails_a_link_that_sets_a_new_password(mail: MailSetup, world: World) -> None:
    link = await _reset_link(mail, world.owner.email)
    assert mail.mailbox.recipients == [[world.owner.email]]

    form = await mail.client.get(link)
    assert form.status_code == 200
    assert 'id="f-password"' in form.text

    response = await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=password-reset"

    old = await mail.client.post("/login", {"email": world.owner.email, "password": PASSWORD})
    assert old.status_code == 422
    await mail.client.login(world.owner.email, NEW_PASSWORD)
    assert "Alpha Clinic" in (await mail.client.get("/home")).text


async def test_it_accepts_a_reset_link_only_once(mail: MailSetup, world: World) -> None:
    link = await _reset_link(mail, world.owner.email)
    first = await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert first.status_code == 303

    again = await mail.client.post(link, {"password": "yet another tide table",
                                          "password_confirm": "yet another tide table"})
    assert again.status_code == 422
    assert form_alert(again.text) == USED
    await mail.client.login(world.owner.email, NEW_PASSWORD)


async def test_it_refuses_an_expired_reset_link(mail: MailSetup, world: World) -> None:
    link = await _reset_link(mail, world.owner.email)
    async with get_database().write_session() as session:
        await session.execute(update(UserToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    response = await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert form_alert(response.text) == USED
    await mail.client.login(world.owner.email, PASSWORD)


async def test_it_keeps_the_link_usable_when_the_new_password_is_refused(mail: MailSetup, world: World) -> None:
    link = await _reset_link(mail, world.owner.email)

    weak = await mail.client.post(link, {"password": "password123", "password_confirm": "password123"})
    assert weak.status_code == 422
    assert field_error(weak.text, "password") == "This password is too common. Choose another."
    mismatch = await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 422
    assert field_error(mismatch.text, "password_confirm") == "The two passwords don't match."

    response = await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303


async def test_it_answers_the_same_for_an_unknown_email_and_sends_nothing(mail: MailSetup, world: World) -> None:
    unknown = await mail.client.post("/forgot-password", {"email": "nobody@alpha.example"})
    known = await mail.client.post("/forgot-password", {"email": world.owner.email})

    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["location"] == known.headers["location"]
    assert unknown.text == known.text
    await mail.mailbox.wait_for(1)
    await asyncio.sleep(0.3)  # room for a stray second message to arrive
    assert mail.mailbox.recipients == [[world.owner.email]]
    assert await count(EmailMessage, EmailMessage.to_address == "nobody@alpha.example") == 0


async def test_it_supersedes_an_earlier_link_with_a_new_one(mail: MailSetup, world: World) -> None:
    first = await _reset_link(mail, world.owner.email)
    await mail.client.post("/forgot-password", {"email": world.owner.email})
    await mail.mailbox.wait_for(2)
    second = mail.mailbox.link(mail.mailbox.messages[1], "/reset-password/")
    assert second != first

    stale = await mail.client.post(first, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert stale.status_code == 422
    assert form_alert(stale.text) == USED
    assert (await mail.client.post(second, {"password": NEW_PASSWORD,
                                            "password_confirm": NEW_PASSWORD})).status_code == 303


async def test_it_signs_out_every_session_when_the_password_is_reset(mail: MailSetup, world: World) -> None:
    elsewhere = await mail.open_browser()
    await elsewhere.login(world.owner.email)
    assert (await elsewhere.get("/home")).status_code == 200

    link = await _reset_link(mail, world.owner.email)
    await mail.client.post(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    response = await elsewhere.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/home"
