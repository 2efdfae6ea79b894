"""View model of the assign panel: the slot a manager clicked, who is on it, and who could take it.

Pure: it ranks nothing itself (the schedule service's candidates come free first) and decides no permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_date

from app.i18n import DEFAULT_LOCALE, _
from app.views.rota import Chip, Person, chips_for, day_marks

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from app.models import Holiday
    from app.services.rota.schedule import Candidate, Slot

__all__ = ("CandidateRow", "SlotPanel", "build_panel")


@dataclass(frozen=True)
class CandidateRow:
    membership_id: int
    name: str
    status: str
    label: str
    selectable: bool


@dataclass
class SlotPanel:
    """What a manager sees after clicking a slot: who is on it, and who could take it."""

    shift_id: int
    title: str
    date_label: str
    day: date
    chip: Chip
    marks: list[tuple[str, str]]
    post_url: str
    people: list[Person]
    open_seats: int
    headcount: int
    available: list[CandidateRow]
    unavailable: list[CandidateRow]
    next_url: str
    message: str | None = None
    error: str | None = None

    @property
    def full(self) -> bool:
        return self.open_seats == 0

    @property
    def replace_choice(self) -> bool:
        """Several people could be replaced (or a seat is free): the manager picks with a radio group."""
        return bool(self.people) and (len(self.people) > 1 or self.open_seats > 0)

    @property
    def prompt(self) -> str:
        if self.full and len(self.people) == 1:
            return _("Replace %(name)s with:", name=self.people[0].name)
        if self.full:
            return _("Replace the chosen person with:")
        return _("Choose who takes it:")


def _label(candidate: Candidate) -> str:
    """What the panel says beside a name: "Free", or the service's reason ("Busy: Night call")."""
    if candidate.status == "free":
        return _("Free")
    return candidate.note[:1].upper() + candidate.note[1:]


def build_panel(slot: Slot, candidates: list[Candidate], tz: ZoneInfo, *, holiday: Holiday | None, me: int | None,
                next_url: str, message: str | None = None, error: str | None = None) -> SlotPanel:
    """The assign panel of ``slot`` (``candidates`` as the schedule service ranked them: free first)."""
    [chip, *_rest] = chips_for(slot, tz, first=slot.day, last=slot.day, can_manage=True, me=me)
    marks = day_marks(slot.day, holiday.name if holiday is not None else None)
    available, unavailable = [], []
    for c in candidates:
        if c.status in {"on_shift", "not_in_schedule"}:
            continue  # already listed above, or never takes shifts
        row = CandidateRow(membership_id=c.membership.id, name=c.membership.user.name, status=c.status,
                           label=_label(c),
                           selectable=c.selectable)
        (available if row.selectable else unavailable).append(row)
    return SlotPanel(
        shift_id=slot.shift.id, title=slot.shift.name, date_label=format_date(slot.day, "full", locale=DEFAULT_LOCALE),
        day=slot.day, chip=chip, marks=marks, post_url=f"/rota/slots/{slot.shift.id}/{slot.day.isoformat()}",
        people=chip.people, open_seats=slot.open_seats, headcount=slot.shift.headcount, available=available,
        unavailable=unavailable, next_url=next_url, message=message, error=error,
    )
