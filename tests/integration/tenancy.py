"""Helpers shared by the organizations, platform, api and audit tests: reading pages and the database."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select, text

from app.db import get_database
from app.models import ApiKey, AuditEntry, EmailMessage, Invitation, Membership, Organization, User
from app.services.actor import Actor

__all__ = (
    "add_membership",
    "api_key",
    "audit_entries",
    "count",
    "execute",
    "expire_invitations",
    "field_error",
    "invitation_token",
    "invitations",
    "make_platform_admin",
    "membership",
    "organization",
    "page_text",
    "row_error",
)

INVITE_LINK = re.compile(r"/invite/([A-Za-z0-9_\-]+)")


def page_text(page: str) -> str:
    """The visible text of a page, tags removed and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def field_error(page: str, name: str) -> str | None:
    """The message shown beside form field ``name`` (the element ``#f-<name>-error``), unescaped."""
    match = re.search(rf'id="f-{re.escape(name)}-error"[^>]*>(.*?)</', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def row_error(page: str, membership_id: int) -> str | None:
    """The error shown in the member list on the row of ``membership_id``."""
    row = re.search(rf'id="member-{membership_id}">(.*?)</li>', page, re.S)
    match = re.search(r'class="error row-error" role="alert">(.*?)</p>', row.group(1), re.S) if row else None
    return html.unescape(match.group(1)).strip() if match else None


async def count(model: Any, *where: Any) -> int:
    async with get_database().read_session() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def execute(sql: str, **params: Any) -> None:
    """Run raw SQL in its own committed transaction (what someone with database access could do)."""
    async with get_database().write_session() as session:
        await session.execute(text(sql), params)
        await session.commit()


async def membership(membership_id: int) -> Membership:
    async with get_database().read_session() as session:
        row = await session.get(Membership, membership_id)
        assert row is not None
        return row


async def invitation_token(email: str) -> str:
    """The token of the latest invitation link mailed to ``email`` (read from the email, as a person would)."""
    async with get_database().read_session() as session:
        message = (
            await session.execute(
                select(EmailMessage).where(EmailMessage.to_address == email).order_by(EmailMessage.id.desc())
            )
        ).scalars().first()
    assert message is not None, f"no email to {email}"
    match = INVITE_LINK.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


async def invitations(organization_id: int, email: str) -> list[Invitation]:
    async with get_database().read_session() as session:
        rows = await session.execute(
            select(Invitation).where(Invitation.organization_id == organization_id, Invitation.email == email)
        )
        return list(rows.scalars().unique())


async def audit_entries(chain: int, action: str | None = None) -> list[AuditEntry]:
    """The entries of one audit chain (an organization's id, or 0 for the platform), oldest first."""
    async with get_database().read_session() as session:
        query = select(AuditEntry).where(AuditEntry.chain == chain)
        if action:
            query = query.where(AuditEntry.action == action)
        return list((await session.execute(query.order_by(AuditEntry.seq))).scalars())


async def make_platform_admin(email: str = "admin@rounds.example", password: str = "a ledger of many tenants") -> User:
    from app.services import platform

    async with get_database().write_session() as session:
        return await platform.create_platform_admin(session, Actor.system("test-setup"), email=email,
                                                    password=password, name="Ada Admin")


async def api_key(organization_id: int, scopes: list[str], name: str = "switchboard") -> tuple[ApiKey, str]:
    """A new key of the organization (created as the system would), and its secret."""
    from app.services import api_keys

    async with get_database().write_session() as session:
        return await api_keys.create_key(session, Actor.system("test-setup", organization_id=organization_id),
                                         name=name, scopes=scopes)


async def organization(organization_id: int) -> Organization:
    async with get_database().read_session() as session:
        row = await session.get(Organization, organization_id)
        assert row is not None
        return row


async def add_membership(user_id: int, organization_id: int, role: str) -> int:
    async with get_database().write_session() as session:
        row = Membership(user_id=user_id, organization_id=organization_id, role=role)
        session.add(row)
        await session.commit()
        return row.id


async def expire_invitations(email: str) -> None:
    """Move the invitations of ``email`` past their expiry, as if a week had gone by."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.models import utcnow

    async with get_database().write_session() as session:
        await session.execute(update(Invitation).where(Invitation.email == email)
                              .values(expires_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
