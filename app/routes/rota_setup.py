"""Routes of the rota area: /rota/setup (see the module's controller)."""

from __future__ import annotations

from litestar import Controller

__all__ = ("RotaSetupController",)


class RotaSetupController(Controller):
    path = "/rota/setup"
    include_in_schema = False
