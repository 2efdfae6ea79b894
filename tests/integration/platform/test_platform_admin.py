"""The platform administrators' console: organizations, suspension (data kept) and "view as"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.db import get_database
from app.models import Invitation, Membership, Organization, User
from app.services import cli, platform
from app.services.actor import Actor
from app.services.errors import Forbidden
from tests.conftest import Browser, World
from tests.integration.tenancy import audit_entries, count, make_platform_admin, organization, page_text

ADMIN, ADMIN_PASSWORD = "admin@rounds.example", "a ledger of many tenants"


@pytest.fixture
async def admin(client: Browser, world: World) -> Browser:
    """The ``client`` browser, signed in as a platform administrator (who belongs to no organization)."""
    await make_platform_admin(ADMIN, ADMIN_PASSWORD)
    await client.login(ADMIN, ADMIN_PASSWORD)
    return client


def _org_row(page: str, name: str) -> str:
    match = re.search(rf"<tr>\s*<td><strong>{re.escape(name)}</strong>.*?</tr>", page, re.S)
    assert match, f"{name} is not listed"
    return match.group(0)


def _member_counts(row: str) -> tuple[int, int]:
    match = re.search(r"<td>(\d+)<span class=\"muted small\"> / (\d+)</span></td>", row)
    assert match, row
    return int(match.group(1)), int(match.group(2))


async def test_it_creates_a_platform_admin_with_the_service(world: World) -> None:
    user = await make_platform_admin("ops@rounds.example")

    assert user.is_platform_admin
    [granted] = await audit_entries(0, "platform.admin_granted")
    assert granted.after == {"email": "ops@rounds.example"}
    assert granted.organization_id is None


async def test_it_creates_a_platform_admin_from_the_command_line(client: Browser, world: World) -> None:
    await cli.create_platform_admin(email="Ops@Rounds.example", password="the operators' passphrase")

    await client.login("ops@rounds.example", "the operators' passphrase")
    assert (await client.get("/platform")).status_code == 200


async def test_it_promotes_an_existing_user_keeping_their_password(client: Browser, world: World) -> None:
    await cli.create_platform_admin(email=world.member.email, password="ignored for an existing account")

    await client.login(world.member.email)
    assert (await client.get("/platform")).status_code == 200
    assert (await client.get("/home")).status_code == 200  # still a member of Alpha


async def test_it_lists_organizations_with_their_member_counts(admin: Browser, world: World) -> None:
    await _deactivate(world.viewer.membership_id, world.alpha_id)

    page = await admin.get("/platform")

    assert page.status_code == 200
    alpha, beta = _org_row(page.text, "Alpha Clinic"), _org_row(page.text, "Beta Surgery")
    assert _member_counts(alpha) == (3, 4)  # active / all
    assert _member_counts(beta) == (1, 1)
    assert world.owner.email in alpha
    assert world.outsider.email in beta


async def _deactivate(membership_id: int | None, org_id: int) -> None:
    from app.services import organizations

    async with get_database().write_session() as session:
        await organizations.deactivate_member(session, Actor.system("test", organization_id=org_id),
                                              membership_id)  # type: ignore[arg-type]


async def test_it_searches_organizations_by_name(admin: Browser, world: World) -> None:
    page = await admin.get("/platform?q=beta")

    assert "Beta Surgery" in page.text
    assert "Alpha Clinic" not in page.text


PLATFORM_POSTS = ["/platform/orgs/{id}/suspend", "/platform/orgs/{id}/reactivate", "/platform/orgs/{id}/view-as"]


@pytest.mark.parametrize("who", ["owner", "manager", "member", "outsider"])
async def test_it_hides_the_console_from_everyone_else(client: Browser, world: World, who: str) -> None:
    await client.login(getattr(world, who).email)

    assert (await client.get("/platform")).status_code == 404
    for url in [*PLATFORM_POSTS, "/platform/view-as/stop"]:
        response = await client.post(url.format(id=world.alpha_id))
        assert response.status_code == 404, url
    org = await organization(world.alpha_id)
    assert org.status == "active"
    assert await audit_entries(0) == []
    alpha_log = [e.action for e in await audit_entries(world.alpha_id)]
    assert alpha_log == ["organization.created", "member.added"]
    home = await client.get("/home")
    assert "read-only as a platform administrator" not in home.text


async def test_it_sends_anonymous_visitors_of_the_console_to_sign_in(client: Browser, world: World) -> None:
    response = await client.get("/platform")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_it_refuses_platform_services_to_non_admins(world: World) -> None:
    owner = Actor(user_id=world.owner.user_id, label=world.owner.email, organization_id=world.alpha_id, role="owner")
    async with get_database().write_session() as session:
        with pytest.raises(Forbidden):
            await platform.list_organizations(session, owner)
        with pytest.raises(Forbidden):
            await platform.set_status(session, owner, world.beta_id, suspended=True)


async def test_it_suspends_an_organization_keeping_its_data(admin: Browser, world: World,
                                                           make_browser: Any) -> None:
    member = await make_browser()
    await member.login(world.member.email)

    response = await admin.post(f"/platform/orgs/{world.alpha_id}/suspend")

    assert response.status_code == 303
    home = await member.get("/home")
    assert home.status_code == 403
    text = page_text(home.text)
    assert "Alpha Clinic is suspended" in text
    assert "Its schedule and records are kept" in text
    assert (await member.get("/members")).status_code == 403
    # Nothing was deleted.
    assert await count(Membership, Membership.organization_id == world.alpha_id) == 4
    assert await count(User) == 6
    org = await organization(world.alpha_id)
    assert org.status == "suspended" and org.suspended_at is not None
    assert "Suspended" in _org_row((await admin.get("/platform")).text, "Alpha Clinic")
    # Beta is untouched.
    outsider = await make_browser()
    await outsider.login(world.outsider.email)
    assert (await outsider.get("/home")).status_code == 200


async def test_it_refuses_writes_in_a_suspended_organization(admin: Browser, world: World,
                                                            make_browser: Any) -> None:
    owner = await make_browser()
    await owner.login(world.owner.email)
    await admin.post(f"/platform/orgs/{world.alpha_id}/suspend")

    response = await owner.post("/members/invite", {"email": "nora@example.org", "role": "member"})

    assert response.status_code == 403
    assert await count(Invitation) == 0


async def test_it_reactivates_a_suspended_organization(admin: Browser, world: World, make_browser: Any) -> None:
    member = await make_browser()
    await member.login(world.member.email)
    await admin.post(f"/platform/orgs/{world.alpha_id}/suspend")

    response = await admin.post(f"/platform/orgs/{world.alpha_id}/reactivate")

    assert response.status_code == 303
    home = await member.get("/home")
    assert home.status_code == 200
    assert "Alpha Clinic" in home.text
    assert (await organization(world.alpha_id)).status == "active"


async def test_it_audits_suspension_in_the_organizations_and_the_platforms_log(admin: Browser,
                                                                               world: World) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/suspend")
    await admin.post(f"/platform/orgs/{world.alpha_id}/reactivate")

    for chain in (world.alpha_id, 0):
        actions = [e.action for e in await audit_entries(chain) if e.action.startswith("organization.")
                   and e.action != "organization.created"]
        assert actions == ["organization.suspended", "organization.reactivated"], chain
    [suspended] = await audit_entries(world.alpha_id, "organization.suspended")
    assert suspended.actor_label == ADMIN
    assert suspended.before == {"status": "active"}
    assert suspended.after["status"] == "suspended"


async def test_it_answers_404_for_an_organization_that_does_not_exist(admin: Browser, world: World) -> None:
    for url in PLATFORM_POSTS:
        assert (await admin.post(url.format(id=987654))).status_code == 404, url


async def test_it_lets_an_admin_view_an_organization_read_only(admin: Browser, world: World) -> None:
    response = await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    home = await admin.get("/home")
    assert home.status_code == 200
    assert "Viewing Alpha Clinic read-only as a platform administrator" in page_text(home.text)
    members = await admin.get("/members")
    assert members.status_code == 200
    assert world.member.email in members.text
    assert "Send invitation" not in members.text


@pytest.mark.parametrize(("url", "form"), [
    ("/members/invite", {"email": "nora@example.org", "role": "member"}),
    ("/members/{member}/role", {"role": "viewer"}),
    ("/members/{member}/deactivate", {}),
    ("/settings/api-keys", {"name": "sneaky", "scopes": "members:read"}),
])
async def test_it_refuses_writes_while_viewing_as(admin: Browser, world: World, url: str,
                                                  form: dict[str, str]) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")

    response = await admin.post(url.format(member=world.member.membership_id), form)

    assert response.status_code == 403
    assert await count(Invitation) == 0
    from app.models import ApiKey

    assert await count(ApiKey) == 0
    member = await _membership(world.member.membership_id)
    assert (member.role, member.active) == ("member", True)


async def _membership(membership_id: int | None) -> Membership:
    async with get_database().read_session() as session:
        row = await session.get(Membership, membership_id)
        assert row is not None
        return row


async def test_it_lets_an_admin_view_a_suspended_organization(admin: Browser, world: World) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/suspend")

    await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")

    home = await admin.get("/home")
    assert home.status_code == 200
    assert "Viewing Alpha Clinic read-only" in page_text(home.text)


async def test_it_ends_view_as(admin: Browser, world: World) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")

    response = await admin.post("/platform/view-as/stop")

    assert response.status_code == 303
    assert response.headers["location"] == "/platform?notice=view-as-ended"
    assert (await admin.get("/home")).status_code == 403  # the admin belongs to no organization
    assert (await admin.get("/members")).status_code == 403


async def test_it_audits_view_as_in_the_organizations_and_the_platforms_log(admin: Browser,
                                                                            world: World) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")
    await admin.get("/members")
    await admin.post("/platform/view-as/stop")

    for chain in (world.alpha_id, 0):
        entries = [e for e in await audit_entries(chain) if e.action.startswith("platform.view_as")]
        assert [e.action for e in entries] == ["platform.view_as_started", "platform.view_as_ended"], chain
        assert all(e.actor_label == ADMIN and e.entity_id == str(world.alpha_id) for e in entries)
    assert [e for e in await audit_entries(world.beta_id) if e.action.startswith("platform.")] == []


async def test_it_audits_view_as_of_an_admin_who_is_also_a_member_elsewhere(client: Browser,
                                                                           world: World) -> None:
    # Beta's owner is also a platform admin: viewing Alpha must not write into Beta's log.
    await make_platform_admin(world.outsider.email)
    await client.login(world.outsider.email)

    await client.post(f"/platform/orgs/{world.alpha_id}/view-as")
    await client.post("/platform/view-as/stop")
    await client.post(f"/platform/orgs/{world.alpha_id}/suspend")

    beta_log = [e.action for e in await audit_entries(world.beta_id)]
    assert not [a for a in beta_log if a.startswith("platform.") or a == "organization.suspended"], beta_log
    platform_log = [e.action for e in await audit_entries(0)]
    assert platform_log[-3:] == ["platform.view_as_started", "platform.view_as_ended", "organization.suspended"]
    alpha_log = [e.action for e in await audit_entries(world.alpha_id)]
    assert alpha_log[-3:] == ["platform.view_as_started", "platform.view_as_ended", "organization.suspended"]


async def test_it_shows_the_admin_their_own_organization_again_after_view_as(client: Browser,
                                                                            world: World) -> None:
    await make_platform_admin(world.outsider.email)
    await client.login(world.outsider.email)
    await client.post(f"/platform/orgs/{world.alpha_id}/view-as")

    await client.post("/platform/view-as/stop")

    home = await client.get("/home")
    assert '<span class="org-name" title="Beta Surgery">' in home.text
    assert "read-only as a platform administrator" not in home.text


async def test_it_stops_view_as_when_admin_rights_are_withdrawn(admin: Browser, world: World) -> None:
    await admin.post(f"/platform/orgs/{world.alpha_id}/view-as")
    from tests.integration.tenancy import execute

    await execute("UPDATE users SET is_platform_admin = :no WHERE email = :e", no=False, e=ADMIN)

    assert (await admin.get("/members")).status_code == 403
    assert (await admin.get("/platform")).status_code == 404


async def test_it_keeps_organization_records_when_suspended_and_counts_them(world: World) -> None:
    async with get_database().write_session() as session:
        await platform.set_status(session, Actor.system("test"), world.beta_id, suspended=True)
    async with get_database().read_session() as session:
        summaries = {s.organization.id: s for s in await platform.list_organizations(session, Actor.system("t"))}
    assert summaries[world.beta_id].organization.is_suspended
    assert summaries[world.beta_id].members == 1
    assert summaries[world.alpha_id].members == 4
    assert await count(Organization) == 2
