"""Email: rendered from templates, stored, then sent by a worker (or kept in the outbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.models import EmailMessage
from app.services.events import after_commit, enqueue

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ("latest_to", "queue_email", "render_email")


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of ``templates/emails/<template>.{subject,txt,html}``."""
    from app.templating import environment

    env = environment()
    subject = env.get_template(f"emails/{template}.subject").render(context).strip()
    text = env.get_template(f"emails/{template}.txt").render(context)
    html = env.get_template(f"emails/{template}.html").render(context)
    return subject, text, html


async def queue_email(
    session: AsyncSession,
    to: str,
    template: str,
    context: dict[str, Any],
    *,
    organization_id: int | None = None,
) -> EmailMessage:
    """Store the email in the caller's transaction; the worker sends it after commit."""
    subject, text, html = render_email(template, context)
    message = EmailMessage(
        organization_id=organization_id, to_address=to, subject=subject, body_text=text, body_html=html
    )
    session.add(message)
    await session.flush()
    message_id = message.id
    after_commit(session, lambda: enqueue("send_email", message_id))
    return message


async def latest_to(session: AsyncSession, to: str) -> EmailMessage | None:
    return (
        await session.execute(
            select(EmailMessage).where(EmailMessage.to_address == to).order_by(EmailMessage.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
