"""Background jobs: process change events, send email, sweep what a crash left behind."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from urllib.parse import parse_qs, unquote, urlparse

import dramatiq
from sqlalchemy import select, update

from app import live
from app.config import get_settings
from app.db import get_database
from app.models import EmailMessage, OutboxEvent, utcnow
from app.services.events import event_message
from workers.broker import broker
from workers.generate import generate_schedule  # noqa: F401  (the generator's job; enqueue() finds it here)

__all__ = (
    "deliver_push",
    "fan_out_event",
    "process_event",
    "push_notices",
    "push_rota_change",
    "queue_digests",
    "run_every_minute",
    "send_digests",
    "send_email",
    "sweep",
)

log = logging.getLogger("rounds.workers")
assert broker is not None  # the broker is set before any actor is declared

EVENT_GRACE = timedelta(seconds=30)
EMAIL_GRACE = timedelta(seconds=60)
MAX_EVENT_ATTEMPTS, MAX_EMAIL_ATTEMPTS = 10, 6


@dramatiq.actor(max_retries=5, min_backoff=1000, max_backoff=60_000)
def process_event(event_id: int) -> None:
    """Mark a change event as handled. Notification fan-out by kind hangs off here."""
    fan_out_event(event_id)  # before marking it handled, so a crash in between loses no notification
    with get_database().sync_session() as session:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.processed_at.is_(None))
            .values(processed_at=utcnow())
        )
        session.commit()


def _smtp_send(url: str, message: MimeMessage) -> None:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    host, implicit_tls = parts.hostname or "localhost", parts.scheme == "smtps"
    port = parts.port or (465 if implicit_tls else 25)
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(host, port, timeout=20, context=context) if implicit_tls
              else smtplib.SMTP(host, port, timeout=20))
    with client:
        if not implicit_tls and query.get("starttls", ["0"])[0] in {"1", "true", "yes"}:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


@dramatiq.actor(max_retries=5, min_backoff=2000, max_backoff=300_000)
def send_email(message_id: int) -> None:
    """Deliver one stored email over SMTP, or leave it in the outbox page when no SMTP is set."""
    settings = get_settings()
    with get_database().sync_session() as session:
        row = session.get(EmailMessage, message_id)
        if row is None or row.status in {"sent", "outbox"}:
            return
        if not settings.smtp_url:
            row.status = "outbox"
            session.commit()
            return
        mime = MimeMessage()
        mime["From"], mime["To"], mime["Subject"] = settings.mail_from, row.to_address, row.subject
        mime.set_content(row.body_text)
        if row.body_html:
            mime.add_alternative(row.body_html, subtype="html")
        row.attempts += 1
        try:
            _smtp_send(settings.smtp_url, mime)
        except (OSError, smtplib.SMTPException) as exc:
            row.error = f"{type(exc).__name__}: {exc}"[:1000]
            row.status = "failed" if row.attempts >= MAX_EMAIL_ATTEMPTS else "queued"
            session.commit()
            if row.status == "queued":
                raise  # Dramatiq retries with backoff
            return
        row.status, row.sent_at, row.error = "sent", utcnow(), None
        session.commit()


def sweep() -> tuple[int, int]:
    """Re-send change events and emails that were committed but never handled (a crash, a broker outage).

    Returns how many of each were re-sent. Safe to run from several workers at once
    on PostgreSQL (rows are claimed with SKIP LOCKED).
    """
    db = get_database()
    now = utcnow()
    with db.sync_session() as session:
        events_q = (
            select(OutboxEvent)
            .where(OutboxEvent.processed_at.is_(None), OutboxEvent.created_at < now - EVENT_GRACE,
                   OutboxEvent.attempts < MAX_EVENT_ATTEMPTS)
            .order_by(OutboxEvent.id)
            .limit(200)
        )
        emails_q = (
            select(EmailMessage)
            .where(EmailMessage.status == "queued", EmailMessage.created_at < now - EMAIL_GRACE,
                   EmailMessage.attempts < MAX_EMAIL_ATTEMPTS)
            .order_by(EmailMessage.id)
            .limit(200)
        )
        if not db.is_sqlite:
            events_q = events_q.with_for_update(skip_locked=True)
            emails_q = emails_q.with_for_update(skip_locked=True)
        events = list(session.execute(events_q).scalars())
        for event in events:
            event.attempts += 1
        emails = list(session.execute(emails_q).scalars())
        email_ids = [e.id for e in emails]
        messages = [(e.organization_id, event_message(e), e.id) for e in events]
        session.commit()
    for org_id, message, event_id in messages:
        live.publish(org_id, message)
        process_event.send(event_id)
    for email_id in email_ids:
        send_email.send(email_id)
    if messages or email_ids:
        log.info("sweeper re-sent %d events and %d emails", len(messages), len(email_ids))
    return len(messages), len(email_ids)


# -- web push (calendar feeds and push, issue 3) ---------------------------------------------------------
# Every step is idempotent: the push log (push_notifications) is unique per device and dedup key, a row
# is claimed before it is sent, and a daily digest is claimed per member and local date.


class PushRetry(Exception):
    """A push service had trouble (5xx, 429, no answer): Dramatiq tries the delivery again later."""


def fan_out_event(event_id: int) -> None:
    """Hand a change event to the push jobs: a rota change pushed on its own (rota.assigned / unassigned,
    not a cell of a published draft), and the notices a service recorded on it beside its emails."""
    from app.services.notices import notices_of
    from app.services.push import pushes_each_change

    with get_database().sync_session() as session:
        row = session.execute(
            select(OutboxEvent.kind, OutboxEvent.payload)
            .where(OutboxEvent.id == event_id, OutboxEvent.processed_at.is_(None))
        ).first()
        session.rollback()
    if row is None:
        return
    if pushes_each_change(row.kind, row.payload):
        push_rota_change.send(event_id)
    if notices_of(row.payload):
        push_notices.send(event_id)


@dramatiq.actor(max_retries=5, min_backoff=1000, max_backoff=60_000)
def push_rota_change(event_id: int) -> None:
    """Queue "Rota changed" pushes for the member whose published shift an event changed, and send them."""
    from app.services import push

    with get_database().sync_session() as session:
        ids = push.queue_for_event(session, event_id)
    for notification_id in ids:
        deliver_push.send(notification_id)


@dramatiq.actor(max_retries=5, min_backoff=1000, max_backoff=60_000)
def push_notices(event_id: int) -> None:
    """Queue the pushes of the people an event's service told by email (requests, a published rota), and send them."""
    from app.services import push

    with get_database().sync_session() as session:
        ids = push.queue_notices(session, event_id)
    for notification_id in ids:
        deliver_push.send(notification_id)


