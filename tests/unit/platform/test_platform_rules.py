"""Who counts as a platform administrator for the platform services."""

from __future__ import annotations

import pytest

from app.services.actor import Actor
from app.services.errors import Forbidden
from app.services.platform import _require_admin


@pytest.mark.parametrize("actor", [
    Actor(user_id=1, label="admin", is_platform_admin=True),
    Actor(user_id=1, label="admin", organization_id=3, role="viewer", is_platform_admin=True, viewing_as=True),
    Actor.system("cli"),
], ids=["admin", "admin-viewing-as", "system"])
def test_it_lets_platform_admins_and_the_system_through(actor: Actor) -> None:
    _require_admin(actor)


@pytest.mark.parametrize("actor", [
    Actor(user_id=1, label="owner", organization_id=3, role="owner"),
    Actor(user_id=None, label="api-key:portal", organization_id=3, role="manager"),
    Actor(user_id=1, label="nobody"),
], ids=["owner", "api-key", "signed-in"])
def test_it_refuses_everyone_else(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        _require_admin(actor)
