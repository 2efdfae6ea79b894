"""The permission matrix, enforced by services (and mirrored by route guards).

| permission            | owner | manager | member | viewer |
|-----------------------|:-----:|:-------:|:------:|:------:|
| org.read              |   x   |    x    |   x    |   x    |
| members.read          |   x   |    x    |   x    |   x    |
| members.invite        |   x   |    x    |        |        |
| members.manage        |   x   |    x    |        |        |
| members.manage_owners |   x   |         |        |        |
| audit.read            |   x   |    x    |        |        |
| org.settings          |   x   |         |        |        |
| api_keys.manage       |   x   |         |        |        |
| schedule.read         |   x   |    x    |   x    |   x    |
| schedule.manage       |   x   |    x    |        |        |
| requests.create       |   x   |    x    |   x    |        |

A platform administrator viewing an organization ("view as") holds the viewer
column only; the system actor (CLI, workers) holds everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.i18n import _
from app.services.errors import Forbidden

if TYPE_CHECKING:
    from app.services.actor import Actor

__all__ = ("MATRIX", "can", "require")

_VIEWER = frozenset({"org.read", "members.read", "schedule.read"})
_MEMBER = _VIEWER | {"requests.create"}
_MANAGER = _MEMBER | {"members.invite", "members.manage", "audit.read", "schedule.manage"}
_OWNER = _MANAGER | {"members.manage_owners", "org.settings", "api_keys.manage"}

MATRIX: dict[str, frozenset[str]] = {
    "owner": frozenset(_OWNER),
    "manager": frozenset(_MANAGER),
    "member": frozenset(_MEMBER),
    "viewer": _VIEWER,
}


def can(actor: Actor, permission: str) -> bool:
    if actor.is_system:
        return True
    if actor.viewing_as:
        return permission in _VIEWER
    return permission in MATRIX.get(actor.role or "", frozenset())


def require(actor: Actor, permission: str) -> None:
    """Raise :class:`Forbidden` unless ``actor`` holds ``permission`` in its organization."""
    if not can(actor, permission):
        raise Forbidden(_("You do not have permission to do that."))
