"""Sign-up, sign-in, sign-out, email verification and password reset."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import auth_of, client_ip, session_cookie, signed_in
from app.i18n import _
from app.routes._common import form_data, page, redirect, require_auth, safe_next
from app.services import accounts, organizations
from app.services.errors import Throttled, ValidationFailed
from app.services.events import commit

__all__ = ("AccountController",)


def _signup_context(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"values": values or {}, "errors": errors or {}, "countries": organizations.countries()}


class AccountController(Controller):
    include_in_schema = False

    @get("/signup")
    async def show_signup(self, request: Request[Any, Any, Any]) -> Any:
        if auth_of(request):
            return redirect("/home")
        return page(request, "accounts/signup.html", **_signup_context())

    @post("/signup")
    async def create_account(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        data = await form_data(request)
        try:
            user, _org = await accounts.signup(
                db,
                name=str(data.get("name", "")),
                email=str(data.get("email", "")),
                password=str(data.get("password", "")),
                practice_name=str(data.get("practice_name", "")),
                timezone=str(data.get("timezone", "")),
                country=str(data.get("country", "")) or None,
                ip=client_ip(request.scope),
                user_agent=request.headers.get("user-agent"),
            )
        except ValidationFailed as exc:
            data.pop("password", None)
            return page(request, "accounts/signup.html", status_code=422, **_signup_context(data, exc.errors))
        token = await accounts.create_session(db, user, ip=client_ip(request.scope),
                                              user_agent=request.headers.get("user-agent"))
        await commit(db)
        response = redirect("/rota/setup/wizard", notice="welcome")
        response.set_cookie(session_cookie(token))
        return response

    @get("/login")
    async def show_login(self, request: Request[Any, Any, Any]) -> Any:
        if auth_of(request):
            return redirect(safe_next(request.query_params.get("next")))
        return page(request, "accounts/login.html", values={"next": request.query_params.get("next", "")},
                    errors={})

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        data = await form_data(request)
        email, next_url = str(data.get("email", "")), str(data.get("next", ""))
        values = {"email": email, "next": next_url}
        try:
            user = await accounts.authenticate(db, email=email, password=str(data.get("password", "")),
                                               ip=client_ip(request.scope),
                                               user_agent=request.headers.get("user-agent"))
        except Throttled as exc:
            response = page(request, "accounts/login.html", status_code=429, values=values,
                            errors={"form": exc.message})
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except ValidationFailed as exc:
            return page(request, "accounts/login.html", status_code=422, values=values, errors=exc.errors)
        token = await accounts.create_session(db, user, ip=client_ip(request.scope),
                                              user_agent=request.headers.get("user-agent"),
                                              replaces=request.cookies.get(session_cookie(None).key))
        await commit(db)
        response = redirect(safe_next(next_url))
        response.set_cookie(session_cookie(token))
        return response

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
        token = request.cookies.get(session_cookie(None).key)
        auth = auth_of(request)
        # The auth middleware may have given the session a new id during this very request.
        session_id = auth.web_session.id if auth else None
        if token or session_id:
            await accounts.end_session(db, token, session_id=session_id)
            await commit(db)
        response = redirect("/login", notice="signed-out")
        response.set_cookie(session_cookie(None))
        # Tells the service worker to drop every cached page of this user.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response

    # -- email verification --------------------------------------------------------------------------

    @get("/verify-email/{token:str}")
    async def verify_email(self, request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Any:
        # A GET must not spend the token (mail scanners follow links): confirm with a button.
        return page(request, "accounts/verify_email.html", token=token)

    @post("/verify-email/{token:str}")
    async def confirm_email(self, request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Any:
        user = await accounts.verify_email(db, token)
        if user is None:
            return page(request, "accounts/verify_email.html", status_code=410, token=token, failed=True)
        return redirect("/home" if auth_of(request) else "/login", notice="email-verified")

    @post("/verify-email/resend", guards=[signed_in])
    async def resend_verification(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        from app.models import User

        user = await db.get(User, auth.user.id)
        if user is not None and user.email_verified_at is None:
            await accounts.send_verification(db, user)
        return redirect("/home", notice="verify-sent")

    # -- password reset ------------------------------------------------------------------------------

    @get("/forgot-password")
    async def show_forgot(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "accounts/forgot.html", values={}, errors={})

    @post("/forgot-password")
    async def request_reset(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        data = await form_data(request)
        email = accounts.normalize_email(str(data.get("email", "")))
        if problem := accounts.validate_email(email):
            return page(request, "accounts/forgot.html", status_code=422, values={"email": email},
                        errors={"email": problem})
        await accounts.request_password_reset(db, email, ip=client_ip(request.scope))
        return redirect("/login", notice="reset-sent")

    @get("/reset-password/{token:str}")
    async def show_reset(self, request: Request[Any, Any, Any], token: str) -> Template:
        return page(request, "accounts/reset.html", token=token, errors={})

    @post("/reset-password/{token:str}")
    async def reset_password(self, request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Any:
        data = await form_data(request)
        password, confirm = str(data.get("password", "")), str(data.get("password_confirm", ""))
        if password != confirm:
            return page(request, "accounts/reset.html", status_code=422, token=token,
                        errors={"password_confirm": _("The two passwords don't match.")})
        try:
            await accounts.reset_password(db, token, password, ip=client_ip(request.scope))
        except ValidationFailed as exc:
            return page(request, "accounts/reset.html", status_code=422, token=token, errors=exc.errors)
        response = redirect("/login", notice="password-reset")
        response.set_cookie(session_cookie(None))
        return response
