"""Changing roles: who may give which role, and the organization always keeps an active owner."""

from __future__ import annotations

import pytest

from app.db import get_database
from app.services import organizations
from app.services.actor import Actor
from app.services.errors import ValidationFailed
from tests.conftest import Browser, World
from tests.integration.tenancy import add_membership, audit_entries, membership, row_error


async def test_it_lets_a_manager_make_a_member_a_viewer(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    response = await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})

    assert response.status_code == 303
    assert response.headers["location"] == "/members?notice=role-changed"
    assert (await membership(world.member.membership_id)).role == "viewer"
    page = await client.get("/members?notice=role-changed")
    assert "Role changed." in page.text


async def test_it_audits_a_role_change_with_before_and_after(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})

    [entry] = await audit_entries(world.alpha_id, "member.role_changed")
    assert entry.actor_label == world.manager.email
    assert entry.entity_id == str(world.member.membership_id)
    assert entry.before == {"role": "member"}
    assert entry.after == {"role": "viewer", "email": world.member.email}
    audit_page = await client.get("/audit?action=member.role_changed")
    assert "member.role_changed" in audit_page.text


@pytest.mark.parametrize("target", ["member", "viewer", "manager"])
async def test_it_forbids_a_manager_to_make_anyone_an_owner(client: Browser, world: World, target: str) -> None:
    persona = getattr(world, target)
    await client.login(world.manager.email)

    response = await client.post(f"/members/{persona.membership_id}/role", {"role": "owner"})

    assert response.status_code == 403
    assert (await membership(persona.membership_id)).role == target
    assert await audit_entries(world.alpha_id, "member.role_changed") == []


async def test_it_does_not_offer_managers_the_owner_role(client: Browser, world: World) -> None:
    await client.login(world.manager.email)

    page = await client.get("/members")

    assert 'value="owner"' not in page.text
    assert f'action="/members/{world.owner.membership_id}/role"' not in page.text


@pytest.mark.parametrize(("action", "data"), [("role", {"role": "member"}), ("deactivate", {})])
async def test_it_forbids_a_manager_to_change_an_owner(client: Browser, world: World, action: str,
                                                      data: dict[str, str]) -> None:
    await client.login(world.manager.email)

    response = await client.post(f"/members/{world.owner.membership_id}/{action}", data)

    assert response.status_code == 403
    owner = await membership(world.owner.membership_id)
    assert (owner.role, owner.active) == ("owner", True)
    assert [e.action for e in await audit_entries(world.alpha_id)
            if e.action.startswith("member.") and e.action != "member.added"] == []


@pytest.mark.parametrize("who", ["member", "viewer"])
@pytest.mark.parametrize(("action", "data"), [("role", {"role": "manager"}), ("deactivate", {}),
                                              ("reactivate", {})])
async def test_it_forbids_members_and_viewers_to_manage_members(client: Browser, world: World, who: str,
                                                               action: str, data: dict[str, str]) -> None:
    target = world.viewer if who == "member" else world.member
    await client.login(getattr(world, who).email)

    response = await client.post(f"/members/{target.membership_id}/{action}", data)

    assert response.status_code == 403
    row = await membership(target.membership_id)
    assert (row.role, row.active) == (target.role, True)


async def test_it_lets_an_owner_make_another_owner(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post(f"/members/{world.manager.membership_id}/role", {"role": "owner"})

    assert response.status_code == 303
    assert (await membership(world.manager.membership_id)).role == "owner"


async def test_it_refuses_an_unknown_role_beside_the_member(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post(f"/members/{world.member.membership_id}/role", {"role": "admin"})

    assert response.status_code == 422
    assert row_error(response.text, world.member.membership_id) == "Choose a role from the list."
    assert (await membership(world.member.membership_id)).role == "member"


async def test_it_keeps_the_last_active_owner_from_stepping_down(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post(f"/members/{world.owner.membership_id}/role", {"role": "manager"})

    assert response.status_code == 422
    assert row_error(response.text, world.owner.membership_id) == "An organization needs at least one active owner."
    assert (await membership(world.owner.membership_id)).role == "owner"
    assert await audit_entries(world.alpha_id, "member.role_changed") == []


async def test_it_counts_only_active_owners(client: Browser, world: World) -> None:
    # A second owner who is deactivated does not keep the organization owned.
    second = await add_membership(world.outsider.user_id, world.alpha_id, "owner")
    await client.login(world.owner.email)
    assert (await client.post(f"/members/{second}/deactivate")).status_code == 303

    response = await client.post(f"/members/{world.owner.membership_id}/role", {"role": "member"})

    assert response.status_code == 422
    assert (await membership(world.owner.membership_id)).role == "owner"


async def test_it_lets_an_owner_step_down_when_another_owner_remains(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    await client.post(f"/members/{world.manager.membership_id}/role", {"role": "owner"})

    response = await client.post(f"/members/{world.owner.membership_id}/role", {"role": "manager"})

    assert response.status_code == 303
    assert (await membership(world.owner.membership_id)).role == "manager"


async def test_it_keeps_the_last_active_owner_from_being_deactivated(world: World) -> None:
    # Through the web an owner can't deactivate themselves at all; the operator's tools go through the same rule.
    async with get_database().write_session() as session:
        with pytest.raises(ValidationFailed) as failure:
            await organizations.deactivate_member(session, Actor.system("cli", organization_id=world.alpha_id),
                                                  world.owner.membership_id)

    assert failure.value.errors == {"form": "An organization needs at least one active owner."}
    assert (await membership(world.owner.membership_id)).active is True


async def test_it_tells_an_owner_they_cannot_deactivate_themselves(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post(f"/members/{world.owner.membership_id}/deactivate")

    assert response.status_code == 422
    assert row_error(response.text, world.owner.membership_id) == "You can't deactivate yourself."
    assert (await membership(world.owner.membership_id)).active is True


async def test_it_gives_a_promoted_member_the_new_permissions_at_once(client: Browser, world: World,
                                                                     make_browser: object) -> None:
    member = await make_browser()  # type: ignore[operator]
    await member.login(world.member.email)
    assert (await member.get("/audit")).status_code == 403
    await client.login(world.owner.email)

    await client.post(f"/members/{world.member.membership_id}/role", {"role": "manager"})

    assert (await member.get("/audit")).status_code == 200


async def test_it_keeps_an_owner_when_two_owners_step_down_at_once(world: World) -> None:
    import asyncio

    async with get_database().write_session() as session:
        await organizations.change_role(session, Actor.system("test", organization_id=world.alpha_id),
                                        world.manager.membership_id, "owner")  # type: ignore[arg-type]
    owners = {world.owner.membership_id: world.owner, world.manager.membership_id: world.manager}

    async def step_down(membership_id: int) -> str:
        persona = owners[membership_id]
        actor = Actor(user_id=persona.user_id, label=persona.email, organization_id=world.alpha_id, role="owner")
        async with get_database().write_session() as session:
            try:
                await organizations.change_role(session, actor, membership_id, "member")
            except ValidationFailed:
                return "refused"
        return "done"

    outcomes = await asyncio.gather(*(step_down(m) for m in owners))  # type: ignore[arg-type]

    assert sorted(outcomes) == ["done", "refused"]
    roles = [(await membership(m)).role for m in owners]  # type: ignore[arg-type]
    assert roles.count("owner") == 1