@dramatiq.actor(max_retries=5, min_backoff=5000, max_backoff=600_000)
def deliver_push(notification_id: int) -> None:
    """Send one queued push; a push service's 404/410 deletes the subscription."""
    from app.notify.push import PushTransport, vapid_keys
    from app.services import push

    transport = PushTransport(vapid_keys())
    with get_database().sync_session() as session:
        outcome = push.deliver(session, notification_id, transport)
    if outcome == "retry":
        raise PushRetry(f"push {notification_id} will be tried again")


def queue_digests(now_iso: str | None = None) -> int:
    """Queue and send the daily summaries due at ``now_iso`` (default: now). Returns how many pushes."""
    from datetime import datetime

    from app.services import push

    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    with get_database().sync_session() as session:
        ids = push.queue_due_digests(session, now)
    for notification_id in ids:
        deliver_push.send(notification_id)
    return len(ids)


@dramatiq.actor(max_retries=0)
def send_digests(now_iso: str | None = None) -> None:
    """The minutely actor around :func:`queue_digests` (an actor returns nothing: there is no result backend)."""
    queue_digests(now_iso)


_last_minute: list[int] = []


def run_every_minute() -> None:
    """Called by the sweeper loop (workers.runner) on each tick; enqueues the minute's jobs once a minute."""
    import time

    minute = int(time.time() // 60)
    if _last_minute and _last_minute[0] == minute:
        return
    _last_minute[:] = [minute]
    send_digests.send(utcnow().isoformat())
