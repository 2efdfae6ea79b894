"""Web push: members' devices (subscriptions), their daily digest time, and what gets pushed when.

Two halves:

- For routes (async, an actor): subscribe or remove a device, choose the digest time, send a test.
- For workers (sync sessions, no actor): turn a rota change event, the notices a service recorded on
  an event (:mod:`app.services.notices`) or a due digest into push log rows
  (:class:`~app.models.PushNotification`, one per device, unique per device and dedup key), and
  deliver one row through :class:`app.notify.push.PushTransport`.

A row is written before the send and updated after; every job can run twice without pushing twice.
Payloads carry a title, a line and a link, never patient data.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from babel.dates import format_date
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.i18n import DEFAULT_LOCALE, _
from app.models import (
    Assignment,
    Membership,
    Organization,
    OutboxEvent,
    PushNotification,
    PushSubscription,
    utcnow,
)
from app.notify.push import PushMessage, PushTransport, TransportError, allow_http_endpoints, b64url_decode
from app.services import audit
from app.services.errors import NotFound, ValidationFailed
from app.services.events import after_commit, commit, emit, enqueue
from app.services.notices import notices_of
from app.services.organizations import my_membership
from app.services.permissions import require
from app.services.rota.dates import occurrence

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from app.services.actor import Actor

__all__ = (
    "DIGEST_CATCH_UP",
    "ROTA_KINDS",
    "DeviceInput",
    "deliver",
    "digest_is_due",
    "digest_message",
    "list_devices",
    "my_membership",
    "notice_message",
    "parse_digest_time",
    "parse_subscription",
    "pushes_each_change",
    "queue_due_digests",
    "queue_for_event",
    "queue_notices",
    "remove_device",
    "rota_change_message",
    "send_test",
    "set_digest_time",
    "subscribe",
    "unsubscribe_endpoint",
)

ROTA_KINDS = frozenset({"rota.assigned", "rota.unassigned"})
# A digest missed by a stopped worker is still sent this long after its time, never later.
DIGEST_CATCH_UP = timedelta(minutes=60)
MAX_ATTEMPTS = 6
CHANGE_TTL = 24 * 3600
NOTICE_TTL = 3 * 24 * 3600  # a swap offer still matters to a phone that was off over a weekend
DIGEST_TTL = 4 * 3600
TEST_TTL = 600
DIGEST_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MINE_URL = "/rota/mine"  # my shifts, next 30 days


# -- devices (routes) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceInput:
    endpoint: str
    p256dh: str
    auth: str


def parse_subscription(data: Any) -> DeviceInput:
    """A browser's ``PushSubscription.toJSON()``, checked: an https endpoint and real P-256 / auth keys."""
    if not isinstance(data, dict):
        raise ValidationFailed({"subscription": _("Send the browser's push subscription as JSON.")})
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    errors: dict[str, str] = {}
    parts = urlparse(endpoint) if isinstance(endpoint, str) else None
    schemes = {"https", "http"} if allow_http_endpoints() else {"https"}
    if parts is None or parts.scheme not in schemes or not parts.hostname or len(endpoint) > 2000:
        errors["endpoint"] = _("The push endpoint must be an https address of a push service.")
    try:
        point = b64url_decode(p256dh) if isinstance(p256dh, str) else b""
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (ValueError, TypeError):
        errors["p256dh"] = _("The subscription's p256dh key is not a P-256 public key.")
    try:
        if not isinstance(auth, str) or len(b64url_decode(auth)) != 16:
            raise ValueError
    except (ValueError, TypeError):
        errors["auth"] = _("The subscription's auth secret must be 16 bytes.")
    if errors:
        raise ValidationFailed(errors)
    return DeviceInput(endpoint=endpoint, p256dh=p256dh.rstrip("="), auth=auth.rstrip("="))  # type: ignore[arg-type, union-attr]


