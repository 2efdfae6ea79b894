"""Error responses: HTML pages for browsers, ``{"error": {"code", "message"}}`` under ``/api/``."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.auth import LoginRequired, OrganizationSuspended, auth_of
from app.i18n import _
from app.services.errors import ServiceError, Throttled

__all__ = ("api_error", "exception_handlers")

log = logging.getLogger("rounds.errors")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    429: "rate_limited",
}


def api_error(status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        {"error": {"code": code or _CODES.get(status, "error"), "message": message}},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request[Any, Any, Any], status: int, title: str, message: str, **extra: Any) -> Response[Any]:
    template = extra.pop("template", "errors/error.html")
    return Template(
        template,
        context={"status": status, "title": title, "message": message, "auth": auth_of(request), **extra},
        status_code=status,
        media_type=MediaType.HTML,
    )


def _messages(status: int) -> tuple[str, str]:
    return {
        400: (_("That request didn't make sense"), _("Something in the request was malformed. Go back and try again.")),
        403: (_("Not allowed"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("There is nothing here. It may have moved, or belong to another organization.")),
        405: (_("Not allowed"), _("This page can't be used that way.")),
        429: (_("Slow down"), _("Too many requests in a short time. Wait a minute and try again.")),
    }.get(status, (_("Something went wrong"), _("We couldn't complete that. Try again in a moment.")))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if _is_api(request):
        message = exc.detail if status < 500 else _("Internal error.")
        if isinstance(exc, ValidationException) and exc.extra:
            fields = "; ".join(
                f"{e.get('key', '?')}: {e.get('message', '')}" for e in exc.extra if isinstance(e, dict)
            )
            message = f"{exc.detail}: {fields}" if fields else exc.detail
        return api_error(status, message, headers=getattr(exc, "headers", None))
    if isinstance(exc, LoginRequired | NotAuthorizedException):
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)
    if isinstance(exc, OrganizationSuspended):
        return _page(request, 403, _("This organization is suspended"), "", template="errors/suspended.html")
    if status == 403 and exc.detail == "no-organization":
        return _page(request, 403, _("You're not in an organization yet"), "", template="errors/no_org.html")
    if status == 403 and "CSRF" in str(exc.detail):
        return _page(request, 403, _("This form has expired"),
                     _("For your safety, forms expire. Go back, reload the page and submit it again."))
    title, message = _messages(status)
    if status == 403 and exc.detail and exc.detail != "Forbidden":
        message = exc.detail
    return _page(request, status, title, message)


def handle_service(request: Request[Any, Any, Any], exc: ServiceError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    if _is_api(request):
        return api_error(exc.status_code, exc.message, code=exc.code, headers=headers)
    title, _unused = _messages(exc.status_code)
    return _page(request, exc.status_code, title, exc.message)


def _id_out_of_range(exc: BaseException) -> bool:
    """An id too large for the database's integer (SQLite: OverflowError; PostgreSQL: out of range)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OverflowError) or "out of range" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def handle_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _id_out_of_range(exc):
        # No record can have such an id: a 404 like any other unknown id, not a server error.
        if _is_api(request):
            return api_error(404, _("Not found."))
        title, message = _messages(404)
        return _page(request, 404, title, message)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return api_error(500, _("Internal error."), code="internal_error")
    title, message = _messages(500)
    return _page(request, HTTP_500_INTERNAL_SERVER_ERROR, title, message)


def exception_handlers() -> dict[Any, Any]:
    return {HTTPException: handle_http, ServiceError: handle_service, Exception: handle_crash}
