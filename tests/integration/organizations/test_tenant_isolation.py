"""Every route that takes an id: another organization's owner gets 404 and the record is unchanged.

To cover a new route, add a :class:`Case`: how to make the Alpha record it acts on, the URL, the form,
and a snapshot of the record that the request would change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.db import get_database
from app.models import ApiKey, Invitation, Membership
from app.services import organizations
from app.services.actor import Actor
from tests.conftest import Browser, World
from tests.integration.tenancy import api_key, page_text


async def _snapshot(model: Any, row_id: int, *columns: str) -> tuple[Any, ...]:
    async with get_database().read_session() as session:
        row = await session.get(model, row_id)
        assert row is not None
        return tuple(getattr(row, c) for c in columns)


async def _manager(world: World) -> int:
    return world.manager.membership_id  # type: ignore[return-value]


async def _deactivated_member(world: World) -> int:
    async with get_database().write_session() as session:
        await organizations.deactivate_member(session, Actor.system("test", organization_id=world.alpha_id),
                                              world.member.membership_id)  # type: ignore[arg-type]
    return world.member.membership_id  # type: ignore[return-value]


async def _pending_invitation(world: World) -> int:
    async with get_database().write_session() as session:
        invitation, _token = await organizations.invite_member(
            session, Actor.system("test", organization_id=world.alpha_id), email="nora@example.org", role="member")
    return invitation.id


async def _alpha_api_key(world: World) -> int:
    key, _secret = await api_key(world.alpha_id, ["members:read"])
    return key.id


def _membership(*columns: str) -> Callable[[int], Awaitable[tuple[Any, ...]]]:
    return lambda row_id: _snapshot(Membership, row_id, *columns)


@dataclass(frozen=True)
class Case:
    url: str  # with {id}
    make: Callable[[World], Awaitable[int]]
    state: Callable[[int], Awaitable[tuple[Any, ...]]]
    form: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.url


CASES = [
    Case("/members/{id}/role", _manager, _membership("role", "active"), {"role": "viewer"}),
    Case("/members/{id}/deactivate", _manager, _membership("role", "active")),
    Case("/members/{id}/reactivate", _deactivated_member, _membership("role", "active")),
    Case("/members/invitations/{id}/revoke", _pending_invitation,
         lambda i: _snapshot(Invitation, i, "revoked_at", "accepted_at")),
    Case("/settings/api-keys/{id}/revoke", _alpha_api_key, lambda i: _snapshot(ApiKey, i, "revoked_at")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_it_hides_another_organizations_records(client: Browser, world: World, case: Case) -> None:
    row_id = await case.make(world)
    before = await case.state(row_id)
    await client.login(world.outsider.email)  # the owner of Beta: every permission, in Beta

    response = await client.post(case.url.format(id=row_id), case.form)

    assert response.status_code == 404
    assert "Alpha" not in page_text(response.text)
    assert await case.state(row_id) == before


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_it_acts_on_ones_own_organizations_records(client: Browser, world: World, case: Case) -> None:
    # The same request by Alpha's owner does change the record: the 404 above is the protection at work.
    row_id = await case.make(world)
    before = await case.state(row_id)
    await client.login(world.owner.email)

    response = await client.post(case.url.format(id=row_id), case.form)

    assert response.status_code == 303
    assert await case.state(row_id) != before


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_it_answers_404_for_ids_that_do_not_exist(client: Browser, world: World, case: Case) -> None:
    await client.login(world.owner.email)

    response = await client.post(case.url.format(id=987654), case.form)

    assert response.status_code == 404
