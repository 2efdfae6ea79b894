"""Routes of the rota area: /push (see the module's controller)."""

from __future__ import annotations

from litestar import Controller

__all__ = ("PushController",)


class PushController(Controller):
    path = "/push"
    include_in_schema = False
