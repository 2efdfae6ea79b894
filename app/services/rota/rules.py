"""Scheduling rules: stored per organization, and a pure checker that says which rules a change breaks.

The checker works on plain data (:class:`Work` items: a shift type on a local date with its real start
and end instants) so that anyone can call it: the request workflow (swaps, give-aways, covering time
off), the calendar's candidate list, the generator's explanations. :func:`check_change` answers "if this
member also worked these shifts (and no longer those), which rules would break?" in sentences a person
can act on ("Dr Patel would work 7 days in a row (max 6)"). Only breaches the change takes part in are
reported: a rule the member's schedule already breaks elsewhere is not the change's doing.

What counts, precisely:

- a *working day* is the local date a shift starts on (a night call on Monday counts for Monday);
- *rest* is the real time (DST-aware, from the instants) between shifts that start on different days;
  two shifts on one day are governed by "shift types that may be combined on one day" instead;
- a *week* runs Monday to Sunday; shifts are counted, not days;
- a *weekend* is a Saturday and the Sunday after it, worked when either day is; it counts in the month
  of the day worked, so a weekend split by a month end can count once in each month;
- *days between calls* is the difference of the calls' dates: with a minimum of 3, a call on Monday
  allows the next one on Thursday at the earliest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from sqlalchemy import select

from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.models import Assignment, Holiday, Membership, RotaRequest, RotaRules, ShiftType, utcnow
from app.services import audit
from app.services.errors import ValidationFailed
from app.services.events import commit, emit
from app.services.permissions import require
from app.services.rota.dates import is_weekend, occurrence, week_bounds

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = (
    "HARD",
    "LIMITS",
    "Breach",
    "Person",
    "Rules",
    "Work",
    "check_assignment_change",
    "check_change",
    "format_points",
    "load_rules",
    "member_context",
    "parse_rules",
    "save_rules",
)

# Field name -> (lowest, highest, integer?) of each numeric limit; blank means "no limit".
LIMITS: dict[str, tuple[float, float, bool]] = {
    "min_rest_hours": (0.5, 48, False),
    "max_consecutive_days": (1, 31, True),
    "max_shifts_per_week": (1, 21, True),
    "max_weekends_per_month": (0, 5, True),
    "min_days_between_calls": (1, 31, True),
    "auto_approve_days": (0, 365, True),
}

HARD = frozenset({"overlap", "on_shift", "leave", "qualification"})
"""Breaches nobody may confirm: two shifts at once, a shift on approved leave, a missing qualification."""


# -- the rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """An organization's rules. ``None`` or empty means "no such rule". Shift types by id, members by
    membership id, weekdays Monday = 0."""

    forbidden_successions: frozenset[tuple[int, int]] = frozenset()
    min_rest_hours: float | None = None
    max_consecutive_days: int | None = None
    max_shifts_per_week: int | None = None
    max_weekends_per_month: int | None = None
    min_days_between_calls: int | None = None
    call_shift_types: frozenset[int] = frozenset()
    # Off: a member may work any two shifts on one day that do not overlap. On: only the listed pairs.
    limit_same_day: bool = False
    combinable: frozenset[frozenset[int]] = frozenset()
    fixed_days_off: Mapping[int, frozenset[int]] = field(default_factory=dict)
    # Request workflow: advance time off asked at least this many days ahead, touching no assigned
    # shift, is approved at once; swaps and claims of open shifts need a manager's approval.
    auto_approve_days: int | None = None
    swap_needs_approval: bool = True
    claim_needs_approval: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "forbidden_successions": sorted([a, b] for a, b in self.forbidden_successions),
            "min_rest_hours": self.min_rest_hours,
            "max_consecutive_days": self.max_consecutive_days,
            "max_shifts_per_week": self.max_shifts_per_week,
            "max_weekends_per_month": self.max_weekends_per_month,
            "min_days_between_calls": self.min_days_between_calls,
            "call_shift_types": sorted(self.call_shift_types),
            "limit_same_day": self.limit_same_day,
            "combinable": sorted(sorted(p) for p in self.combinable),
            "fixed_days_off": {str(k): sorted(v) for k, v in sorted(self.fixed_days_off.items()) if v},
            "auto_approve_days": self.auto_approve_days,
            "swap_needs_approval": self.swap_needs_approval,
            "claim_needs_approval": self.claim_needs_approval,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Rules:
        """The stored form back; anything malformed is dropped rather than trusted."""
        data = data or {}

        def num(key: str) -> Any:
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            low, high, integer = LIMITS[key]
            if not low <= value <= high:
                return None
            return int(value) if integer else float(value)

        def pairs(key: str) -> list[tuple[int, int]]:
            out = []
            for item in data.get(key) or []:
                if isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, int) for x in item):
                    out.append((int(item[0]), int(item[1])))
            return out

        days_off: dict[int, frozenset[int]] = {}
        raw_days = data.get("fixed_days_off") or {}
        if isinstance(raw_days, dict):
            for key, value in raw_days.items():
                if str(key).isdigit() and isinstance(value, list):
                    weekdays = frozenset(int(d) for d in value if isinstance(d, int) and 0 <= d <= 6)
                    if weekdays:
                        days_off[int(key)] = weekdays
        return cls(
            forbidden_successions=frozenset(pairs("forbidden_successions")),
            min_rest_hours=num("min_rest_hours"),
            max_consecutive_days=num("max_consecutive_days"),
            max_shifts_per_week=num("max_shifts_per_week"),
            max_weekends_per_month=num("max_weekends_per_month"),
            min_days_between_calls=num("min_days_between_calls"),
            call_shift_types=frozenset(x for x in data.get("call_shift_types") or [] if isinstance(x, int)),
            limit_same_day=bool(data.get("limit_same_day", False)),
            combinable=frozenset(frozenset(p) for p in pairs("combinable") if p[0] != p[1]),
            fixed_days_off=days_off,
            auto_approve_days=num("auto_approve_days"),
            swap_needs_approval=bool(data.get("swap_needs_approval", True)),
            claim_needs_approval=bool(data.get("claim_needs_approval", True)),
        )


def _pair(raw: str, sep: str) -> tuple[int, int] | None:
    left, _sep, right = str(raw).partition(sep)
    if left.strip().isdigit() and right.strip().isdigit():
        return int(left), int(right)
    return None


def _ids(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [str(x) for x in raw] if isinstance(raw, list) else [str(raw)]


def parse_rules(data: Mapping[str, Any], *, shift_type_ids: Iterable[int], membership_ids: Iterable[int]) -> Rules:
    """The rules form (``{name: str | [str]}``) as :class:`Rules`; :class:`ValidationFailed` names each bad field.

    Pairs kept from before come as ``forbidden`` ("A>B") and ``combinable`` ("A+B") checkboxes; a new pair
    from the selects ``forbid_first``/``forbid_next`` and ``combine_first``/``combine_second``; fixed
    days off as ``days_off_<membership id>`` weekday checkboxes.
    """
    known = set(shift_type_ids)
    members = set(membership_ids)
    errors: dict[str, str] = {}
    numbers: dict[str, Any] = {}
    for key, (low, high, integer) in LIMITS.items():
        raw = str(data.get(key) or "").strip().replace(",", ".")
        if not raw:
            numbers[key] = None
            continue
        try:
            value = float(raw)
        except ValueError:
            errors[key] = _("Enter a number, or leave it blank for no limit.")
            continue
        if integer and value != int(value):
            errors[key] = _("Enter a whole number.")
        elif not low <= value <= high:
            errors[key] = _("Enter a number from %(low)s to %(high)s.", low=format_points(low),
                            high=format_points(high))
        else:
            numbers[key] = int(value) if integer else value

    forbidden = {p for p in (_pair(x, ">") for x in _ids(data.get("forbidden"))) if p and set(p) <= known}
    first, second = str(data.get("forbid_first") or "").strip(), str(data.get("forbid_next") or "").strip()
    if first or second:
        if not (first.isdigit() and second.isdigit()):
            errors["forbid_next"] = _("Choose both shift types, or neither.")
        elif {int(first), int(second)} <= known:
            forbidden.add((int(first), int(second)))
        else:
            errors["forbid_next"] = _("Choose shift types of this practice.")

    combinable = {frozenset(p) for p in (_pair(x, "+") for x in _ids(data.get("combinable")))
                  if p and p[0] != p[1] and set(p) <= known}
    first, second = str(data.get("combine_first") or "").strip(), str(data.get("combine_second") or "").strip()
    if first or second:
        if not (first.isdigit() and second.isdigit()):
            errors["combine_second"] = _("Choose both shift types, or neither.")
        elif first == second:
            errors["combine_second"] = _("Choose two different shift types.")
        elif {int(first), int(second)} <= known:
            combinable.add(frozenset((int(first), int(second))))
        else:
            errors["combine_second"] = _("Choose shift types of this practice.")

    calls = {int(x) for x in _ids(data.get("call_shift_types")) if x.isdigit() and int(x) in known}
    if numbers.get("min_days_between_calls") and not calls:
        errors["min_days_between_calls"] = _("Tick at least one shift type as a call below, or leave this blank.")

    days_off: dict[int, frozenset[int]] = {}
    for key in data:
        if key.startswith("days_off_") and key[9:].isdigit() and int(key[9:]) in members:
            weekdays = frozenset(int(d) for d in _ids(data[key]) if d.isdigit() and 0 <= int(d) <= 6)
            if len(weekdays) == 7:
                errors[key] = _("A member needs at least one working day; untick a day.")
            elif weekdays:
                days_off[int(key[9:])] = weekdays
    if errors:
        raise ValidationFailed(errors)
    return Rules(
        forbidden_successions=frozenset(forbidden),
        call_shift_types=frozenset(calls),
        limit_same_day=bool(data.get("limit_same_day")),
        combinable=frozenset(combinable),
        fixed_days_off=days_off,
        swap_needs_approval=bool(data.get("swap_needs_approval")),
        claim_needs_approval=bool(data.get("claim_needs_approval")),
        **numbers,
    )


async def load_rules(session: AsyncSession, organization_id: int) -> Rules:
    """The organization's rules (defaults when none were saved). No permission check: services and the
    generator read them on behalf of whoever they act for."""
    row = await session.get(RotaRules, organization_id)
    return Rules.from_json(row.settings if row else None)


async def save_rules(session: AsyncSession, actor: Actor, rules: Rules) -> Rules:
    """Store the rules of the actor's organization (owners and managers); audited, announced, committed."""
    require(actor, "schedule.manage")
    assert actor.organization_id is not None
    row = await session.get(RotaRules, actor.organization_id)
    before = row.settings if row else None
    if row is None:
        row = RotaRules(organization_id=actor.organization_id, settings={})
        session.add(row)
    row.settings = rules.to_json()
    row.updated_at, row.updated_by_id = utcnow(), actor.user_id
    await session.flush()
    await audit.record(session, actor, "rules.updated", entity_type="rules", entity_id=actor.organization_id,
                       before=before, after=row.settings)
    await emit(session, actor.organization_id, "rules.updated", entity_type="rules", entity_id=actor.organization_id,
               payload={})
    await commit(session)
    return rules


