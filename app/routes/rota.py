"""Routes of the rota area: /rota (see the module's controller)."""

from __future__ import annotations

from litestar import Controller

__all__ = ("RotaController",)


class RotaController(Controller):
    path = "/rota"
    include_in_schema = False
