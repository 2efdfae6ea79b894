"""What publishing a draft tells its members: one email and one push each, instead of one push per shift.

Called by :func:`app.services.rota.drafts.publish` in the publish transaction, after the ``rota.published``
event is emitted; each member told is recorded on that event (:mod:`app.services.notices`) and the worker
pushes to exactly them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.dates import format_interval, format_skeleton
from sqlalchemy import select

from app.config import get_settings
from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.models import Assignment, Organization
from app.notify.push import PushMessage
from app.services.notices import tell
from app.services.push import MINE_URL

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import OutboxEvent, ScheduleDraft

__all__ = ("tell_members",)


async def tell_members(session: AsyncSession, draft: ScheduleDraft, membership_ids: set[int],
                       event: OutboxEvent) -> int:
    """Email and push each member with shifts in the just published ``draft`` how many shifts they now have
    in its range (shifts published before it included), the email listing them. Returns how many were told."""
    org = await session.get(Organization, draft.organization_id)
    rows = await session.execute(select(Assignment).where(
        Assignment.organization_id == draft.organization_id, Assignment.membership_id.in_(membership_ids),
        Assignment.status == "active", Assignment.draft_id.is_(None), Assignment.date >= draft.start_date,
        Assignment.date <= draft.end_date))
    mine: dict[int, list[Assignment]] = {}
    for a in sorted(rows.scalars().unique(), key=lambda a: (a.date, a.shift_type.start_time, a.shift_type.name)):
        mine.setdefault(a.membership_id, []).append(a)
    span = format_interval(draft.start_date, draft.end_date, "yMMMd", locale=DEFAULT_LOCALE)
    # The agenda from the draft's first day (a later month lies beyond "my shifts, next 30 days").
    url = f"{MINE_URL}?from={draft.start_date.isoformat()}"
    told = 0
    for shifts in sorted(mine.values(), key=lambda s: s[0].membership.user.name.lower()):
        member = shifts[0].membership
        headline = ngettext("The rota for %(range)s is published: you have %(num)d shift.",
                            "The rota for %(range)s is published: you have %(num)d shifts.", len(shifts), range=span)
        lines = [_("%(day)s: %(shift)s at %(time)s", day=format_skeleton("MMMEd", a.date, locale=DEFAULT_LOCALE),
                   shift=a.shift_type.name, time=a.shift_type.start_time.strftime("%H:%M")) for a in shifts]
        push = PushMessage(title=_("Rota published"), body=headline, url=url, tag=f"published-{draft.id}")
        told += await tell(session, event, member, template="rota_published", push=push,
                           context={"name": member.user.name, "organization": org.name if org else "",
                                    "range": span, "headline": headline, "shifts": lines,
                                    "link": get_settings().base_url + url})
    return told
