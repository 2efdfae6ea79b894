"""The organization's home, its members, invitations (sending and accepting) and switching organizations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import auth_of, client_ip, in_organization, needs, session_cookie, signed_in
from app.i18n import _
from app.models import Membership
from app.routes._common import form_data, page, redirect, require_auth
from app.services import accounts, audit, organizations
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.events import commit

__all__ = ("HomeController", "InvitationController", "MemberController")


class HomeController(Controller):
    include_in_schema = False

    @get("/")
    async def landing(self, request: Request[Any, Any, Any]) -> Any:
        if auth_of(request):
            return redirect("/home")
        return page(request, "pages/landing.html")

    @get("/home", guards=[in_organization])
    async def show_home(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        auth = require_auth(request)
        org_id = auth.organization.id  # type: ignore[union-attr]
        counts = dict(
            (
                await db.execute(
                    select(Membership.role, func.count())
                    .where(Membership.organization_id == org_id, Membership.active.is_(True))
                    .group_by(Membership.role)
                )
            ).all()
        )
        recent = []
        if auth.can("audit.read"):
            recent = (await audit.list_entries(db, auth.actor, per_page=8)).entries
        # Until the practice has a shift type, managers are offered the setup wizard.
        from app.services.rota.setup import list_shift_types

        setup_pending = auth.can("schedule.manage") and not await list_shift_types(db, auth.actor,
                                                                                   include_inactive=True)
        return page(request, "pages/home.html", counts=counts, recent=recent,
                    member_total=sum(counts.values()), setup_pending=setup_pending)

    @post("/orgs/switch", guards=[signed_in])
    async def switch_organization(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            org_id = int(data.get("organization_id", ""))
        except ValueError:
            raise NotFound(_("No such organization.")) from None
        if not any(m.organization_id == org_id for m in auth.memberships):
            raise NotFound(_("No such organization."))
        from app.models import WebSession

        row = await db.get(WebSession, auth.web_session.id)
        if row is None:
            return redirect("/login", notice="session-expired")
        # Another organization means other privileges: the session gets a new id.
        token = await accounts.rotate_session(db, row, organization_id=org_id, view_as_org_id=None)
        await commit(db)
        response = redirect("/home", notice="switched")
        response.set_cookie(session_cookie(token))
        return response


def _members_context(auth: Any, members: list[Membership], invitations: list[Any]) -> dict[str, Any]:
    return {
        "members": members,
        "invitations": invitations,
        "can_manage": auth.can("members.manage"),
        "can_invite": auth.can("members.invite"),
        "can_manage_owners": auth.can("members.manage_owners"),
    }


class MemberController(Controller):
    path = "/members"
    include_in_schema = False
    guards = [in_organization]

    async def _render(self, request: Request[Any, Any, Any], db: AsyncSession, *, status_code: int = 200,
                      values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                      row_errors: dict[int, str] | None = None) -> Template:
        auth = require_auth(request)
        members = await organizations.list_members(db, auth.actor)
        invitations = await organizations.list_invitations(db, auth.actor) if auth.can("members.invite") else []
        context = _members_context(auth, members, invitations)
        context.update(values=values or {"role": "member"}, errors=errors or {}, row_errors=row_errors or {})
        template = "members/_list.html" if request.headers.get("hx-request") and not errors else "members/index.html"
        return page(request, template, status_code=status_code, **context)

    @get("/")
    async def list_members(self, request: Request[Any, Any, Any], db: AsyncSession) -> Template:
        return await self._render(request, db)

    @post("/invite", guards=[needs("members.invite")])
    async def invite_member(self, request: Request[Any, Any, Any], db: AsyncSession) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        values = {"email": str(data.get("email", "")), "role": str(data.get("role", "member"))}
        try:
            await organizations.invite_member(db, auth.actor, email=values["email"], role=values["role"])
        except ValidationFailed as exc:
            await db.rollback()
            return await self._render(request, db, status_code=422, values=values, errors=exc.errors)
        return redirect("/members", notice="invited")

    @post("/{membership_id:int}/role", guards=[needs("members.manage")])
    async def change_role(self, request: Request[Any, Any, Any], db: AsyncSession, membership_id: int) -> Any:
        auth = require_auth(request)
        data = await form_data(request)
        try:
            await organizations.change_role(db, auth.actor, membership_id, str(data.get("role", "")))
        except ValidationFailed as exc:
            await db.rollback()
            return await self._render(request, db, status_code=422,
                                      row_errors={membership_id: next(iter(exc.errors.values()))})
        return redirect("/members", notice="role-changed")

    @post("/{membership_id:int}/deactivate", guards=[needs("members.manage")])
    async def deactivate_member(self, request: Request[Any, Any, Any], db: AsyncSession, membership_id: int) -> Any:
        auth = require_auth(request)
        try:
            await organizations.deactivate_member(db, auth.actor, membership_id)
        except ValidationFailed as exc:
            await db.rollback()
            return await self._render(request, db, status_code=422,
                                      row_errors={membership_id: next(iter(exc.errors.values()))})
        return redirect("/members", notice="deactivated")

    @post("/{membership_id:int}/reactivate", guards=[needs("members.manage")])
    async def reactivate_member(self, request: Request[Any, Any, Any], db: AsyncSession, membership_id: int) -> Any:
        auth = require_auth(request)
        await organizations.reactivate_member(db, auth.actor, membership_id)
        return redirect("/members", notice="reactivated")

    @post("/invitations/{invitation_id:int}/revoke", guards=[needs("members.invite")])
    async def revoke_invitation(self, request: Request[Any, Any, Any], db: AsyncSession, invitation_id: int) -> Any:
        auth = require_auth(request)
        await organizations.revoke_invitation(db, auth.actor, invitation_id)
        return redirect("/members", notice="invite-revoked")


class InvitationController(Controller):
    """Accepting an invitation: signed in as the invited address, or by creating the account."""

    path = "/invite"
    include_in_schema = False

    @get("/{token:str}")
    async def show_invitation(self, request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Template:
        invitation = await organizations.find_invitation(db, token)
        if invitation is None:
            return page(request, "invitations/accept.html", status_code=410, invitation=None, token=token,
                        errors={}, values={})
        from app.models import User

        has_account = (await db.execute(select(User.id).where(User.email == invitation.email))).first() is not None
        return page(request, "invitations/accept.html", invitation=invitation, token=token, has_account=has_account,
                    errors={}, values={})

    @post("/{token:str}")
    async def accept_invitation(self, request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Any:
        auth = auth_of(request)
        data = await form_data(request)
        try:
            user, membership = await organizations.accept_invitation(
                db, token, user=auth.user if auth else None, name=str(data.get("name", "")),
                password=str(data.get("password", "")), ip=client_ip(request.scope),
                user_agent=request.headers.get("user-agent"))
        except ValidationFailed as exc:
            await db.rollback()
            # The rollback expired every loaded row: read the invitation again for the page.
            invitation = await organizations.find_invitation(db, token)
            return page(request, "invitations/accept.html", status_code=422, invitation=invitation, token=token,
                        has_account=False, errors=exc.errors, values={"name": data.get("name", "")})
        except (Conflict, NotFound) as exc:
            await db.rollback()
            invitation = await organizations.find_invitation(db, token)
            return page(request, "invitations/accept.html", status_code=409 if invitation else 410,
                        invitation=invitation, token=token, has_account=True, errors={"form": exc.message},
                        values={})
        # Joining changes what this browser may do: always a fresh session id.
        new_token = await accounts.create_session(
            db, user, ip=client_ip(request.scope), user_agent=request.headers.get("user-agent"),
            replaces=request.cookies.get(session_cookie(None).key), organization_id=membership.organization_id)
        await commit(db)
        response = redirect("/home", notice="joined")
        response.set_cookie(session_cookie(new_token))
        return response