# -- plain data of the checker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """One shift a member works (or would): a shift type on a local date, with its real instants."""

    shift_type_id: int
    name: str
    day: date
    starts_at: datetime
    ends_at: datetime
    qualification: str | None = None
    assignment_id: int | None = None

    @classmethod
    def of(cls, shift: Any, day: date, tz: ZoneInfo, *, assignment_id: int | None = None) -> Work:
        """From anything shaped like a :class:`ShiftType` (id, name, start_time, duration_minutes, qualification)."""
        when = occurrence(day, shift.start_time, shift.duration_minutes, tz)
        return cls(shift.id, shift.name, day, when.starts_at, when.ends_at, getattr(shift, "qualification", None),
                   assignment_id)

    def same_as(self, other: Work) -> bool:
        if self.assignment_id is not None and other.assignment_id is not None:
            return self.assignment_id == other.assignment_id
        return self.shift_type_id == other.shift_type_id and self.day == other.day


@dataclass(frozen=True)
class Person:
    """Who the change is for: the name the sentences use, qualifications, approved leave."""

    membership_id: int
    name: str
    qualifications: frozenset[str] = frozenset()
    leave: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Breach:
    """A rule the change would break, as a sentence. ``hard`` breaches can never be confirmed."""

    rule: str
    message: str

    @property
    def hard(self) -> bool:
        return self.rule in HARD


