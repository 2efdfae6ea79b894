"""Routes of the rota area: /oncall (see the module's controller)."""

from __future__ import annotations

from litestar import Controller

__all__ = ("OnCallController",)


class OnCallController(Controller):
    path = "/oncall"
    include_in_schema = False
