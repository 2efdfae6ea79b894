"""Signing in: one message for every wrong pair, throttling, a new session id at every sign-in, sign-out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from app.db import get_database
from app.models import LoginAttempt, WebSession, utcnow
from app.services.security import hash_token
from tests.conftest import PASSWORD, Browser, World
from tests.integration.accounts.conftest import (
    cookie_value,
    count,
    form_alert,
    set_cookie_headers,
    visit_with_cookie,
)

NO_MATCH = "That email and password don't match an account. Check them and try again."
THROTTLED = "Too many failed sign-in attempts."


async def test_it_signs_in_with_the_right_password_whatever_the_case_of_the_email(client: Browser,
                                                                                    world: World) -> None:
    response = await client.post("/login", {"email": "  Owner@ALPHA.example ", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    home = await client.get("/home")
    assert home.status_code == 200
    assert "Alpha Clinic" in home.text


async def test_it_gives_one_message_for_an_unknown_email_and_a_wrong_password(client: Browser,
                                                                             world: World) -> None:
    unknown = await client.post("/login", {"email": "nobody@alpha.example", "password": PASSWORD})
    wrong = await client.post("/login", {"email": world.owner.email, "password": "not-the-password"})

    assert unknown.status_code == wrong.status_code == 422
    assert form_alert(unknown.text) == form_alert(wrong.text) == NO_MATCH
    assert client.session_cookie is None
    assert (await client.get("/home")).status_code == 303


async def test_it_only_goes_where_next_points_on_this_site(client: Browser, world: World) -> None:
    response = await client.post("/login", {"email": world.owner.email, "password": PASSWORD,
                                            "next": "//evil.example/phish"})
    assert response.headers["location"] == "/home"
    response = await client.post("/login", {"email": world.owner.email, "password": PASSWORD,
                                            "next": "/members"})
    assert response.headers["location"] == "/members"


async def test_it_refuses_even_the_right_password_after_five_failures(client: Browser, world: World,
                                                                      make_browser) -> None:
    for _ in range(5):
        response = await client.post("/login", {"email": world.owner.email, "password": "guess-guess-guess"})
        assert response.status_code == 422

    response = await client.post("/login", {"email": world.owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert THROTTLED in (form_alert(response.text) or "")
    assert client.session_cookie is None
    # Another browser (the attacker's or the owner's) is refused too: the limit is the account's.
    other = await make_browser()
    assert (await other.post("/login", {"email": world.owner.email, "password": PASSWORD})).status_code == 429
    # Other accounts are unaffected.
    await other.login(world.member.email)


async def test_it_lets_the_account_sign_in_again_once_the_failures_are_five_minutes_old(client: Browser,
                                                                                        world: World) -> None:
    for _ in range(5):
        await client.post("/login", {"email": world.owner.email, "password": "guess-guess-guess"})
    assert (await client.post("/login", {"email": world.owner.email, "password": PASSWORD})).status_code == 429

    async with get_database().write_session() as session:
        await session.execute(update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=5, seconds=5)))
        await session.commit()
    await client.login(world.owner.email)


async def test_it_gives_a_new_session_id_at_sign_in_and_the_old_one_stops_working(client: Browser, world: World,
                                                                                  make_browser) -> None:
    await client.login(world.member.email)
    first = client.session_cookie
    assert first

    await client.login(world.owner.email)
    second = client.session_cookie
    assert second and second != first

    stranger = await make_browser()
    stale = await visit_with_cookie(stranger, "/home", first)
    assert stale.status_code == 303
    assert stale.headers["location"].startswith("/login")
    assert await count(WebSession, WebSession.id == hash_token(first)) == 0
    assert "Alpha Clinic" in (await client.get("/home")).text


async def test_it_does_not_keep_a_planted_session_id(client: Browser, world: World) -> None:
    planted = "attacker-chosen-session-id"
    client.client.cookies.set("rounds_session", planted, domain="testserver.local")
    response = await client.login(world.owner.email)
    issued = cookie_value(set_cookie_headers(response)[-1])
    assert issued != planted
    assert client.session_cookie == issued


async def test_it_sets_the_session_cookie_http_only_and_same_site_lax(client: Browser, world: World) -> None:
    response = await client.login(world.owner.email)
    [header] = set_cookie_headers(response)
    attributes = {part.strip().split("=", 1)[0].lower(): part.strip() for part in header.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    # Only a hash of the cookie is stored: a copy of the database does not hand out sessions.
    token = cookie_value(header)
    assert await count(WebSession, WebSession.id == token) == 0
    assert await count(WebSession, WebSession.id == hash_token(token)) == 1


async def test_it_ends_the_session_at_sign_out(client: Browser, world: World, make_browser) -> None:
    await client.login(world.owner.email)
    token = client.session_cookie
    assert token

    response = await client.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert client.session_cookie is None

    stranger = await make_browser()
    replay = await visit_with_cookie(stranger, "/home", token)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/login?next=/home"
    assert await count(WebSession) == 0


async def test_it_counts_failures_for_an_account_whatever_the_case_of_the_email(client: Browser,
                                                                               world: World) -> None:
    for variant in ("owner@alpha.example", "OWNER@alpha.example", " Owner@Alpha.Example", "owner@ALPHA.EXAMPLE ",
                    "oWnEr@alpha.example"):
        assert (await client.post("/login", {"email": variant, "password": "guess-guess-guess"})).status_code == 422
    assert (await client.post("/login", {"email": world.owner.email, "password": PASSWORD})).status_code == 429


async def test_it_refuses_an_address_after_twenty_failures_across_accounts(client: Browser, world: World) -> None:
    for i in range(20):
        response = await client.post("/login", {"email": f"guess{i}@alpha.example", "password": "guess-guess"})
        assert response.status_code == 422
    response = await client.post("/login", {"email": world.member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert THROTTLED in (form_alert(response.text) or "")


async def test_it_allows_no_more_than_five_guesses_when_they_arrive_all_at_once(client: Browser, world: World,
                                                                                make_browser) -> None:
    browsers = [await make_browser() for _ in range(12)]
    for browser in browsers:
        await browser.get("/login")

    responses = await asyncio.gather(*(
        b.post("/login", {"email": world.owner.email, "password": f"guess-number-{i}"})
        for i, b in enumerate(browsers)
    ))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [422] * 5 + [429] * 7
    assert await count(LoginAttempt, LoginAttempt.succeeded.is_(False)) == 5
