"""Limits that stop abuse of the account flows without telling an attacker anything."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import get_database
from app.models import EmailMessage
from tests.conftest import Browser, World


async def test_it_mails_at_most_three_reset_links_an_hour(client: Browser, world: World) -> None:
    answers = [await client.post("/forgot-password", {"email": world.member.email}) for _ in range(5)]
    assert {(r.status_code, r.headers["location"]) for r in answers} == {(303, "/login?notice=reset-sent")}
    async with get_database().read_session() as session:
        sent = (await session.execute(select(func.count()).select_from(EmailMessage).where(
            EmailMessage.to_address == world.member.email))).scalar_one()
    assert sent == 3


async def test_it_tells_a_throttled_browser_when_to_retry(client: Browser, world: World) -> None:
    for _ in range(5):
        await client.post("/login", {"email": world.member.email, "password": "wrong-password-x"})
    throttled = await client.post("/login", {"email": world.member.email, "password": "wrong-password-x"})
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 300
