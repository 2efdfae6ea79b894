"""Routes of the rota area: /feeds (see the module's controller)."""

from __future__ import annotations

from litestar import Controller

__all__ = ("FeedController",)


class FeedController(Controller):
    path = "/feeds"
    include_in_schema = False
