"""View models of the rota setup pages and the setup wizard: rows and labels, no SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from app.i18n import DEFAULT_LOCALE, _
from app.services.rota.people import is_placeholder
from app.services.rota.setup import PRESETS
from app.services.rota.wizard import DEFAULT_PRESETS, PRESET_ORDER, preset_names, row_count

if TYPE_CHECKING:
    from app.models import Holiday, Location, Membership, ShiftType

__all__ = (
    "HolidayRow",
    "MemberRow",
    "PresetRow",
    "ShiftTypeRow",
    "blank_shift_type_values",
    "day_options",
    "days_label",
    "duration_label",
    "holiday_rows",
    "location_rows",
    "member_rows",
    "number",
    "preset_rows",
    "shift_type_rows",
    "shift_type_values",
    "tabs",
    "week_label",
    "wizard_error_summary",
    "wizard_people",
)


def number(value: float | int | None) -> str:
    """1.0 as "1", 1.5 as "1.5": how a person writes a weight or an FTE."""
    return "" if value is None else f"{value:g}"


def day_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def day_options() -> list[tuple[int, str]]:
    return list(enumerate(day_names()))


def days_label(days: Sequence[int]) -> str:
    """[0..6] as "Every day", [0..4] as "Mon-Fri" (with an en dash), [5, 6] as "Sat, Sun", others listed."""
    ordered = sorted(set(days))
    names = day_names()
    if ordered == list(range(7)):
        return _("Every day")
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[ordered[0]]}–{names[ordered[-1]]}"
    return ", ".join(names[d] for d in ordered)


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return _("%(h)d h", h=hours)
    if not hours:
        return _("%(m)d min", m=rest)
    return _("%(h)d h %(m)d min", h=hours, m=rest)


def _end(start: time, minutes: int) -> tuple[str, int]:
    """The local end time and how many days after the start day it falls."""
    end = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)
    return end.strftime("%H:%M"), (end.date() - date(2000, 1, 1)).days


@dataclass(frozen=True)
class ShiftTypeRow:
    id: int
    code: str
    name: str
    color: str
    location: str
    start: str
    end: str
    duration: str
    crosses_midnight: bool
    end_note: str
    days: str
    headcount: int
    weight: str
    weekend_weight: str
    holiday_weight: str
    qualification: str
    active: bool


def shift_type_rows(shifts: Iterable[ShiftType]) -> list[ShiftTypeRow]:
    rows = []
    for s in shifts:
        end, later = _end(s.start_time, s.duration_minutes)
        note = "" if not later else (_("crosses midnight") if later == 1 else _("ends %(n)d days later", n=later))
        rows.append(ShiftTypeRow(
            id=s.id, code=s.code, name=s.name, color=s.color, location=s.location.name if s.location else "",
            start=s.start_time.strftime("%H:%M"), end=end, duration=duration_label(s.duration_minutes),
            crosses_midnight=later > 0, end_note=note, days=days_label(s.days_of_week), headcount=s.headcount,
            weight=number(s.weight), weekend_weight=number(s.weekend_weight),
            holiday_weight=number(s.holiday_weight), qualification=s.qualification or "", active=s.active,
        ))
    # Active first, each group in the order of the day.
    rows.sort(key=lambda r: (not r.active, r.start, r.code))
    return rows


def shift_type_values(shift: ShiftType) -> dict[str, Any]:
    """A shift type as the edit form's values."""
    return {
        "code": shift.code, "name": shift.name, "location": shift.location.name if shift.location else "",
        "start_time": shift.start_time.strftime("%H:%M"), "duration_hours": number(shift.duration_minutes / 60),
        "days_of_week": [str(d) for d in shift.days_of_week], "headcount": str(shift.headcount),
        "weight": number(shift.weight), "weekend_weight": number(shift.weekend_weight),
        "holiday_weight": number(shift.holiday_weight), "qualification": shift.qualification or "",
        "color": shift.color,
    }


