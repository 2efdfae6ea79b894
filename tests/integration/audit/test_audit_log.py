"""The audit log: who may read it, its filters, and the hash chain that reveals tampering."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from app.db import get_database
from app.models import AuditEntry
from app.services import audit
from tests.conftest import Browser, World
from tests.integration.tenancy import audit_entries, execute

ROOT = Path(__file__).resolve().parents[3]


def shown_actions(page: str) -> list[str]:
    return re.findall(r'<code class="action">([^<]+)</code>', page)


async def _some_history(client: Browser, world: World) -> None:
    """A few entries in Alpha's chain beyond its creation, made through the pages."""
    await client.login(world.owner.email)
    await client.post("/members/invite", {"email": "nora@example.org", "role": "member"})
    await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})
    await client.post(f"/members/{world.viewer.membership_id}/deactivate")
    await client.post(f"/members/{world.viewer.membership_id}/reactivate")


@pytest.mark.parametrize("who", ["owner", "manager"])
async def test_it_shows_the_log_to_owners_and_managers(client: Browser, world: World, who: str) -> None:
    await client.login(getattr(world, who).email)
    await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})

    page = await client.get("/audit")

    assert page.status_code == 200
    assert shown_actions(page.text)[:1] == ["member.role_changed"]  # newest first
    assert "organization.created" in shown_actions(page.text)
    assert getattr(world, who).email in page.text


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_it_hides_the_log_from_members_and_viewers(client: Browser, world: World, who: str) -> None:
    await client.login(getattr(world, who).email)

    response = await client.get("/audit")

    assert response.status_code == 403
    assert "organization.created" not in response.text


async def test_it_shows_only_the_organizations_own_entries(client: Browser, world: World) -> None:
    await client.login(world.outsider.email)
    await client.post("/members/invite", {"email": "beta.hire@example.org", "role": "member"})
    await client.post("/logout")
    await client.login(world.owner.email)

    page = await client.get("/audit")

    assert "beta.hire@example.org" not in page.text
    assert world.outsider.email not in page.text
    assert "member.invited" not in shown_actions(page.text)


async def test_it_filters_by_action(client: Browser, world: World) -> None:
    await _some_history(client, world)

    page = await client.get("/audit?action=member.deactivated")

    assert page.status_code == 200
    assert shown_actions(page.text) == ["member.deactivated"]
    everything = shown_actions((await client.get("/audit")).text)
    assert {"member.invited", "member.role_changed", "member.reactivated"} <= set(everything)


async def test_it_filters_by_who_acted(client: Browser, world: World) -> None:
    await client.login(world.manager.email)
    await client.post(f"/members/{world.member.membership_id}/role", {"role": "viewer"})
    await client.post("/logout")
    await client.login(world.owner.email)

    page = await client.get("/audit?actor=MANAGER@alpha")

    assert shown_actions(page.text) == ["member.role_changed"]


async def test_it_filters_by_date_in_the_organizations_timezone(client: Browser, world: World) -> None:
    await _some_history(client, world)
    [invited] = await audit_entries(world.alpha_id, "member.invited")
    # 23:30 UTC on 14 January is already the 15th in Berlin, Alpha's timezone.
    async with get_database().write_session() as session:
        await session.execute(update(AuditEntry).where(AuditEntry.id == invited.id)
                              .values(created_at=datetime(2020, 1, 14, 23, 30, tzinfo=UTC)))
        await session.commit()

    on_the_day = await client.get("/audit?from=2020-01-15&to=2020-01-15")
    day_before = await client.get("/audit?from=2020-01-14&to=2020-01-14")
    since_then = await client.get("/audit?from=2020-01-16")
    until_then = await client.get("/audit?to=2020-01-15")

    assert shown_actions(on_the_day.text) == ["member.invited"]
    assert shown_actions(day_before.text) == []
    assert "No entries match these filters." in day_before.text
    assert "member.invited" not in shown_actions(since_then.text)
    assert "member.role_changed" in shown_actions(since_then.text)
    assert shown_actions(until_then.text) == ["member.invited"]


