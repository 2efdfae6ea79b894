"""The app starts and its public pages answer."""

from __future__ import annotations

from tests.conftest import Browser, World


async def test_it_serves_the_landing_page(client: Browser) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "Set up your practice" in response.text


async def test_it_sends_anonymous_visitors_to_sign_in(client: Browser) -> None:
    response = await client.get("/members")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/members"


async def test_it_signs_in_and_shows_the_members(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    response = await client.get("/members")
    assert response.status_code == 200
    assert world.member.name in response.text
    assert world.outsider.name not in response.text
