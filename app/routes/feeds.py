"""Routes of the rota area: /feeds, secret iCal feeds of published shifts.

- ``GET /feeds``: the page (my feed; per shift type feeds for owners and managers).
- ``POST /feeds/mine``, ``POST /feeds/shift-types/{id}``: make a feed; the response shows its address once.
- ``POST /feeds/{id}/rotate``, ``POST /feeds/{id}/revoke``: a new address, or off.
- ``GET /feeds/{token}.ics``: the feed itself, no sign-in (the token is the secret).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import in_organization, needs
from app.routes._common import page, redirect, require_auth
from app.services.rota import feeds
from app.views import feeds as views

__all__ = ("FeedController",)

ICS_HEADERS = {
    "Content-Disposition": 'inline; filename="rounds.ics"',
    # The address is a secret: keep the answer out of shared caches and search engines.
    "Cache-Control": "private, max-age=300",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


class FeedController(Controller):
    path = "/feeds"
    include_in_schema = False

    async def _render(self, request: Request[Any, Any, Any], db: AsyncSession, *,
                      my_secret: feeds.FeedSecret | None = None, shift_secret: feeds.FeedSecret | None = None,
                      ) -> Template:
        auth = require_auth(request)
        has_membership = auth.membership is not None and not auth.viewing_as
        can_manage = has_membership and auth.can("schedule.manage")
        view = views.feeds_page(
            has_membership=has_membership,
            my_feed=await feeds.my_feed(db, auth.actor) if has_membership else None,
            my_secret=my_secret,
            shift_feeds=await feeds.shift_type_feeds(db, auth.actor) if can_manage else None,
            shift_secret=shift_secret,
            can_manage=can_manage,
            takes_shifts=has_membership and auth.membership.in_schedule and auth.membership.role != "viewer",
        )
        notice = views.done_text(request.query_params.get("done"))
        return page(request, "feeds/index.html", view=view, **({"notice": notice} if notice else {}))

    @get("/", guards=[in_organization])
    async def show_feeds(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._render(request, db)

    @post("/mine", guards=[in_organization])
    async def create_my_feed(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        secret = await feeds.create_my_feed(db, auth.actor)
        # The address is shown on this response only; a reload does not show it again.
        return await self._render(request, db, my_secret=secret)

    @post("/shift-types/{shift_type_id:int}", guards=[needs("schedule.manage")])
    async def create_shift_type_feed(self, request: Request[Any, Any, Any], db: AsyncSession,
                                     shift_type_id: int) -> Template:
        auth = require_auth(request)
        secret = await feeds.create_shift_type_feed(db, auth.actor, shift_type_id)
        return await self._render(request, db, shift_secret=secret)

    @post("/{feed_id:int}/rotate", guards=[in_organization])
    async def rotate_feed(self, request: Request[Any, Any, Any], db: AsyncSession, feed_id: int) -> Template:
        auth = require_auth(request)
        secret = await feeds.rotate_feed(db, auth.actor, feed_id)
        if secret.feed.membership_id is not None:
            return await self._render(request, db, my_secret=secret)
        return await self._render(request, db, shift_secret=secret)

    @post("/{feed_id:int}/revoke", guards=[in_organization])
    async def revoke_feed(self, request: Request[Any, Any, Any], db: AsyncSession, feed_id: int) -> Response[Any]:
        auth = require_auth(request)
        await feeds.revoke_feed(db, auth.actor, feed_id)
        return redirect("/feeds", done="revoked")

    @get("/{filename:str}")
    async def get_feed(self, db: AsyncSession, filename: str) -> Response[Any]:
        """The iCalendar feed. Unknown, rotated-away or revoked tokens all get the same plain 404."""
        token = filename.removesuffix(".ics")
        body = await feeds.render_feed(db, token) if filename.endswith(".ics") else None
        if body is None:
            return Response("Not found\n", status_code=404, media_type=MediaType.TEXT,
                            headers={"Cache-Control": "no-store"})
        return Response(body, media_type="text/calendar; charset=utf-8", headers=ICS_HEADERS)
