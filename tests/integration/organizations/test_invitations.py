"""Inviting people by email and accepting the invitation, as a new or an existing user."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import EmailMessage, Invitation, Membership, User
from tests.conftest import Browser, World
from tests.integration.tenancy import (
    count,
    execute,
    expire_invitations,
    field_error,
    invitation_token,
    invitations,
    page_text,
)

NEWCOMER = "nora.new@example.org"


async def invite(browser: Browser, email: str, role: str = "member") -> Any:
    return await browser.post("/members/invite", {"email": email, "role": role})


@pytest.mark.parametrize("inviter", ["owner", "manager"])
async def test_it_lets_owners_and_managers_invite_by_email(client: Browser, world: World, inviter: str) -> None:
    await client.login(getattr(world, inviter).email)

    response = await invite(client, "  Nora.New@Example.org ", "viewer")

    assert response.status_code == 303
    assert response.headers["location"] == "/members?notice=invited"
    [invitation] = await invitations(world.alpha_id, NEWCOMER)
    assert invitation.role == "viewer"
    assert invitation.status == "pending"
    token = await invitation_token(NEWCOMER)
    assert len(token) >= 32
    listing = await client.get("/members")
    assert NEWCOMER in listing.text  # shown under pending invitations


async def test_it_mails_a_link_that_names_the_organization(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)

    token = await invitation_token(NEWCOMER)

    assert await count(EmailMessage, EmailMessage.to_address == NEWCOMER) == 1
    assert f"http://testserver.local/invite/{token}" in (await _latest_email(NEWCOMER)).body_text
    assert "Alpha Clinic" in (await _latest_email(NEWCOMER)).body_text


async def _latest_email(address: str) -> EmailMessage:
    from sqlalchemy import select

    from app.db import get_database

    async with get_database().read_session() as session:
        return (await session.execute(select(EmailMessage).where(EmailMessage.to_address == address)
                                      .order_by(EmailMessage.id.desc()))).scalars().first()


async def test_it_refuses_a_second_pending_invitation_to_one_address(client: Browser, world: World) -> None:
    await client.login(world.manager.email)
    await invite(client, NEWCOMER)

    response = await invite(client, NEWCOMER.upper(), "manager")

    assert response.status_code == 422
    assert field_error(response.text, "email") == (
        f"{NEWCOMER} has already been invited. Revoke that invitation to send a new one.")
    assert len(await invitations(world.alpha_id, NEWCOMER)) == 1
    assert await count(EmailMessage, EmailMessage.to_address == NEWCOMER) == 1


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_it_refuses_to_invite_someone_who_is_already_a_member(client: Browser, world: World, who: str) -> None:
    address = getattr(world, who).email
    await client.login(world.owner.email)

    response = await invite(client, address)

    assert response.status_code == 422
    assert field_error(response.text, "email") == f"{address} is already a member."
    assert await invitations(world.alpha_id, address) == []
    assert await count(EmailMessage, EmailMessage.to_address == address) == 0


async def test_it_refuses_to_invite_a_deactivated_member_and_says_to_reactivate(client: Browser, world: World) -> None:
    await execute("UPDATE memberships SET active = :off WHERE id = :id", off=False, id=world.member.membership_id)
    await client.login(world.owner.email)

    response = await invite(client, world.member.email)

    assert response.status_code == 422
    assert "reactivate them instead" in field_error(response.text, "email")
    assert await invitations(world.alpha_id, world.member.email) == []


async def test_it_shows_a_bad_address_beside_the_field(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await invite(client, "not-an-address")

    assert response.status_code == 422
    assert field_error(response.text, "email") == "Enter an email address like name@example.com."
    assert await count(Invitation) == 0


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_it_forbids_members_and_viewers_to_invite(client: Browser, world: World, who: str) -> None:
    await client.login(getattr(world, who).email)

    response = await invite(client, NEWCOMER)

    assert response.status_code == 403
    assert await count(Invitation) == 0
    assert await count(EmailMessage, EmailMessage.to_address == NEWCOMER) == 0
    assert "Send invitation" not in (await client.get("/members")).text


async def test_it_forbids_a_manager_to_invite_an_owner(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    response = await invite(client, NEWCOMER, "owner")

    assert response.status_code == 403
    assert await count(Invitation) == 0
    assert await count(EmailMessage, EmailMessage.to_address == NEWCOMER) == 0


async def test_it_lets_a_new_person_create_an_account_and_join(client: Browser, world: World,
                                                               make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER, "viewer")
    token = await invitation_token(NEWCOMER)
    newcomer = await make_browser()

    form = await newcomer.get(f"/invite/{token}")
    assert form.status_code == 200
    assert "Join Alpha Clinic" in page_text(form.text)
    assert "Create my account and join" in form.text

    response = await newcomer.post(f"/invite/{token}", {"name": "Nora New", "password": "a lighthouse at dusk"})

    assert response.status_code == 303
    assert response.headers["location"] == "/home?notice=joined"
    home = await newcomer.get("/home")
    assert home.status_code == 200
    assert "Alpha Clinic" in home.text
    assert "Nora New" in home.text
    [joined] = await _memberships_of(NEWCOMER)
    assert (joined.organization_id, joined.role, joined.active) == (world.alpha_id, "viewer", True)
    [invitation] = await invitations(world.alpha_id, NEWCOMER)
    assert invitation.status == "accepted"
    # The new account signs in with the password it chose.
    again = await make_browser()
    await again.login(NEWCOMER, "a lighthouse at dusk")


async def _memberships_of(email: str) -> list[Membership]:
    from sqlalchemy import select

    from app.db import get_database

    async with get_database().read_session() as session:
        rows = await session.execute(select(Membership).join(User).where(User.email == email))
        return list(rows.scalars().unique())


async def test_it_shows_a_new_person_what_is_wrong_with_their_form(client: Browser, world: World,
                                                                  make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)
    token = await invitation_token(NEWCOMER)
    newcomer = await make_browser()

    response = await newcomer.post(f"/invite/{token}", {"name": " ", "password": "short"})

    assert response.status_code == 422
    assert field_error(response.text, "name") == "Enter your name."
    assert field_error(response.text, "password")
    assert await count(User, User.email == NEWCOMER) == 0
    [invitation] = await invitations(world.alpha_id, NEWCOMER)
    assert invitation.status == "pending"  # still usable once the form is right


async def test_it_lets_a_signed_in_user_of_another_organization_accept(client: Browser, world: World,
                                                                      make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, world.outsider.email, "member")
    token = await invitation_token(world.outsider.email)
    outsider = await make_browser()
    await outsider.login(world.outsider.email)

    form = await outsider.get(f"/invite/{token}")
    assert "Accept and join" in form.text
    response = await outsider.post(f"/invite/{token}")

    assert response.status_code == 303
    assert response.headers["location"] == "/home?notice=joined"
    home = await outsider.get("/home")
    assert home.status_code == 200
    assert '<span class="org-name" title="Alpha Clinic">' in home.text
    memberships = {m.organization_id: m.role for m in await _memberships_of(world.outsider.email)}
    assert memberships == {world.alpha_id: "member", world.beta_id: "owner"}


async def test_it_asks_an_existing_user_to_sign_in_rather_than_create_an_account(
        client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, world.outsider.email)
    token = await invitation_token(world.outsider.email)
    stranger = await make_browser()

    form = await stranger.get(f"/invite/{token}")
    assert "Sign in to accept" in form.text
    response = await stranger.post(f"/invite/{token}", {"name": "Mallory", "password": "taking over the account"})

    assert response.status_code == 409
    assert "Sign in to accept the invitation" in page_text(response.text)
    assert {m.organization_id for m in await _memberships_of(world.outsider.email)} == {world.beta_id}


async def test_it_refuses_an_invitation_accepted_by_someone_signed_in_as_another_address(
        client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)
    token = await invitation_token(NEWCOMER)
    outsider = await make_browser()
    await outsider.login(world.outsider.email)

    response = await outsider.post(f"/invite/{token}")

    assert response.status_code == 409
    assert {m.organization_id for m in await _memberships_of(world.outsider.email)} == {world.beta_id}
    [invitation] = await invitations(world.alpha_id, NEWCOMER)
    assert invitation.status == "pending"


async def _cant_be_used(browser: Browser, token: str) -> None:
    page = await browser.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "This invitation can't be used" in page_text(page.text)
    response = await browser.post(f"/invite/{token}", {"name": "Nora New", "password": "a lighthouse at dusk"})
    assert response.status_code == 410
    assert "This invitation can't be used" in page_text(response.text)


async def test_it_refuses_an_expired_invitation(client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)
    token = await invitation_token(NEWCOMER)
    await expire_invitations(NEWCOMER)

    await _cant_be_used(await make_browser(), token)

    assert await count(User, User.email == NEWCOMER) == 0


async def test_it_replaces_an_expired_invitation_with_a_new_one(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)
    await expire_invitations(NEWCOMER)

    response = await invite(client, NEWCOMER)

    assert response.status_code == 303
    assert sorted(i.status for i in await invitations(world.alpha_id, NEWCOMER)) == ["pending", "revoked"]


async def test_it_refuses_a_revoked_invitation(client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.manager.email)
    await invite(client, NEWCOMER)
    token = await invitation_token(NEWCOMER)
    [invitation] = await invitations(world.alpha_id, NEWCOMER)

    revoked = await client.post(f"/members/invitations/{invitation.id}/revoke")

    assert revoked.status_code == 303
    await _cant_be_used(await make_browser(), token)
    assert await count(User, User.email == NEWCOMER) == 0
    assert NEWCOMER not in (await client.get("/members")).text


async def test_it_lets_an_invitation_be_used_once(client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.owner.email)
    await invite(client, NEWCOMER)
    token = await invitation_token(NEWCOMER)
    first = await make_browser()
    assert (await first.post(f"/invite/{token}", {"name": "Nora New", "password": "a lighthouse at dusk"})
            ).status_code == 303

    await _cant_be_used(await make_browser(), token)
    # Not even by the person who accepted it, signed in.
    second = await first.post(f"/invite/{token}")
    assert "This invitation can't be used" in page_text(second.text)
    assert await count(User, User.email == NEWCOMER) == 1
    assert len(await _memberships_of(NEWCOMER)) == 1


async def test_it_audits_the_invitation_and_the_join(client: Browser, world: World, make_browser: Any) -> None:
    from tests.integration.tenancy import audit_entries

    await client.login(world.owner.email)
    await invite(client, NEWCOMER, "viewer")
    token = await invitation_token(NEWCOMER)
    await (await make_browser()).post(f"/invite/{token}", {"name": "Nora New", "password": "a lighthouse at dusk"})

    [invited] = await audit_entries(world.alpha_id, "member.invited")
    [joined] = await audit_entries(world.alpha_id, "member.joined")
    assert invited.actor_label == world.owner.email
    assert invited.after == {"email": NEWCOMER, "role": "viewer"}
    assert joined.actor_label == NEWCOMER
    assert joined.after["role"] == "viewer"
