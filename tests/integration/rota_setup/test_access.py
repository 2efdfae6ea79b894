"""Who may use rota setup: owners and managers; members and viewers are refused; another
organization's ids are not found; signed-out visitors are sent to sign in."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.db import get_database
from app.models import Holiday
from tests.conftest import Browser, World
from tests.integration.rota_setup.conftest import NIGHT, make_shift_type, shift_types, signed_in
from tests.integration.tenancy import membership

PAGES = ["/rota/setup", "/rota/setup/shift-types/new", "/rota/setup/locations", "/rota/setup/holidays",
         "/rota/setup/members", "/rota/setup/wizard"]
WRITES = ["/rota/setup/shift-types", "/rota/setup/locations", "/rota/setup/holidays", "/rota/setup/holidays/import",
          "/rota/setup/wizard"]


async def _alpha_ids(world: World) -> dict[str, int]:
    shift = await make_shift_type(world.owner)
    async with get_database().write_session() as session:
        holiday = Holiday(organization_id=world.alpha_id, date=date(2026, 12, 24),
                          name="Christmas Eve", weight=2.0, source="custom")
        session.add(holiday)
        await session.commit()
        return {"shift": shift.id, "holiday": holiday.id, "member": world.member.membership_id}


def _id_routes(ids: dict[str, int]) -> list[tuple[str, str]]:
    s, h, m = ids["shift"], ids["holiday"], ids["member"]
    return [
        ("GET", f"/rota/setup/shift-types/{s}"),
        ("POST", f"/rota/setup/shift-types/{s}"),
        ("POST", f"/rota/setup/shift-types/{s}/archive"),
        ("POST", f"/rota/setup/shift-types/{s}/reactivate"),
        ("POST", f"/rota/setup/holidays/{h}"),
        ("POST", f"/rota/setup/holidays/{h}/disable"),
        ("POST", f"/rota/setup/holidays/{h}/enable"),
        ("POST", f"/rota/setup/members/{m}"),
        ("POST", f"/rota/setup/members/{m}/email"),
    ]


async def _call(client: Browser, method: str, url: str) -> int:
    if method == "GET":
        return (await client.get(url)).status_code
    body = {**NIGHT, "name": "Taken over", "weight": "9", "fte": "0.1", "phone": "", "qualifications": "X",
            "email": "someone@else.example"}
    return (await client.post(url, body)).status_code


async def test_it_lets_the_outsider_find_none_of_another_organizations_ids(client: Browser, world: World) -> None:
    ids = await _alpha_ids(world)
    await signed_in(client, world.outsider)  # owner of Beta Surgery: may manage its own rota, not Alpha's

    for method, url in _id_routes(ids):
        assert await _call(client, method, url) == 404, (method, url)

    [shift] = await shift_types(world.alpha_id)
    assert (shift.name, shift.active) == ("Night call", True)
    assert (await membership(world.member.membership_id)).fte == 1.0


@pytest.mark.parametrize("persona", ["member", "viewer"])
async def test_it_refuses_members_and_viewers_every_setup_route(client: Browser, world: World, persona: str) -> None:
    ids = await _alpha_ids(world)
    await signed_in(client, getattr(world, persona))

    for url in PAGES:
        response = await client.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission to do that." in response.text
    for url in WRITES:
        assert (await client.post(url, {**NIGHT, "code": "sneaky"})).status_code == 403, url
    for method, url in _id_routes(ids):
        assert await _call(client, method, url) == 403, (method, url)
    assert len(await shift_types(world.alpha_id)) == 1


async def test_it_sends_a_signed_out_visitor_to_sign_in(client: Browser, world: World) -> None:
    response = await client.get("/rota/setup/wizard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/rota/setup/wizard"


def _setup_links(page: str) -> str:
    match = re.search(r'<p class="setup-links">(.*?)</p>', page, re.S)
    assert match, "no setup links"
    return match.group(1)


async def test_it_links_owners_to_api_keys_and_the_audit_log_and_managers_to_the_audit_log(
        client: Browser, make_browser, world: World) -> None:
    owner = await signed_in(client, world.owner)
    links = _setup_links((await owner.get("/rota/setup")).text)
    assert 'href="/settings/api-keys"' in links and 'href="/audit"' in links

    manager = await signed_in(await make_browser(), world.manager)
    links = _setup_links((await manager.get("/rota/setup/holidays")).text)
    assert 'href="/settings/api-keys"' not in links and 'href="/audit"' in links
