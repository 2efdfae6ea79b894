"""The rota: locations, shift types, holidays, assignments, drafts, calendar feeds, push subscriptions."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.identity import Membership

__all__ = (
    "Assignment",
    "CalendarFeed",
    "Holiday",
    "Location",
    "PushNotification",
    "PushSubscription",
    "ScheduleDraft",
    "ShiftType",
)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShiftType(Base):
    """A recurring shift: starts at a local wall-clock time on some weekdays and lasts a wall-clock duration."""

    __tablename__ = "shift_types"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    start_time: Mapped[time] = mapped_column(Time())
    duration_minutes: Mapped[int]
    # Monday = 0 ... Sunday = 6
    days_of_week: Mapped[list[int]] = mapped_column(default=lambda: [0, 1, 2, 3, 4, 5, 6])
    headcount: Mapped[int] = mapped_column(default=1)
    weight: Mapped[float] = mapped_column(default=1.0)
    weekend_weight: Mapped[float] = mapped_column(default=1.5)
    holiday_weight: Mapped[float] = mapped_column(default=2.0)
    qualification: Mapped[str | None] = mapped_column(String(40))
    color: Mapped[str] = mapped_column(String(7), default="#0d6e6e")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    location: Mapped[Location | None] = relationship(lazy="joined")

    @property
    def is_overnight(self) -> bool:
        return self.start_time.hour * 60 + self.start_time.minute + self.duration_minutes > 24 * 60


class Holiday(Base):
    """A day that weighs more: a public holiday of the organization's country, or one of its own."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("organization_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date())
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[float] = mapped_column(default=2.0)
    source: Mapped[str] = mapped_column(String(16), default="custom")  # country | custom
    active: Mapped[bool] = mapped_column(default=True)


class ScheduleDraft(Base):
    """A generated schedule awaiting review; its assignments are invisible to all but managers until published."""

    __tablename__ = "schedule_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date())
    end_date: Mapped[date] = mapped_column(Date())
    status: Mapped[str] = mapped_column(String(16), default="queued")
    objective: Mapped[float | None]
    bound: Mapped[float | None]
    explanation: Mapped[dict[str, Any] | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]


class Assignment(Base):
    """One member on one shift type on one local date.

    ``draft_id`` NULL means the published schedule. Removed assignments stay as
    ``status='cancelled'`` so calendar feeds can tell subscribers (STATUS:CANCELLED).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_org_date", "organization_id", "date"),
        Index("ix_assignments_member_date", "membership_id", "date"),
        Index(
            "uq_assignments_live",
            "shift_type_id",
            "date",
            "membership_id",
            unique=True,
            sqlite_where=text("status = 'active' AND draft_id IS NULL"),
            postgresql_where=text("status = 'active' AND draft_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    shift_type_id: Mapped[int] = mapped_column(ForeignKey("shift_types.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date())
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_drafts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | generated | swap
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | cancelled
    locked: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    shift_type: Mapped[ShiftType] = relationship(lazy="joined")
    membership: Mapped[Membership] = relationship(lazy="joined")


class CalendarFeed(Base):
    """A secret iCal URL: a member's published shifts, or one shift type's (for managers)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    shift_type_id: Mapped[int | None] = mapped_column(ForeignKey("shift_types.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]


class PushSubscription(Base):
    """A browser's web-push endpoint for one member (per device)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]


class PushNotification(Base):
    """One web push to one device, written before the send and updated after (the push log).

    ``dedup_key`` (``event:<outbox id>``, ``digest:<local date>``, ``test:<uuid>``) is unique per
    subscription, so a retried job never pushes the same thing twice to one device.
    """

    __tablename__ = "push_notifications"
    __table_args__ = (UniqueConstraint("subscription_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # NULL once the push service said the subscription is gone (404/410) and it was deleted.
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="SET NULL"))
    dedup_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(String(200))
    tag: Mapped[str | None] = mapped_column(String(80))
    ttl_seconds: Mapped[int] = mapped_column(default=12 * 3600)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | sent | gone | failed
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
