"""Scheduling rules and the request workflow: time off, swaps, give-aways, volunteering, preferences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.identity import Membership
from app.models.rota import Assignment, ShiftType

__all__ = ("Preference", "RotaRequest", "RotaRules")


class RotaRules(Base):
    """An organization's scheduling rules, one row per organization.

    ``settings`` is the JSON form of :class:`app.services.rota.rules.Rules` (parsed and validated
    there): limits such as rest hours and consecutive days, forbidden successions by shift type id,
    per-member fixed days off, and the approval settings of the request workflow. A JSON row
    rather than a table per rule: the rules are read and written together, always per organization.
    """

    __tablename__ = "rota_rules"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RotaRequest(Base):
    """One request of a member.

    ``kind``:

    - ``time_off``: ``start_date``..``end_date`` off (``urgency`` advance | emergency); a manager
      approves or declines, or the organization's rule approves it (``auto_reason`` says why);
    - ``swap``: the requester offers ``assignment`` to ``target_membership``, optionally taking
      ``counter_assignment`` back; the colleague accepts or declines, then a manager approves if needed;
    - ``giveaway``: ``assignment`` offered to anyone; a volunteer (``target_membership``) claims it;
    - ``volunteer``: the requester asks for an open seat of ``shift_type`` on ``shift_date``.

    ``status``: pending (waiting for the colleague, or for a manager), accepted (the colleague or
    volunteer said yes; waiting for a manager), open (a give-away nobody has claimed yet), approved,
    declined, cancelled.
    """

    __tablename__ = "rota_requests"
    __table_args__ = (
        Index("ix_rota_requests_org_status", "organization_id", "status"),
        Index("ix_rota_requests_member", "membership_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    urgency: Mapped[str | None] = mapped_column(String(16))  # advance | emergency (time off)
    start_date: Mapped[date | None] = mapped_column(Date())
    end_date: Mapped[date | None] = mapped_column(Date())
    note: Mapped[str] = mapped_column(Text, default="")
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    counter_assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    target_membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    shift_type_id: Mapped[int | None] = mapped_column(ForeignKey("shift_types.id", ondelete="CASCADE"))
    shift_date: Mapped[date | None] = mapped_column(Date())
    # Who typed it in (the member, a manager on their behalf, or an API key: NULL).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    response_comment: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    auto_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship(foreign_keys=[membership_id], lazy="joined")
    target_membership: Mapped[Membership | None] = relationship(foreign_keys=[target_membership_id],
                                                                lazy="joined")
    assignment: Mapped[Assignment | None] = relationship(foreign_keys=[assignment_id], lazy="joined")
    counter_assignment: Mapped[Assignment | None] = relationship(foreign_keys=[counter_assignment_id],
                                                                 lazy="joined")
    shift_type: Mapped[ShiftType | None] = relationship(lazy="joined")


class Preference(Base):
    """A member's wish: want or avoid a date, a shift type, or a shift type on a date; strength 1-3."""

    __tablename__ = "rota_preferences"
    __table_args__ = (Index("ix_rota_preferences_org_member", "organization_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # want | avoid
    date: Mapped[date | None] = mapped_column(Date())
    shift_type_id: Mapped[int | None] = mapped_column(ForeignKey("shift_types.id", ondelete="CASCADE"))
    strength: Mapped[int] = mapped_column(default=2)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship(lazy="joined")
    shift_type: Mapped[ShiftType | None] = relationship(lazy="joined")