# Distinct, readable on white and on the dark theme; a new shift type gets the first one not yet in use.
PALETTE = ("#0d6e6e", "#4338ca", "#b45309", "#0e7490", "#be123c", "#65a30d", "#7c3aed", "#c2410c", "#0369a1",
           "#a21caf", "#15803d", "#9f1239")


def blank_shift_type_values(used_colors: Iterable[str] = ()) -> dict[str, Any]:
    used = {c.lower() for c in used_colors}
    color = next((c for c in PALETTE if c not in used), PALETTE[0])
    return {"start_time": "08:00", "duration_hours": "8", "days_of_week": [str(d) for d in range(5)],
            "headcount": "1", "weight": "1", "weekend_weight": "1.5", "holiday_weight": "2", "color": color}


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """A submitted shift-type form as values to show again beside its errors."""
    values = {k: (v if isinstance(v, list) else str(v)) for k, v in data.items() if not k.startswith("_")}
    days = data.get("days_of_week", [])
    values["days_of_week"] = [days] if isinstance(days, str) else list(days)
    return values


@dataclass(frozen=True)
class LocationRow:
    id: int
    name: str
    shift_types: list[str]


def location_rows(locations: Iterable[Location], shifts: Iterable[ShiftType]) -> list[LocationRow]:
    by_location: dict[int, list[str]] = {}
    for s in shifts:
        if s.location_id is not None:
            by_location.setdefault(s.location_id, []).append(s.name)
    return [LocationRow(loc.id, loc.name, sorted(by_location.get(loc.id, []))) for loc in locations]


@dataclass(frozen=True)
class HolidayRow:
    id: int
    date: date
    date_label: str
    name: str
    weight: str
    source: str
    custom: bool
    active: bool
    past: bool


def holiday_rows(holidays: Iterable[Holiday], years: Sequence[int], today: date) -> list[tuple[int, list[HolidayRow]]]:
    """Each year's holidays in date order, the disabled ones included."""
    grouped: dict[int, list[HolidayRow]] = {y: [] for y in years}
    for h in holidays:
        grouped.setdefault(h.date.year, []).append(HolidayRow(
            id=h.id, date=h.date, date_label=format_date(h.date, "EEE d MMM", locale=DEFAULT_LOCALE),
            name=h.name, weight=number(h.weight),
            source=_("public holiday") if h.source == "country" else _("your own"), custom=h.source != "country",
            active=h.active, past=h.date < today,
        ))
    return [(y, sorted(rows, key=lambda r: r.date)) for y, rows in sorted(grouped.items())]


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    email: str
    role: str
    fte: str
    phone: str
    qualifications: str
    in_schedule: bool
    by_name: bool
    active: bool


def member_rows(members: Iterable[Membership]) -> list[MemberRow]:
    rows = []
    for m in members:
        by_name = is_placeholder(m.user.email)
        rows.append(MemberRow(
            id=m.id, name=m.user.name, email="" if by_name else m.user.email, role=m.role, fte=number(m.fte),
            phone=m.phone or "", qualifications=", ".join(m.qualifications or []), in_schedule=m.in_schedule,
            by_name=by_name, active=m.active,
        ))
    return rows


def week_label(monday: date, sunday: date) -> str:
    """"Mon 11 May - Sun 17 May 2026" (with an en dash)."""
    first = format_date(monday, "EEE d MMM", locale=DEFAULT_LOCALE)
    last = format_date(sunday, "EEE d MMM y", locale=DEFAULT_LOCALE)
    return f"{first} – {last}"


