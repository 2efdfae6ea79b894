"""View models of the calendar feeds page: what each panel shows and which buttons it offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.i18n import _

if TYPE_CHECKING:
    from app.models import CalendarFeed, ShiftType
    from app.services.rota.feeds import FeedSecret, ShiftFeed

__all__ = ("FeedsPage", "ShiftFeedRow", "done_text", "feeds_page")


@dataclass(frozen=True)
class ShiftFeedRow:
    shift: ShiftType
    feed: CalendarFeed | None
    secret: FeedSecret | None  # set on the response that made or rotated this row's address


@dataclass(frozen=True)
class FeedsPage:
    has_membership: bool
    my_feed: CalendarFeed | None
    my_secret: FeedSecret | None
    shift_rows: list[ShiftFeedRow] = field(default_factory=list)
    can_manage: bool = False
    takes_shifts: bool = True

    @property
    def my_status(self) -> str:
        """``new`` (just made: show the address), ``active`` or ``none``."""
        if self.my_secret is not None:
            return "new"
        return "active" if self.my_feed is not None else "none"


def feeds_page(*, has_membership: bool, my_feed: CalendarFeed | None, my_secret: FeedSecret | None = None,
               shift_feeds: list[ShiftFeed] | None = None, shift_secret: FeedSecret | None = None,
               can_manage: bool = False, takes_shifts: bool = True) -> FeedsPage:
    rows = [
        ShiftFeedRow(
            shift=sf.shift,
            feed=sf.feed,
            secret=shift_secret if shift_secret and sf.feed and shift_secret.feed.id == sf.feed.id else None,
        )
        for sf in shift_feeds or []
    ]
    return FeedsPage(has_membership=has_membership, my_feed=my_feed, my_secret=my_secret, shift_rows=rows,
                     can_manage=can_manage, takes_shifts=takes_shifts)


def done_text(key: str | None) -> str | None:
    """The confirmation shown after a redirect back to the page (``?done=<key>``)."""
    return {
        "revoked": _("Calendar feed turned off. Its address no longer works."),
    }.get(key or "")