# -- labels ----------------------------------------------------------------------------------------------


def _day(day: date) -> str:
    return format_skeleton("MMMEd", day, locale=DEFAULT_LOCALE)


def format_points(value: float) -> str:
    """1.0 -> "1", 1.5 -> "1.5", 0.25 -> "0.25"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


# -- the checker -----------------------------------------------------------------------------------------

_ORDER = ("on_shift", "overlap", "leave", "qualification", "fixed_day_off", "forbidden_succession", "min_rest",
          "same_day", "max_consecutive_days", "max_shifts_per_week", "max_weekends_per_month",
          "min_days_between_calls")


def check_change(rules: Rules, person: Person, existing: Sequence[Work], *, add: Sequence[Work] = (),
                 remove: Sequence[Work] = ()) -> list[Breach]:
    """The breaches of ``person`` working ``existing`` minus ``remove`` plus ``add`` that involve an added shift.

    ``existing`` should cover at least the month around each added shift and five weeks either side (what
    the limits look at); :func:`member_context` loads that from the database.
    """
    after = [w for w in existing if not any(w.same_as(r) for r in remove)]
    found: list[Breach] = []
    seen: set[str] = set()

    def breach(rule: str, message: str) -> None:
        if message not in seen:
            seen.add(message)
            found.append(Breach(rule, message))

    name = person.name
    for w in add:
        if any(w.same_as(x) or (x.shift_type_id == w.shift_type_id and x.day == w.day) for x in after):
            breach("on_shift", _("%(name)s is already on %(shift)s on %(day)s.", name=name, shift=w.name,
                                 day=_day(w.day)))
            continue
        others = list(after)
        after.append(w)
        _hard_checks(rules, person, w, others, breach)
        _succession_checks(rules, name, w, others, breach)
        _count_checks(rules, name, w, others, breach)
    order = {rule: i for i, rule in enumerate(_ORDER)}
    return sorted(found, key=lambda b: order.get(b.rule, len(order)))


def _hard_checks(rules: Rules, person: Person, w: Work, others: list[Work], breach: Any) -> None:
    name = person.name
    for x in others:
        if x.starts_at < w.ends_at and w.starts_at < x.ends_at:
            breach("overlap", _("%(name)s would already be working %(shift)s at that time (%(day)s).", name=name,
                                shift=x.name, day=_day(x.day)))
    if w.day in person.leave:
        breach("leave", _("%(name)s is on approved time off on %(day)s.", name=name, day=_day(w.day)))
    if w.qualification and w.qualification not in person.qualifications:
        breach("qualification", _("%(shift)s needs the qualification %(q)s, which %(name)s lacks.", shift=w.name,
                                  q=w.qualification, name=name))
    weekdays = rules.fixed_days_off.get(person.membership_id, frozenset())
    if w.day.weekday() in weekdays:
        breach("fixed_day_off", _("%(name)s has %(weekday)s as a fixed day off; %(shift)s is on %(day)s.",
                                  name=name, weekday=format_date(w.day, "EEEE", locale=DEFAULT_LOCALE),
                                  shift=w.name, day=_day(w.day)))


def _succession_checks(rules: Rules, name: str, w: Work, others: list[Work], breach: Any) -> None:
    for x in others:
        overlapping = x.starts_at < w.ends_at and w.starts_at < x.ends_at
        # Forbidden successions: A on one day, B the next.
        for first, second in ((x, w), (w, x)):
            if (second.day - first.day).days == 1 and (first.shift_type_id, second.shift_type_id) in \
                    rules.forbidden_successions:
                breach("forbidden_succession",
                       _("%(name)s would work %(b)s on %(day_b)s right after %(a)s on %(day_a)s, which the rules "
                         "forbid.", name=name, a=first.name, b=second.name, day_a=_day(first.day),
                         day_b=_day(second.day)))
        # Rest between shifts that start on different days (real hours: DST nights are shorter or longer).
        if rules.min_rest_hours is not None and x.day != w.day and not overlapping:
            first, second = (w, x) if x.starts_at >= w.ends_at else (x, w)
            rest = (second.starts_at - first.ends_at).total_seconds() / 3600
            if rest < rules.min_rest_hours:
                hours = format_points(round(rest, 1))
                breach("min_rest",
                       ngettext("%(name)s would have only %(h)s hour's rest between %(a)s (%(day_a)s) and %(b)s "
                                "(%(day_b)s); the minimum is %(min)s.",
                                "%(name)s would have only %(h)s hours' rest between %(a)s (%(day_a)s) and %(b)s "
                                "(%(day_b)s); the minimum is %(min)s.", 1 if hours == "1" else 2, name=name, h=hours,
                                a=first.name, day_a=_day(first.day), b=second.name, day_b=_day(second.day),
                                min=format_points(rules.min_rest_hours)))
        if rules.limit_same_day and x.day == w.day and not overlapping and x.shift_type_id != w.shift_type_id \
                and frozenset((x.shift_type_id, w.shift_type_id)) not in rules.combinable:
            breach("same_day", _("%(name)s would work %(a)s and %(b)s on the same day (%(day)s); the rules do not "
                                 "allow that combination.", name=name, a=x.name, b=w.name, day=_day(w.day)))
        limit = rules.min_days_between_calls
        if limit and w.shift_type_id in rules.call_shift_types and x.shift_type_id in rules.call_shift_types:
            gap = abs((x.day - w.day).days)
            if gap < limit:
                a, b = sorted((x, w), key=lambda item: item.starts_at)
                if gap == 0:
                    text = _("%(name)s would have two calls on %(day)s (at least %(min)s days apart).", name=name,
                             day=_day(a.day), min=limit)
                else:
                    text = ngettext("%(name)s would have calls %(num)d day apart, on %(day_a)s and %(day_b)s "
                                    "(at least %(min)s).",
                                    "%(name)s would have calls %(num)d days apart, on %(day_a)s and %(day_b)s "
                                    "(at least %(min)s).", gap, name=name, day_a=_day(a.day), day_b=_day(b.day),
                                    min=limit)
                breach("min_days_between_calls", text)


def _count_checks(rules: Rules, name: str, w: Work, others: list[Work], breach: Any) -> None:
    after = [*others, w]
    dates = {x.day for x in after}
    # A second shift on a day already worked lengthens no run of days and adds no weekend: a run or a
    # weekend count that is already over the limit is not this change's doing.
    day_was_worked = any(x.day == w.day for x in others)
    if rules.max_consecutive_days is not None and not day_was_worked:
        first = last = w.day
        while first - timedelta(days=1) in dates:
            first -= timedelta(days=1)
        while last + timedelta(days=1) in dates:
            last += timedelta(days=1)
        run = (last - first).days + 1
        if run > rules.max_consecutive_days:
            breach("max_consecutive_days",
                   _("%(name)s would work %(n)d days in a row, %(first)s to %(last)s (max %(max)d).", name=name,
                     n=run, first=_day(first), last=_day(last), max=rules.max_consecutive_days))
    if rules.max_shifts_per_week is not None:
        monday, sunday = week_bounds(w.day)
        count = sum(1 for x in after if monday <= x.day <= sunday)
        if count > rules.max_shifts_per_week:
            breach("max_shifts_per_week",
                   _("%(name)s would work %(n)d shifts in the week of %(monday)s (max %(max)d).", name=name,
                     n=count, monday=_day(monday), max=rules.max_shifts_per_week))
    if rules.max_weekends_per_month is not None and is_weekend(w.day):
        def weekends_of(items: list[Work]) -> set[date]:
            return {x.day - timedelta(days=x.day.weekday() - 5) for x in items
                    if is_weekend(x.day) and (x.day.year, x.day.month) == (w.day.year, w.day.month)}

        weekends = weekends_of(after)
        if len(weekends) > rules.max_weekends_per_month and len(weekends) > len(weekends_of(others)):
            breach("max_weekends_per_month",
                   _("%(name)s would work %(n)d weekends in %(month)s (max %(max)d).", name=name, n=len(weekends),
                     month=format_skeleton("yMMMM", w.day, locale=DEFAULT_LOCALE),
                     max=rules.max_weekends_per_month))


# -- from the database -----------------------------------------------------------------------------------


async def member_context(session: AsyncSession, organization_id: int, membership: Membership, days: Iterable[date],
                         tz: ZoneInfo, *, margin: int = 40) -> tuple[Person, list[Work]]:
    """The member as the checker sees them, and their published shifts around ``days`` (whole months plus
    ``margin`` days either side)."""
    wanted = sorted(set(days))
    first = min(wanted[0].replace(day=1), wanted[0] - timedelta(days=margin))
    last_month_end = (wanted[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    last = max(last_month_end, wanted[-1] + timedelta(days=margin))
    rows = (
        await session.execute(
            select(Assignment).where(
                Assignment.organization_id == organization_id,
                Assignment.membership_id == membership.id,
                Assignment.status == "active",
                Assignment.draft_id.is_(None),
                Assignment.date >= first,
                Assignment.date <= last,
            ).order_by(Assignment.date)
        )
    ).scalars().unique()
    work = [Work.of(a.shift_type, a.date, tz, assignment_id=a.id) for a in rows]
    leave: set[date] = set()
    offs = (
        await session.execute(
            select(RotaRequest.start_date, RotaRequest.end_date).where(
                RotaRequest.organization_id == organization_id,
                RotaRequest.membership_id == membership.id,
                RotaRequest.kind == "time_off",
                RotaRequest.status == "approved",
                RotaRequest.end_date >= first,
                RotaRequest.start_date <= last,
            )
        )
    ).all()
    for start, end in offs:
        day = start
        while day <= end:
            leave.add(day)
            day += timedelta(days=1)
    person = Person(membership.id, membership.user.name, frozenset(membership.qualifications or []),
                    frozenset(leave))
    return person, work


async def check_assignment_change(session: AsyncSession, organization_id: int, membership_id: int, *,
                                  add: Sequence[tuple[int, date]] = (), remove: Sequence[int] = (),
                                  rules: Rules | None = None) -> list[Breach]:
    """Which rules would break if the member also worked ``add`` (shift type id, date) and no longer the
    assignments ``remove`` (ids), in the published schedule. For callers outside the request workflow
    (the calendar, the generator's explanations)."""
    from app.models import Organization

    membership = (
        await session.execute(select(Membership).where(Membership.id == membership_id,
                                                       Membership.organization_id == organization_id))
    ).scalar_one()
    org = await session.get(Organization, organization_id)
    tz = ZoneInfo(org.timezone if org else "UTC")
    shifts = {s.id: s for s in (await session.execute(
        select(ShiftType).where(ShiftType.organization_id == organization_id,
                                ShiftType.id.in_([a for a, _d in add] or [0])))).scalars().unique()}
    adds = [Work.of(shifts[sid], day, tz) for sid, day in add if sid in shifts]
    days = [w.day for w in adds] or [utcnow().astimezone(tz).date()]
    person, existing = await member_context(session, organization_id, membership, days, tz)
    removes = [w for w in existing if w.assignment_id in set(remove)]
    rules = rules or await load_rules(session, organization_id)
    return check_change(rules, person, existing, add=adds, remove=removes)


async def holiday_dates(session: AsyncSession, organization_id: int, start: date, end: date) -> set[date]:
    """The organization's active holidays between ``start`` and ``end``."""
    rows = await session.execute(select(Holiday.date).where(Holiday.organization_id == organization_id,
                                                            Holiday.active.is_(True), Holiday.date >= start,
                                                            Holiday.date <= end))
    return set(rows.scalars())
