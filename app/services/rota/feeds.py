"""Calendar feeds: secret iCal URLs of published shifts, a member's own or (for managers) one shift type's.

The URL carries a random token; only its SHA-256 is stored, so the address is shown once, when it is
made. Rotating gives the same feed a new token (the old URL stops working at once); revoking ends it.

The feed lists published assignments from 60 days back to a year ahead. Each assignment is one VEVENT
with a UID that never changes and a SEQUENCE that grows with every change, and removed assignments
stay for 60 days as STATUS:CANCELLED so that subscribed calendars drop them rather than keep a ghost.
Times carry the organization's TZID, with its VTIMEZONE in the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from sqlalchemy import and_, or_, select, update

from app.config import get_settings
from app.db import get_database
from app.i18n import _
from app.models import Assignment, CalendarFeed, Membership, Organization, ShiftType, User, utcnow
from app.services import audit
from app.services.errors import NotFound
from app.services.events import commit, emit
from app.services.organizations import my_membership
from app.services.permissions import can, require
from app.services.rota.dates import occurrence
from app.services.security import hash_token, new_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "CANCELLED_KEPT",
    "DAYS_AHEAD",
    "DAYS_BACK",
    "FeedSecret",
    "ShiftFeed",
    "create_my_feed",
    "create_shift_type_feed",
    "feed_url",
    "my_feed",
    "render_feed",
    "revoke_feed",
    "rotate_feed",
    "shift_type_feeds",
    "valid_token",
)

DAYS_BACK = 60
DAYS_AHEAD = 365
CANCELLED_KEPT = timedelta(days=60)
TOUCH_EVERY = timedelta(minutes=15)
TOKEN_BYTES = 24
MANAGING_ROLES = ("owner", "manager")


@dataclass(frozen=True)
class FeedSecret:
    """A feed and its URL, at the one moment the URL is known (just made or rotated)."""

    feed: CalendarFeed
    url: str

    @property
    def webcal_url(self) -> str:
        return "webcal://" + self.url.split("://", 1)[1]

    @property
    def google_url(self) -> str:
        return "https://calendar.google.com/calendar/r?cid=" + quote(self.webcal_url, safe="")


@dataclass(frozen=True)
class ShiftFeed:
    shift: ShiftType
    feed: CalendarFeed | None


def feed_url(token: str) -> str:
    return f"{get_settings().base_url}/feeds/{token}.ics"


def valid_token(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


# -- managing feeds --------------------------------------------------------------------------------------


async def my_feed(session: AsyncSession, actor: Actor) -> CalendarFeed | None:
    """The actor's live feed of their own shifts, if they made one."""
    member = await my_membership(session, actor)
    return (
        await session.execute(select(CalendarFeed).where(CalendarFeed.membership_id == member.id,
                                                         CalendarFeed.organization_id == actor.organization_id,
                                                         CalendarFeed.revoked_at.is_(None))
                              .order_by(CalendarFeed.id.desc()).limit(1))
    ).scalar_one_or_none()


async def shift_type_feeds(session: AsyncSession, actor: Actor) -> list[ShiftFeed]:
    """Every active shift type with its live feed, if any (owners and managers)."""
    require(actor, "schedule.manage")
    shifts = (
        await session.execute(select(ShiftType).where(ShiftType.organization_id == actor.organization_id,
                                                      ShiftType.active.is_(True))
                              .order_by(ShiftType.position, ShiftType.start_time, ShiftType.code))
    ).scalars().unique().all()
    feeds = {
        f.shift_type_id: f
        for f in (
            await session.execute(select(CalendarFeed).where(CalendarFeed.organization_id == actor.organization_id,
                                                             CalendarFeed.shift_type_id.is_not(None),
                                                             CalendarFeed.revoked_at.is_(None))
                                  .order_by(CalendarFeed.id))
        ).scalars()
    }
    return [ShiftFeed(shift, feeds.get(shift.id)) for shift in shifts]


def _describe(feed: CalendarFeed) -> dict[str, object]:
    return {"membership_id": feed.membership_id, "shift_type_id": feed.shift_type_id}