def tabs(current: str, *, can_api_keys: bool, can_audit: bool) -> dict[str, Any]:
    items = [
        ("shift-types", "/rota/setup", _("Shift types")),
        ("locations", "/rota/setup/locations", _("Locations")),
        ("holidays", "/rota/setup/holidays", _("Holidays")),
        ("members", "/rota/setup/members", _("Members' details")),
        ("rules", "/rota/rules", _("Rules")),
    ]
    links = []
    if can_api_keys:
        links.append(("/settings/api-keys", _("API keys")))
    if can_audit:
        links.append(("/audit", _("Audit log")))
    return {"items": items, "current": current, "links": links}


# -- the wizard ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresetRow:
    code: str
    name: str
    start_time: str
    duration_hours: str
    headcount: str
    days: str
    checked: bool
    already: bool


def preset_rows(data: dict[str, Any] | None, existing_codes: set[str]) -> list[PresetRow]:
    """The presets with what was typed into them (or their defaults), and whether each is chosen."""
    names = preset_names()
    chosen: set[str]
    if data is None:
        chosen = set(DEFAULT_PRESETS)
    else:
        raw = data.get("preset", [])
        chosen = {raw} if isinstance(raw, str) else set(raw)
    rows = []
    for code in PRESET_ORDER:
        p = PRESETS[code]
        given = data or {}
        rows.append(PresetRow(
            code=code, name=names[code],
            start_time=str(given.get(f"{code}-start_time", p["start_time"])),
            duration_hours=str(given.get(f"{code}-duration_hours", number(p["duration_minutes"] / 60))),
            headcount=str(given.get(f"{code}-headcount", p["headcount"])),
            days=days_label(p["days_of_week"]), checked=code in chosen and code not in existing_codes,
            already=code in existing_codes,
        ))
    return rows


def wizard_people(data: dict[str, Any] | None, members: Iterable[Membership],
                  actor_membership_id: int | None) -> dict[str, Any]:
    """The people part of the wizard: current members (who takes shifts?) and rows for new ones."""
    data = data or {}
    if "takes" in data or "count" in data:
        raw = data.get("takes", [])
        takes = {raw} if isinstance(raw, str) else set(raw)
    else:
        takes = {str(m.id) for m in members if m.in_schedule}
    current = [
        {"id": m.id, "name": m.user.name, "role": m.role, "you": m.id == actor_membership_id,
         "checked": str(m.id) in takes}
        for m in members if m.active and m.role != "viewer"
    ]
    current.sort(key=lambda c: (not c["you"], c["name"].lower()))
    count = row_count(data)
    rows = [{"i": i, "name": str(data.get(f"name-{i}", "")), "email": str(data.get(f"email-{i}", ""))}
            for i in range(count)]
    return {"current": current, "count": count, "rows": rows}


def wizard_error_summary(errors: dict[str, str]) -> list[tuple[str, str]]:
    """(link to the field, what is wrong and where) for each message, in the order of the form."""
    names = preset_names()
    people_part, shift_part, other = [], [], []
    for key, message in errors.items():
        head, _sep, tail = key.rpartition("-")
        if key in ("count", "preset"):
            anchor = "#f-count" if key == "count" else "#f-preset-error"
            other.append((0 if key == "count" else 2, anchor, message))
        elif head in ("name", "email") and tail.isdigit():
            n = int(tail)
            people_part.append((n, f"#f-{key}", _("Physician %(n)d: %(problem)s", n=n + 1, problem=message)))
        else:
            code = next((c for c in PRESET_ORDER if key.startswith(c + "-")), None)
            label = names.get(code, "") if code else ""
            target = key.replace("-duration_minutes", "-duration_hours")
            order = PRESET_ORDER.index(code) if code else 99
            shift_part.append((order, f"#f-{target}", f"{label}: {message}" if label else message))
    people_part.sort(key=lambda t: t[0])
    shift_part.sort(key=lambda t: t[0])
    first = [(a, m) for o, a, m in other if o == 0]
    middle = [(a, m) for _n, a, m in people_part]
    last = [(a, m) for o, a, m in other if o == 2] + [(a, m) for _n, a, m in shift_part]
    return first + middle + last
