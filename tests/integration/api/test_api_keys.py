"""API keys: created by owners (shown once), scoped, revocable, rate limited; the JSON error shape."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from app.models import ApiKey
from tests.conftest import Browser, World
from tests.integration.tenancy import api_key, audit_entries, count, execute, field_error

MEMBERS = "/api/v1/members"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def _shown_secret(page: str) -> str | None:
    match = re.search(r'id="new-key"[^>]*value="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


async def test_it_shows_a_new_key_once(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    created = await client.post("/settings/api-keys", {"name": "hospital switchboard", "scopes": "members:read"})

    assert created.status_code == 200
    assert "it will not be shown again" in created.text
    secret = _shown_secret(created.text)
    assert secret and secret.startswith("rk_")
    reload = await client.get("/settings/api-keys")
    assert reload.status_code == 200
    assert secret not in reload.text
    assert _shown_secret(reload.text) is None
    assert "hospital switchboard" in reload.text
    assert secret[:10] in reload.text  # the prefix identifies it
    [key] = await _keys()
    assert key.key_hash != secret and secret not in key.key_hash
    assert key.scopes == ["members:read"]
    # The key works.
    response = await client.client.get(MEMBERS, headers=bearer(secret))
    assert response.status_code == 200


async def _keys() -> list[ApiKey]:
    from sqlalchemy import select

    from app.db import get_database

    async with get_database().read_session() as session:
        return list((await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars())


async def test_it_creates_a_key_with_several_scopes(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post("/settings/api-keys", {"name": "portal",
                                                        "scopes": ["members:read", "schedule:read"]})

    assert response.status_code == 200
    [key] = await _keys()
    assert key.scopes == ["members:read", "schedule:read"]
    [entry] = await audit_entries(world.alpha_id, "api_key.created")
    assert entry.after["scopes"] == ["members:read", "schedule:read"]
    assert entry.actor_label == world.owner.email
    assert _shown_secret(response.text) not in str(entry.after)


async def test_it_explains_a_key_without_a_name_or_scope(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    response = await client.post("/settings/api-keys", {"name": " ", "scopes": "root:everything"})

    assert response.status_code == 422
    assert field_error(response.text, "name")
    assert "Choose at least one scope from the list." in response.text
    assert await count(ApiKey) == 0


@pytest.mark.parametrize("who", ["manager", "member", "viewer"])
async def test_it_keeps_api_keys_to_owners(client: Browser, world: World, who: str) -> None:
    key, _secret = await api_key(world.alpha_id, ["members:read"])
    await client.login(getattr(world, who).email)

    assert (await client.get("/settings/api-keys")).status_code == 403
    assert (await client.post("/settings/api-keys", {"name": "mine", "scopes": "members:read"})).status_code == 403
    assert (await client.post(f"/settings/api-keys/{key.id}/revoke")).status_code == 403
    [row] = await _keys()
    assert row.revoked_at is None


async def test_it_refuses_a_call_without_a_key(client: Browser, world: World) -> None:
    response = await client.client.get(MEMBERS)

    error = assert_error(response, 401, "unauthorized")
    assert "Bearer" in error["message"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("secret", ["rk_not-a-real-key", "sk_live_whatever", "x" * 500])
async def test_it_refuses_an_unknown_key(client: Browser, world: World, secret: str) -> None:
    assert_error(await client.client.get(MEMBERS, headers=bearer(secret)), 401, "unauthorized")


async def test_it_refuses_a_revoked_key_at_once(client: Browser, world: World) -> None:
    key, secret = await api_key(world.alpha_id, ["members:read"])
    assert (await client.client.get(MEMBERS, headers=bearer(secret))).status_code == 200
    await client.login(world.owner.email)

    revoked = await client.post(f"/settings/api-keys/{key.id}/revoke")

    assert revoked.status_code == 303
    assert_error(await client.client.get(MEMBERS, headers=bearer(secret)), 401, "unauthorized")
    [entry] = await audit_entries(world.alpha_id, "api_key.revoked")
    assert entry.entity_id == str(key.id)


async def test_it_refuses_a_key_without_the_scope(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["schedule:read", "members:write"])

    error = assert_error(await client.client.get(MEMBERS, headers=bearer(secret)), 403, "forbidden")

    assert "members:read" in error["message"]


async def test_it_lists_the_keys_organizations_members(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["members:read"])

    response = await client.client.get(MEMBERS, headers=bearer(secret))

    assert response.status_code == 200
    members = response.json()["members"]
    assert {m["email"]: m["role"] for m in members} == {
        world.owner.email: "owner", world.manager.email: "manager", world.member.email: "member",
        world.viewer.email: "viewer"}
    assert {"id", "name", "email", "role", "active", "phone", "fte", "qualifications"} <= set(members[0])


async def test_it_never_lists_another_organizations_members(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.beta_id, ["members:read"])

    response = await client.client.get(MEMBERS, headers=bearer(secret))

    assert response.status_code == 200
    assert [m["email"] for m in response.json()["members"]] == [world.outsider.email]
    for alpha in (world.owner, world.manager, world.member, world.viewer):
        assert alpha.email not in response.text


async def test_it_refuses_keys_of_a_suspended_organization(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["members:read"])
    await execute("UPDATE organizations SET status = 'suspended' WHERE id = :id", id=world.alpha_id)

    assert_error(await client.client.get(MEMBERS, headers=bearer(secret)), 401, "unauthorized")


async def test_it_does_not_let_a_browser_session_stand_in_for_a_key(client: Browser, world: World) -> None:
    await client.login(world.owner.email)

    assert_error(await client.client.get(MEMBERS), 401, "unauthorized")


async def test_it_answers_unknown_api_paths_with_the_error_shape(client: Browser, world: World) -> None:
    assert_error(await client.client.get("/api/v1/no-such-thing"), 404, "not_found")


async def test_it_serves_the_openapi_document(client: Browser, world: World) -> None:
    response = await client.client.get("/api/docs/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "get" in document["paths"]["/api/v1/members"]
    assert not [p for p in document["paths"] if not p.startswith("/api/")]  # no HTML pages in it


@pytest.mark.parametrize("path", [MEMBERS, "/api/v1/requests", "/api/v1/shift-types", "/api/v1/assignments",
                                  "/api/v1/schedule/generate"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rk_not-a-real-key"}])
async def test_it_refuses_a_caller_without_a_key_before_reading_the_body(
        client: Browser, world: World, path: str, headers: dict[str, str]) -> None:
    # A body that fails validation: without a valid key, the answer must not say what the endpoint accepts.
    response = await client.client.post(path, headers=headers, content=b'{"kind": 7, "date": "never"')
    assert_error(response, 401, "unauthorized")
    assert "WWW-Authenticate" in response.headers
