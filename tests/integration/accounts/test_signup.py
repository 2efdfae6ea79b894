"""Sign-up: one form creates the account, the practice and the owner membership, or nothing at all."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.db import get_database
from app.models import AuditEntry, EmailMessage, Membership, Organization, User, WebSession
from tests.conftest import Browser
from tests.integration.accounts.conftest import SIGNUP, count, field_error, form_alert

DUPLICATE = "An account with this email already exists. Sign in, or reset your password."


async def _totals() -> dict[str, int]:
    return {m.__name__: await count(m) for m in (User, Organization, Membership, AuditEntry, EmailMessage,
                                                   WebSession)}


async def test_it_creates_the_account_and_practice_and_signs_in(client: Browser) -> None:
    response = await client.post("/signup", SIGNUP)
    assert response.status_code == 303
    assert client.session_cookie
    # The next page (home, or the setup wizard that follows sign-up) opens signed in.
    landing = await client.get(response.headers["location"])
    assert landing.status_code == 200

    home = await client.get("/home")
    assert home.status_code == 200
    assert "Harbour Physio" in home.text

    async with get_database().read_session() as session:
        user = (await session.execute(select(User).where(User.email == "olga@alpha.example"))).scalar_one()
        org = (await session.execute(select(Organization).where(Organization.name == "Harbour Physio"))).scalar_one()
        membership = (await session.execute(select(Membership).where(Membership.user_id == user.id))).scalar_one()
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
        mail = (await session.execute(select(EmailMessage).where(
            EmailMessage.to_address == "olga@alpha.example"))).scalar_one()
    assert user.name == "Olga Owner"
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$") and SIGNUP["password"] not in user.password_hash
    assert (org.timezone, org.country) == ("Europe/London", "GB")
    assert (membership.organization_id, membership.role, membership.active) == (org.id, "owner", True)
    assert {"account.signed_up", "organization.created"} <= actions
    assert "/verify-email/" in mail.body_text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Enter your name."),
        ("email", "olga-at-alpha", "Enter an email address like name@example.com."),
        ("email", "", "Enter your email address."),
        ("password", "short", "Use at least 10 characters."),
        ("password", "password123", "This password is too common. Choose another."),
        ("password", "olga-is-the-best", "Don't use your name or email address in your password."),
        ("practice_name", "", "Enter the name of your practice."),
        ("timezone", "Mars/Olympus_Mons", "Choose a timezone from the list."),
        ("country", "XX", "Choose a country from the list."),
    ],
)
async def test_it_refuses_bad_input_beside_the_field_and_writes_nothing(
    client: Browser, field: str, value: str, message: str
) -> None:
    before = await _totals()
    response = await client.post("/signup", {**SIGNUP, field: value})
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert 'aria-invalid="true"' in response.text
    # What was typed stays in the form, except the password.
    if field != "practice_name":
        assert 'value="Harbour Physio"' in response.text
    assert SIGNUP["password"] not in response.text
    assert client.session_cookie is None
    assert await _totals() == before


async def test_it_refuses_an_email_already_taken_whatever_its_case_and_spaces(client: Browser,
                                                                              make_browser) -> None:
    assert (await client.post("/signup", SIGNUP)).status_code == 303
    before = await _totals()

    other = await make_browser()
    response = await other.post("/signup", {**SIGNUP, "email": "  Olga@Alpha.EXAMPLE ",
                                           "practice_name": "Another Practice"})
    assert response.status_code == 422
    assert field_error(response.text, "email") == DUPLICATE
    assert other.session_cookie is None
    assert await _totals() == before
    assert await count(Organization, Organization.name == "Another Practice") == 0


async def test_it_stores_the_email_trimmed_and_lower_cased_so_sign_in_matches(client: Browser,
                                                                             make_browser) -> None:
    response = await client.post("/signup", {**SIGNUP, "email": "  Olga@Alpha.EXAMPLE "})
    assert response.status_code == 303
    assert await count(User, User.email == "olga@alpha.example") == 1

    other = await make_browser()
    await other.login("OLGA@alpha.example", SIGNUP["password"])
    assert "Harbour Physio" in (await other.get("/home")).text


async def test_it_makes_one_account_of_two_simultaneous_identical_sign_ups(client: Browser, make_browser) -> None:
    first, second = await make_browser(), await make_browser()
    for browser in (first, second):
        await browser.get("/signup")  # each gets its own CSRF cookie

    responses = await asyncio.gather(first.post("/signup", SIGNUP), second.post("/signup", SIGNUP))

    assert sorted(r.status_code for r in responses) == [303, 422]
    loser = next(r for r in responses if r.status_code == 422)
    assert field_error(loser.text, "email") == DUPLICATE
    assert form_alert(loser.text) is None
    assert await count(User, User.email == "olga@alpha.example") == 1
    assert await count(Organization) == 1
    assert await count(Membership) == 1
    assert await count(AuditEntry, AuditEntry.action == "organization.created") == 1
    assert await count(EmailMessage) == 1
    winner = first if responses[0].status_code == 303 else second
    assert "Harbour Physio" in (await winner.get("/home")).text


async def test_it_sends_a_signed_in_visitor_from_the_sign_up_page_home(client: Browser) -> None:
    await client.post("/signup", SIGNUP)
    response = await client.get("/signup")
    assert response.status_code == 303
    assert response.headers["location"] == "/home"


async def test_it_lets_two_practices_of_the_same_name_sign_up_at_once(client: Browser, make_browser) -> None:
    first, second = await make_browser(), await make_browser()
    for browser in (first, second):
        await browser.get("/signup")

    responses = await asyncio.gather(
        first.post("/signup", SIGNUP),
        second.post("/signup", {**SIGNUP, "name": "Bea Other", "email": "bea@harbour.example"}),
    )

    assert [r.status_code for r in responses] == [303, 303]
    async with get_database().read_session() as session:
        slugs = set((await session.execute(select(Organization.slug))).scalars())
    assert slugs == {"harbour-physio", "harbour-physio-2"}
    for browser in (first, second):
        assert "Harbour Physio" in (await browser.get("/home")).text
