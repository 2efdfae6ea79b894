"""The setup wizard ("Tell us about your practice"): who takes shifts, which shifts, then a filled first week.

:func:`parse_wizard` checks the whole form first (a message per field, nothing written);
:func:`finish_wizard` then writes everything in one transaction: the people, the shift types, the
country's public holidays for this year and next, and a fair fill of the current week, each step
audited, committed once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from app.i18n import _
from app.models import Membership
from app.services import audit
from app.services.errors import ValidationFailed
from app.services.events import commit, emit
from app.services.permissions import require
from app.services.rota import people
from app.services.rota.dates import week_bounds
from app.services.rota.fill import FillResult, fill_range
from app.services.rota.schedule import org_timezone
from app.services.rota.setup import PRESETS, ShiftTypeInput, parse_shift_type, save_shift_type, sync_country_holidays

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "DEFAULT_NEW_ROWS",
    "MAX_NEW_ROWS",
    "PRESET_ORDER",
    "NewPerson",
    "WizardChoices",
    "WizardOutcome",
    "finish_wizard",
    "parse_wizard",
    "preset_names",
    "row_count",
)

PRESET_ORDER = ("night-call", "weekend-call", "clinic-am", "clinic-pm", "hospital-rounds", "nursing-home")
# Chosen when the form is first shown: the shifts nearly every group practice has.
DEFAULT_PRESETS = ("night-call", "weekend-call", "clinic-am", "clinic-pm")
DEFAULT_NEW_ROWS = 4
MAX_NEW_ROWS = 60


@dataclass(frozen=True)
class NewPerson:
    name: str
    email: str  # "" = by name only


@dataclass
class WizardChoices:
    takes_shifts: set[int]  # membership ids of current members who take shifts
    new_people: list[NewPerson]
    shift_types: list[ShiftTypeInput]


@dataclass
class WizardOutcome:
    week_start: date
    people_added: int
    links_sent: int
    shift_types: int
    holidays: int
    fill: FillResult = field(repr=False)


def preset_names() -> dict[str, str]:
    """The presets' names in the reader's language (the names the shift types are created with)."""
    return {
        "night-call": _("Night call"),
        "weekend-call": _("Weekend call"),
        "clinic-am": _("Clinic AM"),
        "clinic-pm": _("Clinic PM"),
        "hospital-rounds": _("Hospital rounding"),
        "nursing-home": _("Nursing home visits"),
    }


def _as_list(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else [str(v) for v in raw]


def row_count(data: dict[str, Any], default: int = DEFAULT_NEW_ROWS) -> int:
    """How many new-physician rows the form shows (the "how many" field, kept within 0..60)."""
    raw = str(data.get("count", default)).strip()
    try:
        n = int(raw) if raw else 0
    except ValueError:
        n = default
    return max(0, min(MAX_NEW_ROWS, n))


async def parse_wizard(session: AsyncSession, actor: Actor, data: dict[str, Any], *,
                       members: list[Membership], existing_codes: set[str]) -> WizardChoices:
    """Check the wizard form; raises :class:`ValidationFailed` keyed by the form's field names."""
    from app.services.accounts import normalize_email

    errors: dict[str, str] = {}
    current = {m.id for m in members}
    takes = set()
    for raw in _as_list(data.get("takes")):
        if raw.isdigit() and int(raw) in current:
            takes.add(int(raw))

    new_people: list[NewPerson] = []
    seen: set[str] = set()
    for i in range(row_count(data)):
        name = str(data.get(f"name-{i}", "")).strip()
        email = normalize_email(str(data.get(f"email-{i}", "")))
        if not name and not email:
            continue
        if problem := people.check_name(name):
            errors[f"name-{i}"] = problem
        if email:
            if email in seen:
                errors[f"email-{i}"] = _("This address is entered twice.")
            elif problem := await people.check_new_address(session, actor, email):
                errors[f"email-{i}"] = problem
            seen.add(email)
        new_people.append(NewPerson(name=name, email=email))

    shift_types: list[ShiftTypeInput] = []
    chosen = [c for c in _as_list(data.get("preset")) if c in PRESETS]
    for code in chosen:
        if code in existing_codes:
            continue  # already set up (the wizard was run before): kept as it is
        preset = PRESETS[code]
        fields = {**preset, "name": preset_names()[code],
                  "start_time": data.get(f"{code}-start_time", preset["start_time"]),
                  "duration_hours": data.get(f"{code}-duration_hours", preset["duration_minutes"] / 60),
                  "headcount": data.get(f"{code}-headcount", preset["headcount"])}
        fields.pop("duration_minutes")
        try:
            shift_types.append(parse_shift_type(fields))
        except ValidationFailed as exc:
            errors.update({f"{code}-{key}": message for key, message in exc.errors.items()})
    if not chosen and not existing_codes:
        errors["preset"] = _("Choose at least one kind of shift.")
    if not takes and not new_people:
        errors["count"] = _("Add at least one physician who takes shifts.")
    if errors:
        raise ValidationFailed(errors)
    return WizardChoices(takes_shifts=takes, new_people=new_people, shift_types=shift_types)


async def finish_wizard(session: AsyncSession, actor: Actor, choices: WizardChoices, *, members: list[Membership],
                        now: datetime) -> WizardOutcome:
    """Write the wizard's choices and fill the current week, all in one transaction."""
    require(actor, "schedule.manage")
    require(actor, "members.invite")
    for m in members:
        takes = m.id in choices.takes_shifts
        if m.role != "viewer" and m.in_schedule != takes:
            await audit.record(session, actor, "member.rota_details_changed", entity_type="membership",
                               entity_id=m.id, before={"in_schedule": m.in_schedule}, after={"in_schedule": takes})
            m.in_schedule = takes
            await emit(session, actor.organization_id, "members.changed", entity_type="membership", entity_id=m.id)
    for person in choices.new_people:
        await people.add_member(session, actor, name=person.name, email=person.email)
    for fields in choices.shift_types:
        await save_shift_type(session, actor, fields, commit_now=False)
    tz = await org_timezone(session, actor.organization_id)  # type: ignore[arg-type]
    today = now.astimezone(tz).date()
    holidays = await sync_country_holidays(session, actor, [today.year, today.year + 1], commit_now=False)
    monday, sunday = week_bounds(today)
    result = await fill_range(session, actor, monday, sunday, commit_now=False)
    await audit.record(session, actor, "rota.setup_wizard_finished", entity_type="organization",
                       entity_id=actor.organization_id,
                       after={"people_added": len(choices.new_people),
                              "shift_types": [f["code"] for f in choices.shift_types],
                              "holidays_imported": holidays, "week": monday.isoformat(),
                              "assignments": result.created, "unfilled": len(result.unfilled)})
    await commit(session)
    return WizardOutcome(week_start=monday, people_added=len(choices.new_people),
                         links_sent=sum(1 for p in choices.new_people if p.email),
                         shift_types=len(choices.shift_types), holidays=holidays, fill=result)
