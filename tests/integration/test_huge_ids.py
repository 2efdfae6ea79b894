"""An id larger than any database integer is simply not found, never a server error."""

from __future__ import annotations

import pytest

from tests.conftest import Browser, World

HUGE = 10**30


@pytest.mark.parametrize("path", [
    f"/members/{HUGE}/role", f"/members/{HUGE}/deactivate", f"/members/{HUGE}/reactivate",
    f"/members/invitations/{HUGE}/revoke", f"/settings/api-keys/{HUGE}/revoke",
])
async def test_it_answers_404_for_an_id_beyond_any_integer(client: Browser, world: World, path: str) -> None:
    await client.login(world.owner.email)
    response = await client.post(path, {"role": "viewer"})
    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_it_answers_404_json_for_a_huge_api_id(client: Browser, world: World) -> None:
    from app.db import get_database
    from app.services import api_keys
    from app.services.actor import Actor

    async with get_database().write_session() as session:
        _key, secret = await api_keys.create_key(session, Actor.system("t", organization_id=world.alpha_id),
                                                 name="t", scopes=["schedule:write"])
    response = await client.client.delete(f"/api/v1/assignments/{HUGE}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
