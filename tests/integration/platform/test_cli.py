"""The operator's ``rounds`` commands: create-org, create-api-key, create-platform-admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.models import Membership, Organization, User
from app.services import cli
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import Browser, World
from tests.integration.tenancy import audit_entries, count

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = str(Path(sys.executable).with_name("rounds"))


def rounds(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``rounds`` command against the tests' database (the same environment)."""
    return subprocess.run([ROUNDS, *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "LOG_LEVEL": "WARNING"}, check=False)


async def test_it_creates_an_organization_and_its_owner(client: Browser, world: World) -> None:
    slug = await cli.create_org(name="Gamma Cardiology", owner_email="Gina@Gamma.example",
                                owner_password="a garden of quiet hearts", timezone="Europe/Paris", country="FR")

    assert slug == "gamma-cardiology"
    await client.login("gina@gamma.example", "a garden of quiet hearts")
    home = await client.get("/home")
    assert home.status_code == 200
    assert "Gamma Cardiology" in home.text
    members = await client.get("/members")
    assert world.member.email not in members.text
    [created] = [e for e in await audit_entries(await _org_id(slug), "organization.created")]
    assert created.actor_label == "cli"


async def _org_id(slug: str) -> int:
    from sqlalchemy import select

    from app.db import get_database

    async with get_database().read_session() as session:
        return (await session.execute(select(Organization.id).where(Organization.slug == slug))).scalar_one()


async def test_it_gives_a_second_organization_with_the_same_name_its_own_slug(world: World) -> None:
    slug = await cli.create_org(name="Alpha Clinic", owner_email="other@alpha.example",
                                owner_password="a second clinic by the river")

    assert slug == "alpha-clinic-2"
    assert await count(Organization) == 3


async def test_it_makes_an_existing_user_owner_of_a_new_organization(world: World) -> None:
    slug = await cli.create_org(name="Delta Dermatology", owner_email=world.member.email, owner_password="")

    org_id = await _org_id(slug)
    assert await count(Membership, Membership.user_id == world.member.user_id) == 2
    assert await count(Membership, Membership.organization_id == org_id, Membership.role == "owner") == 1


async def test_it_refuses_a_weak_owner_password(world: World) -> None:
    with pytest.raises(ValidationFailed) as failure:
        await cli.create_org(name="Epsilon", owner_email="eve@epsilon.example", owner_password="short")

    assert "owner_password" in failure.value.errors
    assert await count(Organization) == 2
    assert await count(User, User.email == "eve@epsilon.example") == 0


async def test_it_refuses_an_unknown_timezone(world: World) -> None:
    with pytest.raises(ValidationFailed) as failure:
        await cli.create_org(name="Zeta", owner_email="zed@zeta.example", owner_password="a sensible long phrase",
                             timezone="Mars/Olympus")

    assert "timezone" in failure.value.errors
    assert await count(Organization) == 2
    assert await count(User, User.email == "zed@zeta.example") == 0


async def test_it_creates_an_api_key_for_an_organization(client: Browser, world: World) -> None:
    alpha_slug = (await _slug(world.alpha_id))

    secret = await cli.create_api_key(org_slug=alpha_slug, scopes=["members:read"], name="switchboard")

    response = await client.client.get("/api/v1/members", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert len(response.json()["members"]) == 4
    [created] = await audit_entries(world.alpha_id, "api_key.created")
    assert created.actor_label == "cli"


async def _slug(org_id: int) -> str:
    from app.db import get_database

    async with get_database().read_session() as session:
        org = await session.get(Organization, org_id)
        assert org is not None
        return org.slug


async def test_it_refuses_an_api_key_for_an_unknown_organization_or_scope(world: World) -> None:
    with pytest.raises(NotFound):
        await cli.create_api_key(org_slug="no-such-practice", scopes=["members:read"], name="x")
    with pytest.raises(ValidationFailed):
        await cli.create_api_key(org_slug=await _slug(world.alpha_id), scopes=["members:delete"], name="x")

    from app.models import ApiKey

    assert await count(ApiKey) == 0


async def test_it_runs_create_org_and_create_api_key_as_commands(client: Browser, world: World) -> None:
    made = rounds("create-org", "--name", "Eta Eyes", "--owner-email", "ed@eta.example",
                  "--owner-password", "looking far and near", "--timezone", "Asia/Tokyo", "--country", "JP")
    assert made.returncode == 0, made.stderr
    slug = made.stdout.strip().splitlines()[-1]
    assert slug == "eta-eyes"

    keyed = rounds("create-api-key", "--org", slug, "--scopes", "members:read, schedule:read", "--name", "portal")
    assert keyed.returncode == 0, keyed.stderr
    secret = keyed.stdout.strip().splitlines()[-1]

    response = await client.client.get("/api/v1/members", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert [m["email"] for m in response.json()["members"]] == ["ed@eta.example"]


async def test_it_reports_command_errors_without_a_traceback(world: World) -> None:
    result = rounds("create-api-key", "--org", "no-such-practice", "--scopes", "members:read")

    assert result.returncode != 0
    assert "no-such-practice" in result.stderr
    assert "Traceback" not in result.stderr