async def _issue(session: AsyncSession, actor: Actor, feed: CalendarFeed | None, *, membership_id: int | None = None,
                 shift_type_id: int | None = None) -> FeedSecret:
    """A new token for ``feed`` (rotation), or a new feed with a token; audited and announced."""
    token = new_token(TOKEN_BYTES)
    if feed is None:
        feed = CalendarFeed(organization_id=actor.organization_id, membership_id=membership_id,
                            shift_type_id=shift_type_id, token_hash=hash_token(token), created_by_id=actor.user_id)
        session.add(feed)
        action = "calendar_feed.created"
    else:
        feed.token_hash = hash_token(token)
        feed.last_fetched_at = None
        action = "calendar_feed.rotated"
    await session.flush()
    await audit.record(session, actor, action, entity_type="calendar_feed", entity_id=feed.id, after=_describe(feed))
    await emit(session, actor.organization_id, action, entity_type="calendar_feed", entity_id=feed.id,
               payload={"user_id": actor.user_id})
    await commit(session)
    return FeedSecret(feed=feed, url=feed_url(token))


async def create_my_feed(session: AsyncSession, actor: Actor) -> FeedSecret:
    """The actor's own feed; if one is live, it gets a new address (the old one stops working)."""
    member = await my_membership(session, actor)
    return await _issue(session, actor, await my_feed(session, actor), membership_id=member.id)


async def create_shift_type_feed(session: AsyncSession, actor: Actor, shift_type_id: int) -> FeedSecret:
    """A feed of every published assignment of one shift type (owners and managers)."""
    require(actor, "schedule.manage")
    shift = (
        await session.execute(select(ShiftType).where(ShiftType.id == shift_type_id,
                                                      ShiftType.organization_id == actor.organization_id))
    ).scalar_one_or_none()
    if shift is None:
        raise NotFound(_("No such shift type."))
    existing = (
        await session.execute(select(CalendarFeed).where(CalendarFeed.shift_type_id == shift.id,
                                                         CalendarFeed.organization_id == actor.organization_id,
                                                         CalendarFeed.revoked_at.is_(None))
                              .order_by(CalendarFeed.id.desc()).limit(1))
    ).scalar_one_or_none()
    return await _issue(session, actor, existing, shift_type_id=shift.id)


async def _owned_feed(session: AsyncSession, actor: Actor, feed_id: int) -> CalendarFeed:
    """A live feed the actor may change: their own, or a shift type's for owners and managers.
    Anything else, another member's or another organization's, is "not found"."""
    member = await my_membership(session, actor)
    feed = (
        await session.execute(select(CalendarFeed).where(CalendarFeed.id == feed_id,
                                                         CalendarFeed.organization_id == actor.organization_id,
                                                         CalendarFeed.revoked_at.is_(None)))
    ).scalar_one_or_none()
    if feed is None:
        raise NotFound(_("No such calendar feed."))
    mine = feed.membership_id is not None and feed.membership_id == member.id
    managed = feed.shift_type_id is not None and can(actor, "schedule.manage")
    if not (mine or managed):
        raise NotFound(_("No such calendar feed."))
    return feed


async def rotate_feed(session: AsyncSession, actor: Actor, feed_id: int) -> FeedSecret:
    """A new secret address for the feed; the old one stops working at once."""
    return await _issue(session, actor, await _owned_feed(session, actor, feed_id))


async def revoke_feed(session: AsyncSession, actor: Actor, feed_id: int) -> CalendarFeed:
    """Turn the feed off; its address answers 404 from now on."""
    feed = await _owned_feed(session, actor, feed_id)
    feed.revoked_at = utcnow()
    await audit.record(session, actor, "calendar_feed.revoked", entity_type="calendar_feed", entity_id=feed.id,
                       before=_describe(feed))
    await emit(session, actor.organization_id, "calendar_feed.revoked", entity_type="calendar_feed",
               entity_id=feed.id, payload={"user_id": actor.user_id})
    await commit(session)
    return feed


# -- the feed itself -------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    # Building the transitions takes a while; the years are whole so the cache holds for a year.
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31))


