"""Deactivating a member ends their sessions at once; reactivating lets them back; switching organizations."""

from __future__ import annotations

from typing import Any

from app.models import WebSession
from tests.conftest import Browser, World
from tests.integration.tenancy import add_membership, audit_entries, count, membership, page_text


async def test_it_signs_a_deactivated_member_out_at_once(client: Browser, world: World, make_browser: Any) -> None:
    member = await make_browser()
    await member.login(world.member.email)
    assert (await member.get("/home")).status_code == 200
    await client.login(world.manager.email)

    response = await client.post(f"/members/{world.member.membership_id}/deactivate")

    assert response.status_code == 303
    assert response.headers["location"] == "/members?notice=deactivated"
    next_request = await member.get("/home")
    assert next_request.status_code == 303
    assert next_request.headers["location"] == "/login?next=/home"
    assert await count(WebSession, WebSession.user_id == world.member.user_id) == 0
    row = await membership(world.member.membership_id)
    assert row.active is False and row.deactivated_at is not None


async def test_it_refuses_a_deactivated_members_next_write_too(client: Browser, world: World,
                                                              make_browser: Any) -> None:
    manager = await make_browser()
    await manager.login(world.manager.email)
    await client.login(world.owner.email)

    await client.post(f"/members/{world.manager.membership_id}/deactivate")
    response = await manager.post("/members/invite", {"email": "late@example.org", "role": "member"})

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    from app.models import Invitation

    assert await count(Invitation) == 0


async def test_it_keeps_a_deactivated_member_out_after_signing_in_again(client: Browser, world: World,
                                                                       make_browser: Any) -> None:
    await client.login(world.owner.email)
    await client.post(f"/members/{world.member.membership_id}/deactivate")
    member = await make_browser()

    await member.login(world.member.email)
    home = await member.get("/home")

    assert home.status_code == 403
    assert "Alpha Clinic" not in home.text
    assert (await member.get("/members")).status_code == 403


async def test_it_lets_a_reactivated_member_sign_in_again(client: Browser, world: World, make_browser: Any) -> None:
    await client.login(world.owner.email)
    await client.post(f"/members/{world.member.membership_id}/deactivate")

    response = await client.post(f"/members/{world.member.membership_id}/reactivate")

    assert response.status_code == 303
    assert (await membership(world.member.membership_id)).active is True
    member = await make_browser()
    await member.login(world.member.email)
    home = await member.get("/home")
    assert home.status_code == 200
    assert "Alpha Clinic" in home.text


async def test_it_audits_deactivation_and_reactivation(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    await client.post(f"/members/{world.member.membership_id}/deactivate")
    await client.post(f"/members/{world.member.membership_id}/reactivate")

    [off] = await audit_entries(world.alpha_id, "member.deactivated")
    [on] = await audit_entries(world.alpha_id, "member.reactivated")
    assert off.actor_label == on.actor_label == world.manager.email
    assert off.entity_id == on.entity_id == str(world.member.membership_id)
    assert off.before == {"active": True}
    assert off.after["active"] is False
    assert off.after["email"] == world.member.email
    assert on.before == {"active": False}
    assert on.after["active"] is True


async def test_it_keeps_a_deactivated_members_other_organization(client: Browser, world: World,
                                                               make_browser: Any) -> None:
    await add_membership(world.outsider.user_id, world.alpha_id, "member")
    outsider = await make_browser()
    await outsider.login(world.outsider.email)  # works in Beta, their first organization
    alpha_membership = [m for m in await _memberships(world.outsider.user_id) if m.organization_id == world.alpha_id]
    await client.login(world.owner.email)

    await client.post(f"/members/{alpha_membership[0].id}/deactivate")

    home = await outsider.get("/home")
    assert home.status_code == 200
    assert '<span class="org-name" title="Beta Surgery">' in home.text
    switch = await outsider.post("/orgs/switch", {"organization_id": str(world.alpha_id)})
    assert switch.status_code == 404


async def _memberships(user_id: int) -> list[Any]:
    from sqlalchemy import select

    from app.db import get_database
    from app.models import Membership

    async with get_database().read_session() as session:
        return list((await session.execute(select(Membership).where(Membership.user_id == user_id)
                                           .order_by(Membership.id))).scalars().unique())


async def test_it_lets_a_user_in_two_organizations_switch_between_them(client: Browser, world: World) -> None:
    await add_membership(world.outsider.user_id, world.alpha_id, "viewer")
    await client.login(world.outsider.email)
    home = await client.get("/home")
    assert '<span class="org-name" title="Beta Surgery">' in home.text
    assert 'id="org-switch"' in home.text

    response = await client.post("/orgs/switch", {"organization_id": str(world.alpha_id)})

    assert response.status_code == 303
    assert response.headers["location"] == "/home?notice=switched"
    home = await client.get("/home")
    assert '<span class="org-name" title="Alpha Clinic">' in home.text
    members = await client.get("/members")
    assert world.member.name in members.text
    assert "Send invitation" not in members.text  # a viewer in Alpha, though an owner in Beta
    assert (await client.post("/members/invite", {"email": "x@example.org", "role": "member"})).status_code == 403

    back = await client.post("/orgs/switch", {"organization_id": str(world.beta_id)})
    assert back.status_code == 303
    assert '<span class="org-name" title="Beta Surgery">' in (await client.get("/home")).text


async def test_it_gives_the_session_a_new_id_when_switching(client: Browser, world: World) -> None:
    await add_membership(world.outsider.user_id, world.alpha_id, "viewer")
    await client.login(world.outsider.email)
    before = client.session_cookie

    await client.post("/orgs/switch", {"organization_id": str(world.alpha_id)})

    assert client.session_cookie and client.session_cookie != before


async def test_it_refuses_to_switch_into_an_organization_one_is_not_in(client: Browser, world: World) -> None:
    await client.login(world.outsider.email)

    response = await client.post("/orgs/switch", {"organization_id": str(world.alpha_id)})

    assert response.status_code == 404
    home = await client.get("/home")
    assert '<span class="org-name" title="Beta Surgery">' in home.text
    assert world.member.name not in (await client.get("/members")).text


async def test_it_refuses_to_switch_to_a_malformed_organization(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    response = await client.post("/orgs/switch", {"organization_id": "alpha"})

    assert response.status_code == 404
    assert "Page not found" in page_text(response.text)