async def list_devices(session: AsyncSession, actor: Actor) -> list[PushSubscription]:
    """The actor's devices that receive pushes of this organization, newest first."""
    await my_membership(session, actor)
    rows = await session.execute(
        select(PushSubscription).where(PushSubscription.user_id == actor.user_id,
                                       PushSubscription.organization_id == actor.organization_id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
    )
    return list(rows.scalars())


async def subscribe(session: AsyncSession, actor: Actor, device: DeviceInput, *,
                    user_agent: str | None = None) -> PushSubscription:
    """Register this browser for pushes. A browser has one endpoint: signing in as someone else and
    enabling notifications moves it to them (the previous person no longer gets pushes there)."""
    await my_membership(session, actor)
    row = (
        await session.execute(select(PushSubscription).where(PushSubscription.endpoint == device.endpoint))
    ).scalar_one_or_none()
    before = None
    if (row is not None and row.user_id == actor.user_id and row.organization_id == actor.organization_id
            and row.p256dh == device.p256dh and row.auth == device.auth):
        return row  # the page re-sends what the browser holds on each visit: nothing changed
    if row is None:
        row = PushSubscription(endpoint=device.endpoint, user_id=actor.user_id,
                               organization_id=actor.organization_id, p256dh=device.p256dh, auth=device.auth)
        session.add(row)
    else:
        before = {"user_id": row.user_id, "organization_id": row.organization_id}
        row.user_id, row.organization_id = actor.user_id, actor.organization_id  # type: ignore[assignment]
        row.p256dh, row.auth = device.p256dh, device.auth
    row.user_agent = (user_agent or "")[:300] or None
    await session.flush()
    await audit.record(session, actor, "push.subscribed", entity_type="push_subscription", entity_id=row.id,
                       before=before, after={"user_id": actor.user_id, "device": row.user_agent,
                                             "push_service": urlparse(row.endpoint).hostname})
    await emit(session, actor.organization_id, "push.subscribed", entity_type="push_subscription",
               entity_id=row.id, payload={"user_id": actor.user_id})
    await commit(session)
    return row


async def _remove(session: AsyncSession, actor: Actor, row: PushSubscription, how: str) -> None:
    await audit.record(session, actor, "push.unsubscribed", entity_type="push_subscription", entity_id=row.id,
                       before={"device": row.user_agent, "push_service": urlparse(row.endpoint).hostname},
                       after={"by": how})
    await emit(session, actor.organization_id, "push.unsubscribed", entity_type="push_subscription",
               entity_id=row.id, payload={"user_id": actor.user_id})
    await session.delete(row)
    await commit(session)


async def unsubscribe_endpoint(session: AsyncSession, actor: Actor, endpoint: str) -> None:
    """This browser turned notifications off: forget its endpoint (only the actor's own)."""
    require(actor, "schedule.read")
    row = (
        await session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint,
                                                             PushSubscription.user_id == actor.user_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("This device does not receive notifications."))
    await _remove(session, actor, row, "device")


async def remove_device(session: AsyncSession, actor: Actor, subscription_id: int) -> None:
    """Remove one of the actor's devices from the device list (e.g. a lost phone)."""
    require(actor, "schedule.read")
    row = (
        await session.execute(select(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.user_id == actor.user_id,
            PushSubscription.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No such device."))
    await _remove(session, actor, row, "list")


def parse_digest_time(enabled: bool, raw: str | None) -> str | None:
    """``"HH:MM"`` when the digest is on, None when off; a bad time is a field error."""
    if not enabled:
        return None
    value = (raw or "").strip()
    if len(value) == 8 and value.endswith(":00"):  # some browsers send seconds
        value = value[:5]
    if not DIGEST_TIME_RE.match(value):
        raise ValidationFailed({"digest_time": _("Enter a time of day such as 07:00.")})
    return value


async def set_digest_time(session: AsyncSession, actor: Actor, value: str | None) -> Membership:
    """Set (``"HH:MM"``, local to the organization) or turn off (None) the actor's daily digest."""
    member = await my_membership(session, actor)
    if value is not None and not DIGEST_TIME_RE.match(value):
        raise ValidationFailed({"digest_time": _("Enter a time of day such as 07:00.")})
    if member.digest_time == value:
        return member
    before = {"digest_time": member.digest_time}
    member.digest_time = value
    await audit.record(session, actor, "member.digest_time_changed", entity_type="membership",
                       entity_id=member.id, before=before, after={"digest_time": value})
    await emit(session, actor.organization_id, "push.settings", entity_type="membership", entity_id=member.id,
               payload={"user_id": actor.user_id})
    await commit(session)
    return member


async def send_test(session: AsyncSession, actor: Actor) -> int:
    """Push "notifications work" to each of the actor's devices; returns how many will be tried."""
    devices = await list_devices(session, actor)
    message = PushMessage(title=_("Rounds"), body=_("Notifications work on this device."), url="/push",
                          tag="rounds-test")
    key = f"test:{uuid.uuid4().hex}"
    rows = [PushNotification(organization_id=actor.organization_id, user_id=actor.user_id, subscription_id=d.id,
                             dedup_key=key, title=message.title, body=message.body, url=message.url,
                             tag=message.tag, ttl_seconds=TEST_TTL) for d in devices]
    session.add_all(rows)
    await session.flush()
    await audit.record(session, actor, "push.test_sent", entity_type="push_notification",
                       after={"devices": len(rows)})
    for row in rows:
        after_commit(session, lambda rid=row.id: enqueue("deliver_push", rid))
    await commit(session)
    return len(rows)


# -- messages --------------------------------------------------------------------------------------------


def _day_label(day: date) -> str:
    return format_date(day, "EEE d MMM", locale=DEFAULT_LOCALE)


def rota_change_message(kind: str, assignment: Assignment, tz: ZoneInfo) -> PushMessage:
    """"You are on Night call on Tue 3 Mar at 19:00" (or no longer on it): shift, day and time only."""
    shift = assignment.shift_type
    starts = occurrence(assignment.date, shift.start_time, shift.duration_minutes, tz).starts_at.astimezone(tz)
    day = _day_label(assignment.date)
    if kind == "rota.unassigned":
        body = _("You are no longer on %(shift)s on %(day)s.", shift=shift.name, day=day)
    else:
        body = _("You are on %(shift)s on %(day)s at %(time)s.", shift=shift.name, day=day,
                 time=starts.strftime("%H:%M"))
    return PushMessage(title=_("Rota changed"), body=body, url=MINE_URL, tag=f"rota-{assignment.id}")


def digest_message(session: Session, membership: Membership, today: date) -> PushMessage:
    """"Today: Clinic AM, Hospital PM. Tomorrow: off." from the member's published shifts."""
    tomorrow = today + timedelta(days=1)
    rows = session.execute(
        select(Assignment).where(Assignment.membership_id == membership.id,
                                 Assignment.organization_id == membership.organization_id,
                                 Assignment.date.in_([today, tomorrow]), Assignment.status == "active",
                                 Assignment.draft_id.is_(None))
    ).scalars().unique()
    by_day: dict[date, list[Assignment]] = {today: [], tomorrow: []}
    for row in rows:
        by_day[row.date].append(row)

    def names(day: date) -> str:
        shifts = sorted(by_day[day], key=lambda a: (a.shift_type.start_time, a.shift_type.name))
        return ", ".join(a.shift_type.name for a in shifts) or _("off")

    body = _("Today: %(today)s. Tomorrow: %(tomorrow)s.", today=names(today), tomorrow=names(tomorrow))
    return PushMessage(title=_("Your shifts"), body=body, url=MINE_URL, tag="rota-digest")


# -- queueing (workers) ----------------------------------------------------------------------------------


def _queue(session: Session, organization_id: int, user_id: int, key: str, message: PushMessage,
           ttl: int) -> list[int]:
    """One queued row per device of the user in the organization, unless that device already has ``key``.
    Returns the ids still waiting to be sent (a re-run picks up what a crash left queued)."""
    devices = list(session.execute(
        select(PushSubscription.id).where(PushSubscription.user_id == user_id,
                                          PushSubscription.organization_id == organization_id)
    ).scalars())
    if not devices:
        return []
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert  # type: ignore[union-attr]
    now = utcnow()
    for device_id in devices:
        session.execute(
            insert(PushNotification).values(
                organization_id=organization_id, user_id=user_id, subscription_id=device_id, dedup_key=key,
                title=message.title[:120], body=message.body[:400], url=message.url, tag=message.tag,
                ttl_seconds=ttl, status="queued", attempts=0, created_at=now,
            ).on_conflict_do_nothing(index_elements=["subscription_id", "dedup_key"])
        )
    return list(session.execute(
        select(PushNotification.id).where(PushNotification.dedup_key == key,
                                          PushNotification.subscription_id.in_(devices),
                                          PushNotification.status == "queued")
        .order_by(PushNotification.id)
    ).scalars())


def pushes_each_change(kind: str, payload: dict[str, Any] | None) -> bool:
    """Whether a rota change event is pushed on its own: not a cell of a published draft, whose members
    get one notice for the whole publish instead (``draft_id`` in the payload), nor a change a request made
    (``request_id``), whose people get the request's own notice ("Your swap is approved", "You now cover ...")."""
    payload = payload or {}
    return kind in ROTA_KINDS and not payload.get("draft_id") and not payload.get("request_id")


def queue_for_event(session: Session, event_id: int, *, now: datetime | None = None) -> list[int]:
    """The pushes a rota change event means: its member's devices, for a published, not long past shift.

    Commits; returns the push log ids to deliver.
    """
    event = session.get(OutboxEvent, event_id)
    if (event is None or not pushes_each_change(event.kind, event.payload) or event.organization_id is None
            or event.entity_type != "assignment" or not (event.entity_id or "").isdigit()):
        return []
    assignment = session.get(Assignment, int(event.entity_id))  # type: ignore[arg-type]
    org = session.get(Organization, event.organization_id)
    if (assignment is None or org is None or org.is_suspended or assignment.draft_id is not None
            or assignment.organization_id != org.id or not assignment.membership.active):
        return []  # a draft, another organization's, or someone who has left
    tz = ZoneInfo(org.timezone)
    today = (now or utcnow()).astimezone(tz).date()
    if assignment.date < today - timedelta(days=1):
        return []  # a correction of history: nothing to act on
    message = rota_change_message(event.kind, assignment, tz)
    ids = _queue(session, org.id, assignment.membership.user_id, f"event:{event.id}", message, CHANGE_TTL)
    session.commit()
    return ids


def notice_message(notices: list[dict[str, Any]]) -> PushMessage:
    """One push from a person's notices on one event: usually one; a manager who hands someone two shifts
    of a time off tells them twice, and the push says both."""
    titles = list(dict.fromkeys(str(n["title"]) for n in notices))
    first = notices[0]
    return PushMessage(title=titles[0], body=" ".join([*titles[1:], str(first["body"])]), url=str(first["url"]),
                       tag=first.get("tag"))


def queue_notices(session: Session, event_id: int) -> list[int]:
    """The pushes of the notices recorded on an event beside its emails: each person's devices in the
    organization, while they are still an active member of it. Commits; returns the push log ids to deliver."""
    event = session.get(OutboxEvent, event_id)
    org = session.get(Organization, event.organization_id) if event and event.organization_id else None
    if event is None or org is None or org.is_suspended:
        return []
    by_user: dict[int, list[dict[str, Any]]] = {}
    for notice in notices_of(event.payload):
        by_user.setdefault(int(notice["user_id"]), []).append(notice)
    if not by_user:
        return []
    active = set(session.execute(
        select(Membership.user_id).where(Membership.organization_id == org.id, Membership.active.is_(True),
                                         Membership.user_id.in_(list(by_user)))
    ).scalars())
    ids: list[int] = []
    for user_id, notices in by_user.items():
        if user_id in active:
            ids += _queue(session, org.id, user_id, f"event:{event.id}", notice_message(notices), NOTICE_TTL)
    session.commit()
    return ids


def digest_is_due(digest_time: str | None, local_now: datetime) -> bool:
    """Whether a digest set for ``digest_time`` (local "HH:MM") is due at the local wall time ``local_now``:
    at that minute or up to :data:`DIGEST_CATCH_UP` after it, on the same local date.

    Compares wall-clock minutes, so a time a spring-forward skips (02:30) is sent as the clocks jump
    past it (03:00), and one a fall-back repeats is due the first time round.
    """
    if not digest_time or not DIGEST_TIME_RE.match(digest_time):
        return False
    hours, minutes = (int(x) for x in digest_time.split(":"))
    late = (local_now.hour * 60 + local_now.minute) - (hours * 60 + minutes)
    return 0 <= late < DIGEST_CATCH_UP.total_seconds() // 60


def queue_due_digests(session: Session, now: datetime) -> list[int]:
    """Claim and queue every digest due at ``now``: members with a digest time, at most
    :data:`DIGEST_CATCH_UP` past it in their organization's timezone, not sent yet on that local date.

    Idempotent: the claim (``last_digest_on``) and the queued rows commit together, so running it
    again, or in two workers at once, sends nothing twice. Returns the push log ids to deliver.
    """
    has_device = (
        select(PushSubscription.id)
        .where(PushSubscription.user_id == Membership.user_id,
               PushSubscription.organization_id == Membership.organization_id)
        .exists()
    )
    candidates = session.execute(
        select(Membership.id, Membership.digest_time, Membership.last_digest_on, Organization.timezone)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.active.is_(True), Membership.digest_time.is_not(None), Organization.status == "active",
               has_device)
    ).all()
    ids: list[int] = []
    for membership_id, digest_time, last_sent, tzname in candidates:
        tz = ZoneInfo(tzname)
        local = now.astimezone(tz)
        today = local.date()
        if (last_sent is not None and last_sent >= today) or not digest_is_due(digest_time, local):
            continue
        claimed = session.execute(
            update(Membership)
            .where(Membership.id == membership_id,
                   or_(Membership.last_digest_on.is_(None), Membership.last_digest_on < today))
            .values(last_digest_on=today)
        ).rowcount
        if not claimed:
            continue
        membership = session.get(Membership, membership_id)
        assert membership is not None
        message = digest_message(session, membership, today)
        ids += _queue(session, membership.organization_id, membership.user_id, f"digest:{today.isoformat()}",
                      message, DIGEST_TTL)
        session.commit()
    session.commit()
    return ids


# -- delivery (workers) ----------------------------------------------------------------------------------


def deliver(session: Session, notification_id: int, transport: PushTransport) -> str:
    """Send one queued push; returns ``sent``, ``gone``, ``failed``, ``retry`` or ``skipped``.

    The row is claimed (``sending``) and committed before the HTTP call, so no database lock is held
    while the push service answers and a second delivery of the same row does nothing. A push
    service's 404/410 deletes the subscription.
    """
    claimed = session.execute(
        update(PushNotification)
        .where(PushNotification.id == notification_id, PushNotification.status == "queued")
        .values(status="sending", attempts=PushNotification.attempts + 1)
    ).rowcount
    if not claimed:
        session.commit()
        return "skipped"
    row = session.get(PushNotification, notification_id)
    assert row is not None
    device = session.get(PushSubscription, row.subscription_id) if row.subscription_id else None
    org = session.get(Organization, row.organization_id)
    if device is None or org is None or org.is_suspended:
        row.status, row.error = ("gone" if device is None else "failed"), "no device or organization"
        session.commit()
        return row.status
    target = {"endpoint": device.endpoint, "p256dh": device.p256dh, "auth": device.auth}
    message = PushMessage(title=row.title, body=row.body, url=row.url, tag=row.tag)
    ttl, attempts, device_id = row.ttl_seconds, row.attempts, device.id
    session.commit()

    try:
        transport.notify(**target, message=message, ttl=ttl)
    except TransportError as exc:
        error = str(exc)[:1000]
        if exc.gone:
            session.execute(delete(PushSubscription).where(PushSubscription.id == device_id))
            status = "gone"
        elif exc.permanent or attempts >= MAX_ATTEMPTS:
            status = "failed"
        else:
            status = "queued"
        session.execute(update(PushNotification).where(PushNotification.id == notification_id)
                        .values(status=status, error=error))
        session.commit()
        return "retry" if status == "queued" else status
    now = utcnow()
    session.execute(update(PushNotification).where(PushNotification.id == notification_id)
                    .values(status="sent", sent_at=now, error=None))
    session.execute(update(PushSubscription).where(PushSubscription.id == device_id).values(last_success_at=now))
    session.commit()
    return "sent"