async def _live_feed(session: AsyncSession, token: str) -> tuple[CalendarFeed, Organization] | None:
    """The feed behind a token, if it still works: not revoked, its organization active, its member
    still active (for a member's feed) and its maker still an owner or manager (for a shift type's)."""
    if not valid_token(token):
        return None
    row = (
        await session.execute(
            select(CalendarFeed, Organization)
            .join(Organization, Organization.id == CalendarFeed.organization_id)
            .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None or row[1].is_suspended:
        return None
    feed, org = row
    if feed.membership_id is not None:
        ok = (await session.execute(select(Membership.id).where(Membership.id == feed.membership_id,
                                                                Membership.organization_id == org.id,
                                                                Membership.active.is_(True)))).first()
    else:
        ok = (await session.execute(select(Membership.id).where(Membership.user_id == feed.created_by_id,
                                                                Membership.organization_id == org.id,
                                                                Membership.active.is_(True),
                                                                Membership.role.in_(MANAGING_ROLES)))).first()
    return (feed, org) if ok else None


async def _touch(feed: CalendarFeed, now: datetime) -> None:
    """Record when the feed was last fetched (at most every few minutes: calendars poll often)."""
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < TOUCH_EVERY:
        return
    async with get_database().write_session() as session:
        await session.execute(update(CalendarFeed).where(CalendarFeed.id == feed.id).values(last_fetched_at=now))
        await session.commit()


async def render_feed(session: AsyncSession, token: str, *, now: datetime | None = None) -> bytes | None:
    """The iCalendar text of the feed behind ``token``, or None when there is no such live feed."""
    now = now or utcnow()
    found = await _live_feed(session, token)
    if found is None:
        return None
    feed, org = found
    tz = ZoneInfo(org.timezone)
    today = now.astimezone(tz).date()
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    query = (
        select(Assignment)
        .join(ShiftType, ShiftType.id == Assignment.shift_type_id)
        .where(Assignment.organization_id == org.id, Assignment.draft_id.is_(None),
               Assignment.date >= first, Assignment.date <= last,
               or_(Assignment.status == "active",
                   and_(Assignment.status == "cancelled", Assignment.updated_at >= now - CANCELLED_KEPT)))
        .order_by(Assignment.date, ShiftType.start_time, Assignment.id)
    )
    if feed.membership_id is not None:
        query = query.where(Assignment.membership_id == feed.membership_id)
        owner = (await session.execute(select(User.name).join(Membership, Membership.user_id == User.id)
                                       .where(Membership.id == feed.membership_id))).scalar_one()
        title = _("%(org)s: shifts of %(name)s", org=org.name, name=owner)
    else:
        query = query.where(Assignment.shift_type_id == feed.shift_type_id)
        shift_name = (await session.execute(select(ShiftType.name).where(ShiftType.id == feed.shift_type_id))
                      ).scalar_one()
        title = _("%(org)s: %(shift)s", org=org.name, shift=shift_name)
    assignments = (await session.execute(query)).scalars().unique().all()
    body = _calendar(org, tz, title, assignments, team=feed.membership_id is None, first=first, last=last)
    await _touch(feed, now)
    return body


def _calendar(org: Organization, tz: ZoneInfo, title: str, assignments: list[Assignment] | tuple[Assignment, ...],
              *, team: bool, first: date, last: date) -> bytes:
    host = urlparse(get_settings().base_url).hostname or "rounds.invalid"
    cal = Calendar()
    cal.add("prodid", "-//Rounds//Rota feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", org.timezone)
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    utc = org.timezone in {"UTC", "Etc/UTC", "Etc/GMT", "GMT"}
    if not utc:
        cal.add_component(_vtimezone(org.timezone, first.year - 1, last.year + 1))
    for a in assignments:
        shift = a.shift_type
        when = occurrence(a.date, shift.start_time, shift.duration_minutes, tz)
        location = shift.location.name if shift.location else None
        event = Event()
        event.add("uid", f"{'team-' if team else ''}assignment-{a.id}@{host}")
        event.add("dtstamp", a.updated_at.astimezone(UTC))
        event.add("created", a.created_at.astimezone(UTC))
        event.add("last-modified", a.updated_at.astimezone(UTC))
        event.add("dtstart", when.starts_at.astimezone(tz))
        event.add("dtend", when.ends_at.astimezone(tz))
        if team:
            summary = _("%(shift)s: %(name)s", shift=shift.name, name=a.membership.user.name)
        else:
            summary = f"{shift.name} · {location}" if location else shift.name
        event.add("summary", summary)
        if location:
            event.add("location", location)
        event.add("description", org.name)
        event.add("categories", [shift.code])
        event.add("sequence", a.sequence)
        event.add("status", "CANCELLED" if a.status == "cancelled" else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if a.status == "cancelled" else "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()

