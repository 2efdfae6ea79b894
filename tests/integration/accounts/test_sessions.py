"""Sessions: idle and absolute expiry, CSRF on every form, a new id when privileges change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.db import get_database
from app.models import Membership, WebSession, utcnow
from app.services.security import hash_token
from tests.conftest import PASSWORD, Browser, World
from tests.integration.accounts.conftest import cookie_value, count, set_cookie_headers, visit_with_cookie


async def _age_session(token: str, **values: object) -> None:
    async with get_database().write_session() as session:
        await session.execute(update(WebSession).where(WebSession.id == hash_token(token)).values(**values))
        await session.commit()


async def test_it_keeps_a_session_that_was_used_within_the_idle_limit(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    token = client.session_cookie
    assert token
    await _age_session(token, last_seen_at=utcnow() - timedelta(minutes=55))

    assert (await client.get("/home")).status_code == 200
    # Using it counts as activity: the idle clock starts again.
    async with get_database().read_session() as session:
        row = await session.get(WebSession, hash_token(token))
    assert row is not None and utcnow() - row.last_seen_at < timedelta(minutes=1)


async def test_it_signs_out_a_session_idle_for_an_hour(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    token = client.session_cookie
    assert token
    await _age_session(token, last_seen_at=utcnow() - timedelta(minutes=61))

    response = await client.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/home"
    assert client.session_cookie is None  # the dead cookie is deleted
    assert await count(WebSession) == 0


async def test_it_signs_out_a_session_past_its_absolute_lifetime_even_if_active(client: Browser,
                                                                                world: World) -> None:
    await client.login(world.owner.email)
    token = client.session_cookie
    assert token
    await _age_session(token, created_at=utcnow() - timedelta(hours=12, minutes=1),
                       last_seen_at=utcnow(), expires_at=utcnow() - timedelta(minutes=1))

    response = await client.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/home"
    assert await count(WebSession) == 0


async def test_it_sets_the_absolute_lifetime_at_sign_in_to_twelve_hours(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    async with get_database().read_session() as session:
        row = (await session.execute(select(WebSession))).scalar_one()
    assert timedelta(hours=11, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=12)


async def test_it_refuses_a_form_without_the_csrf_token_and_changes_nothing(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    token = client.session_cookie

    response = await client.post("/logout", csrf=False)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert client.session_cookie == token
    assert (await client.get("/home")).status_code == 200

    response = await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"}, csrf=False)
    assert response.status_code == 403
    async with get_database().read_session() as session:
        role = (await session.execute(select(Membership.role).where(
            Membership.id == world.member.membership_id))).scalar_one()
    assert role == "member"


async def test_it_refuses_a_form_with_a_forged_csrf_token(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    await client.get("/home")
    response = await client.client.post("/logout", headers={"x-csrftoken": "forged-token-value"})
    assert response.status_code == 403
    assert (await client.get("/home")).status_code == 200


async def test_it_gives_a_member_a_new_session_id_when_their_role_changes(client: Browser, world: World,
                                                                         make_browser) -> None:
    member = await make_browser()
    await member.login(world.member.email)
    old = member.session_cookie
    assert old
    assert "You are Member here" in (await member.get("/home")).text

    await client.login(world.owner.email)
    response = await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})
    assert response.status_code == 303

    # The member's next request carries a new session cookie and sees the new role ...
    response = await member.get("/home")
    assert response.status_code == 200
    [header] = set_cookie_headers(response)
    new = cookie_value(header)
    assert new and new != old
    assert member.session_cookie == new
    assert "You are Viewer here" in response.text
    # ... and the old cookie is worth nothing.
    stranger = await make_browser()
    stale = await visit_with_cookie(stranger, "/home", old)
    assert stale.status_code == 303
    assert stale.headers["location"].startswith("/login")
    # The new one keeps working without another rotation.
    again = await member.get("/home")
    assert again.status_code == 200
    assert set_cookie_headers(again) == []


async def test_it_sends_parallel_requests_with_an_expired_cookie_to_sign_in(client: Browser, world: World,
                                                                           make_browser) -> None:
    # A page and its htmx fragments, all fired at once after the session went idle.
    browsers = [await make_browser() for _ in range(6)]
    for _ in range(3):
        await client.login(world.owner.email)
        token = client.session_cookie
        assert token
        await _age_session(token, last_seen_at=utcnow() - timedelta(minutes=61))

        responses = await asyncio.gather(*(visit_with_cookie(b, "/home", token) for b in browsers))

        assert [r.status_code for r in responses] == [303] * 6
        assert all(r.headers["location"] == "/login?next=/home" for r in responses)
    assert await count(WebSession) == 0


async def test_it_signs_out_even_when_sign_out_is_the_first_request_after_a_role_change(
    client: Browser, world: World, make_browser
) -> None:
    member = await make_browser()
    await member.login(world.member.email)
    await client.login(world.owner.email)
    assert (await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})).status_code == 303

    response = await member.post("/logout")
    assert response.status_code == 303
    # A browser applies Set-Cookie headers in order: the last one must delete the session cookie ...
    headers = set_cookie_headers(response)
    assert headers and cookie_value(headers[-1]) in {"", '""'}
    # ... and no session id handed out on the way works.
    stranger = await make_browser()
    for header in headers:
        if cookie_value(header) not in {"", '""'}:
            assert (await visit_with_cookie(stranger, "/home", cookie_value(header))).status_code == 303
    assert (await member.get("/home")).status_code == 303
    assert await count(WebSession, WebSession.user_id == world.member.user_id) == 0


async def test_it_signs_in_a_browser_that_still_carries_a_dead_session_cookie(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    stale = client.session_cookie
    assert stale
    await _age_session(stale, last_seen_at=utcnow() - timedelta(minutes=61))

    # The login form was already open (another tab); the cookie died meanwhile.
    response = await client.post("/login", {"email": world.owner.email, "password": PASSWORD})
    assert response.status_code == 303
    headers = set_cookie_headers(response)
    issued = cookie_value(headers[-1])  # what a browser keeps: the last one
    assert issued not in {"", '""', stale}
    assert (await visit_with_cookie(client, "/home", issued)).status_code == 200