async def test_it_explains_a_malformed_date(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    page = await client.get("/audit?from=15/01/2020")

    assert page.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in page.text


async def test_it_answers_htmx_with_just_the_table(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    fragment = await client.get("/audit?action=organization.created", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="audit-table"')
    assert shown_actions(fragment.text) == ["organization.created"]


# -- the hash chain --------------------------------------------------------------------------------------


def verify(chain: int | None = None) -> dict[int, audit.ChainReport]:
    with get_database().sync_session() as session:
        return {r.chain: r for r in audit.verify_chains(session, chain=chain)}


async def test_it_verifies_an_untouched_log(client: Browser, world: World) -> None:
    await _some_history(client, world)

    reports = verify()

    assert set(reports) >= {world.alpha_id, world.beta_id}
    assert all(r.ok for r in reports.values()), reports
    assert reports[world.alpha_id].entries == len(await audit_entries(world.alpha_id)) >= 6


def _json_param(name: str) -> str:
    return f"CAST(:{name} AS JSON)" if not get_database().is_sqlite else f":{name}"


async def test_it_detects_an_edited_entry(client: Browser, world: World) -> None:
    await _some_history(client, world)
    [changed] = await audit_entries(world.alpha_id, "member.role_changed")

    await execute(f'UPDATE audit_entries SET "after" = {_json_param("v")} WHERE id = :id',
                  v='{"email": "member@alpha.example", "role": "owner"}', id=changed.id)

    report = verify()[world.alpha_id]
    assert not report.ok
    assert f"entry {changed.seq} (member.role_changed) was altered" in report.problems
    assert verify()[world.beta_id].ok  # the other organizations' chains are unaffected


async def test_it_detects_an_edited_entry_even_with_its_hash_recomputed(client: Browser, world: World) -> None:
    await _some_history(client, world)
    [changed] = await audit_entries(world.alpha_id, "member.role_changed")
    changed.after = {"email": "member@alpha.example", "role": "owner"}
    forged = audit.entry_hash(changed)

    await execute(f'UPDATE audit_entries SET "after" = {_json_param("v")}, hash = :h WHERE id = :id',
                  v='{"email": "member@alpha.example", "role": "owner"}', h=forged, id=changed.id)

    report = verify()[world.alpha_id]
    assert f"entry {changed.seq + 1} does not follow the entry before it" in report.problems


async def test_it_detects_a_deleted_entry_in_the_middle(client: Browser, world: World) -> None:
    await _some_history(client, world)
    [changed] = await audit_entries(world.alpha_id, "member.role_changed")

    await execute("DELETE FROM audit_entries WHERE id = :id", id=changed.id)

    report = verify()[world.alpha_id]
    assert not report.ok
    assert f"entries {changed.seq}..{changed.seq} are missing" in report.problems


async def test_it_detects_a_deleted_last_entry(client: Browser, world: World) -> None:
    await _some_history(client, world)
    last = (await audit_entries(world.alpha_id))[-1]

    await execute("DELETE FROM audit_entries WHERE id = :id", id=last.id)

    report = verify(world.alpha_id)[world.alpha_id]
    assert not report.ok
    assert f"the chain ends at entry {last.seq - 1} but its head says {last.seq}" in report.problems


async def test_it_detects_a_deleted_first_entry(client: Browser, world: World) -> None:
    first = (await audit_entries(world.alpha_id))[0]

    await execute("DELETE FROM audit_entries WHERE id = :id", id=first.id)

    assert not verify()[world.alpha_id].ok


async def test_it_keeps_chaining_after_verification(client: Browser, world: World) -> None:
    await _some_history(client, world)
    assert verify()[world.alpha_id].ok

    await client.post(f"/members/{world.member.membership_id}/role", {"role": "member"})

    entries = await audit_entries(world.alpha_id)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert verify()[world.alpha_id].ok


# -- rounds audit-verify ---------------------------------------------------------------------------------


def rounds(*args: str) -> subprocess.CompletedProcess[str]:
    command = str(Path(sys.executable).with_name("rounds"))
    return subprocess.run([command, *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "LOG_LEVEL": "WARNING"}, check=False)


async def test_it_passes_an_untouched_log_on_the_command_line(client: Browser, world: World) -> None:
    await _some_history(client, world)

    result = rounds("audit-verify")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"organization {world.alpha_id}: " in result.stdout
    assert "TAMPERED" not in result.stdout


async def test_it_fails_a_tampered_log_on_the_command_line(client: Browser, world: World) -> None:
    await _some_history(client, world)
    [changed] = await audit_entries(world.alpha_id, "member.role_changed")
    await execute(f'UPDATE audit_entries SET "after" = {_json_param("v")} WHERE id = :id',
                  v='{"role": "owner"}', id=changed.id)

    result = rounds("audit-verify")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"organization {world.alpha_id}: ") and line.endswith("TAMPERED") for line in lines)
    assert any(line.startswith(f"organization {world.beta_id}: ") and line.endswith(", ok") for line in lines)
    assert f"entry {changed.seq} (member.role_changed) was altered" in result.stdout


async def test_it_verifies_one_organization_by_slug(client: Browser, world: World) -> None:
    changed = (await audit_entries(world.alpha_id))[0]
    await execute("DELETE FROM audit_entries WHERE id = :id", id=changed.id)

    beta = rounds("audit-verify", "--org", "beta-surgery")
    alpha = rounds("audit-verify", "--org", "alpha-clinic")
    unknown = rounds("audit-verify", "--org", "no-such-practice")

    assert beta.returncode == 0 and "TAMPERED" not in beta.stdout
    assert alpha.returncode == 1 and "TAMPERED" in alpha.stdout
    assert unknown.returncode != 0 and "no-such-practice" in unknown.stderr



@pytest.mark.parametrize("raw", ["abc", "-3", "0", "1" + "0" * 30])
async def test_a_bad_page_number_shows_the_first_page(client: Browser, world: World, raw: str) -> None:
    await client.login(world.owner.email)
    page = await client.get(f"/audit?page={raw}")
    assert page.status_code == 200
    assert "organization.created" in shown_actions(page.text)
