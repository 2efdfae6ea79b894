"""The permission matrix: each role (and "view as", and the system) against each permission."""

from __future__ import annotations

import pytest

from app.services.actor import Actor
from app.services.errors import Forbidden
from app.services.permissions import MATRIX, can, require

PERMISSIONS = (
    "org.read", "members.read", "members.invite", "members.manage", "members.manage_owners", "audit.read",
    "org.settings", "api_keys.manage", "schedule.read", "schedule.manage", "requests.create",
)

# What each kind of actor may do: the table of the permissions module's docstring, as data.
#                          owner manager member viewer view-as system
TABLE = {
    "org.read":               (1, 1, 1, 1, 1, 1),
    "members.read":           (1, 1, 1, 1, 1, 1),
    "members.invite":         (1, 1, 0, 0, 0, 1),
    "members.manage":         (1, 1, 0, 0, 0, 1),
    "members.manage_owners":  (1, 0, 0, 0, 0, 1),
    "audit.read":             (1, 1, 0, 0, 0, 1),
    "org.settings":           (1, 0, 0, 0, 0, 1),
    "api_keys.manage":        (1, 0, 0, 0, 0, 1),
    "schedule.read":          (1, 1, 1, 1, 1, 1),
    "schedule.manage":        (1, 1, 0, 0, 0, 1),
    "requests.create":        (1, 1, 1, 0, 0, 1),
}
ACTORS = {
    "owner": Actor(user_id=1, label="owner", organization_id=1, role="owner"),
    "manager": Actor(user_id=2, label="manager", organization_id=1, role="manager"),
    "member": Actor(user_id=3, label="member", organization_id=1, role="member"),
    "viewer": Actor(user_id=4, label="viewer", organization_id=1, role="viewer"),
    # A platform admin viewing an organization, even one who is its owner elsewhere: read-only.
    "view-as": Actor(user_id=5, label="admin", organization_id=1, role="owner", is_platform_admin=True,
                     viewing_as=True),
    "system": Actor.system("cli", organization_id=1),
}
CASES = [(who, permission, bool(TABLE[permission][i]))
         for permission in PERMISSIONS for i, who in enumerate(ACTORS)]


def test_it_covers_every_permission_the_roles_use() -> None:
    assert set(TABLE) == set(PERMISSIONS) == set().union(*MATRIX.values())


@pytest.mark.parametrize(("who", "permission", "allowed"), CASES, ids=[f"{w}-{p}" for w, p, _ in CASES])
def test_it_grants_exactly_the_table(who: str, permission: str, allowed: bool) -> None:
    actor = ACTORS[who]

    assert can(actor, permission) is allowed
    if allowed:
        require(actor, permission)
    else:
        with pytest.raises(Forbidden):
            require(actor, permission)


@pytest.mark.parametrize("role", [None, "", "patient", "admin", "OWNER"])
def test_it_grants_nothing_to_an_unknown_role(role: str | None) -> None:
    actor = Actor(user_id=1, label="x", organization_id=1, role=role)

    assert not [p for p in PERMISSIONS if can(actor, p)]


def test_it_grants_a_platform_admin_nothing_in_an_organization_by_that_alone() -> None:
    admin = Actor(user_id=1, label="admin", organization_id=1, role=None, is_platform_admin=True)

    assert not [p for p in PERMISSIONS if can(admin, p)]


def test_it_grants_nothing_unknown_even_to_owners() -> None:
    assert not can(ACTORS["owner"], "platform.everything")
    assert not can(ACTORS["view-as"], "platform.everything")
