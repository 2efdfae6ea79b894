"""Routes of the rota area: /push, web push notifications on members' devices.

- ``GET /push``: the page: this device on or off, my devices, the daily summary time, a test button.
- ``POST /push/subscriptions`` (JSON ``PushSubscription.toJSON()``) and ``DELETE /push/subscriptions``
  (JSON ``{"endpoint"}``): what the page's script sends when the device is turned on or off.
- ``POST /push/subscriptions/{id}/delete``: remove a device from the list.
- ``POST /push/digest``, ``POST /push/test``.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, MediaType, Request, Response, delete, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import in_organization
from app.errors import api_error
from app.i18n import _
from app.notify.push import vapid_public_key
from app.routes._common import form_data, page, redirect, require_auth
from app.services import push
from app.services.errors import NotFound, ValidationFailed
from app.views import push as views

__all__ = ("PushController",)

MAX_JSON = 8 * 1024


async def _json(request: Request[Any, Any, Any]) -> Any:
    body = await request.body()
    if len(body) > MAX_JSON:
        return None
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


class PushController(Controller):
    path = "/push"
    include_in_schema = False
    guards = [in_organization]

    async def _render(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                      errors: dict[str, str] | None = None, form: views.DigestForm | None = None) -> Template:
        auth = require_auth(request)
        has_membership = auth.membership is not None and not auth.viewing_as
        # First, before this request's session holds any lock: the first call generates the key pair.
        public_key = await vapid_public_key() if has_membership else ""
        devices = await push.list_devices(db, auth.actor) if has_membership else []
        notice = views.done_text(request.query_params.get("done"))
        return page(request, "push/index.html", status_code=status_code, has_membership=has_membership,
                    devices=views.device_rows(devices), public_key=public_key,
                    digest=form or views.digest_form(auth.membership), errors=errors or {},
                    **({"notice": notice} if notice else {}))

    @get("/")
    async def show_push(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._render(request, db)

    @post("/subscriptions", status_code=201)
    async def create_subscription(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
        auth = require_auth(request)
        try:
            device = push.parse_subscription(await _json(request))
            row = await push.subscribe(db, auth.actor, device, user_agent=request.headers.get("user-agent"))
        except ValidationFailed as exc:
            await db.rollback()
            return api_error(422, exc.message)
        except NotFound as exc:
            return api_error(404, exc.message)
        return Response({"id": row.id}, status_code=201, media_type=MediaType.JSON)

    @delete("/subscriptions", status_code=200)
    async def delete_subscription(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
        auth = require_auth(request)
        data = await _json(request)
        endpoint = data.get("endpoint") if isinstance(data, dict) else None
        if not isinstance(endpoint, str) or not endpoint:
            return api_error(422, _("Send the endpoint of the subscription to remove."))
        try:
            await push.unsubscribe_endpoint(db, auth.actor, endpoint)
        except NotFound as exc:
            return api_error(404, exc.message)
        return Response(None, status_code=204)

    @post("/subscriptions/{subscription_id:int}/delete")
    async def remove_device(self, request: Request[Any, Any, Any], db: AsyncSession,
                            subscription_id: int) -> Response[Any]:
        auth = require_auth(request)
        await push.remove_device(db, auth.actor, subscription_id)
        return redirect("/push", done="removed")

    @post("/digest")
    async def save_digest(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        enabled = str(data.get("digest_on", "")) in {"1", "on", "true"}
        raw = str(data.get("digest_time", ""))
        try:
            value = push.parse_digest_time(enabled, raw)
            await push.set_digest_time(db, auth.actor, value)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._render(request, db, status_code=422, errors=exc.errors,
                                      form=views.DigestForm(enabled=enabled, time=raw[:8]))
        return redirect("/push", done="digest-on" if value else "digest-off")

    @post("/test")
    async def send_test_push(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
        auth = require_auth(request)
        sent = await push.send_test(db, auth.actor)
        return redirect("/push", done="test-sent" if sent else "test-none")
