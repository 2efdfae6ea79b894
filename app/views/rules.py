"""View model of the rules page (/rota/rules): the form's state from stored rules or from a submitted form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from babel.dates import get_day_names

from app.i18n import DEFAULT_LOCALE, _
from app.services.rota.rules import LIMITS, format_points

if TYPE_CHECKING:
    from app.models import Membership, ShiftType
    from app.services.rota.rules import Rules

__all__ = ("RulesForm", "error_summary", "form_from_data", "form_from_rules")


@dataclass(frozen=True)
class Limit:
    name: str
    label: str
    hint: str
    value: str
    step: str
    low: str
    high: str
    placeholder: str


@dataclass(frozen=True)
class Pair:
    value: str
    label: str


@dataclass(frozen=True)
class MemberDays:
    membership_id: int
    name: str
    fte: str
    days: list[tuple[str, str, str, bool]]  # (value, short label, long label, checked)


@dataclass
class RulesForm:
    limits: list[Limit]
    shift_options: list[tuple[str, str]]
    calls: list[tuple[str, str, bool]]
    forbidden: list[Pair]
    combinable: list[Pair]
    limit_same_day: bool
    members: list[MemberDays]
    swap_needs_approval: bool
    claim_needs_approval: bool
    picks: dict[str, str] = field(default_factory=dict)  # the selects of a new pair, kept on an error


def _labels() -> dict[str, tuple[str, str]]:
    return {
        "min_rest_hours": (_("Minimum rest between shifts (hours)"),
                           _("Real hours from the end of one shift to the start of the next on another day.")),
        "max_consecutive_days": (_("Maximum working days in a row"), ""),
        "max_shifts_per_week": (_("Maximum shifts per week"), _("Monday to Sunday.")),
        "max_weekends_per_month": (_("Maximum weekends per month"),
                                   _("A weekend counts when Saturday or Sunday is worked.")),
        "min_days_between_calls": (_("Minimum days between calls"),
                                   _("3 means: a call on Monday, the next on Thursday at the earliest.")),
        "auto_approve_days": (_("Approve advance time off automatically when asked at least this many days ahead"),
                              _("Only when no assigned shift is affected. Leave blank: a manager approves every "
                                "request.")),
    }


def _limits(values: dict[str, str]) -> list[Limit]:
    labels = _labels()
    out = []
    for name, (low, high, integer) in LIMITS.items():
        label, hint = labels[name]
        out.append(Limit(name, label, hint, values.get(name, ""), "1" if integer else "0.5", format_points(low),
                         format_points(high), _("never") if name == "auto_approve_days" else _("no limit")))
    return out


def _weekdays(checked: set[str]) -> list[tuple[str, str, str, bool]]:
    short = get_day_names("abbreviated", locale=DEFAULT_LOCALE)
    full = get_day_names("wide", locale=DEFAULT_LOCALE)
    return [(str(i), short[i], full[i], str(i) in checked) for i in range(7)]


def _state(shift_types: list[ShiftType], members: list[Membership], *, numbers: dict[str, str], calls: set[str],
           forbidden: set[str], combinable: set[str], limit_same_day: bool, days_off: dict[int, set[str]],
           swap: bool, claim: bool, picks: dict[str, str] | None = None) -> RulesForm:
    names = {str(s.id): s.name for s in shift_types}

    def pair_label(value: str, sep: str) -> str | None:
        a, _sep, b = value.partition(sep)
        if a not in names or b not in names:
            return None
        if sep == ">":
            return _("%(first)s, then %(next)s the next day", first=names[a], next=names[b])
        return _("%(a)s and %(b)s on one day", a=names[a], b=names[b])

    forbidden_pairs = [Pair(v, label) for v in sorted(forbidden) if (label := pair_label(v, ">"))]
    combinable_pairs = [Pair(v, label) for v in sorted(combinable) if (label := pair_label(v, "+"))]
    return RulesForm(
        limits=_limits(numbers),
        shift_options=[(str(s.id), s.name) for s in shift_types],
        calls=[(str(s.id), s.name, str(s.id) in calls) for s in shift_types],
        forbidden=forbidden_pairs,
        combinable=combinable_pairs,
        limit_same_day=limit_same_day,
        members=[MemberDays(m.id, m.user.name, format_points(m.fte), _weekdays(days_off.get(m.id, set())))
                 for m in members],
        swap_needs_approval=swap,
        claim_needs_approval=claim,
        picks=picks or {},
    )


def form_from_rules(rules: Rules, shift_types: list[ShiftType], members: list[Membership]) -> RulesForm:
    numbers = {name: format_points(v) if (v := getattr(rules, name)) is not None else "" for name in LIMITS}
    return _state(shift_types, members, numbers=numbers, calls={str(x) for x in rules.call_shift_types},
                  forbidden={f"{a}>{b}" for a, b in rules.forbidden_successions},
                  combinable={"+".join(str(x) for x in sorted(p)) for p in rules.combinable},
                  limit_same_day=rules.limit_same_day,
                  days_off={k: {str(d) for d in v} for k, v in rules.fixed_days_off.items()},
                  swap=rules.swap_needs_approval, claim=rules.claim_needs_approval)


def _list(raw: Any) -> set[str]:
    if raw is None:
        return set()
    return {str(x) for x in raw} if isinstance(raw, list) else {str(raw)}


def form_from_data(data: dict[str, Any], shift_types: list[ShiftType], members: list[Membership]) -> RulesForm:
    """The form as submitted (after an error), so nothing typed is lost."""
    days_off = {m.id: _list(data.get(f"days_off_{m.id}")) for m in members}
    picks = {k: str(data.get(k) or "") for k in ("forbid_first", "forbid_next", "combine_first", "combine_second")}
    return _state(shift_types, members, numbers={k: str(data.get(k) or "") for k in LIMITS},
                  calls=_list(data.get("call_shift_types")), forbidden=_list(data.get("forbidden")),
                  combinable=_list(data.get("combinable")), limit_same_day=bool(data.get("limit_same_day")),
                  days_off=days_off, swap=bool(data.get("swap_needs_approval")),
                  claim=bool(data.get("claim_needs_approval")), picks=picks)


def error_summary(errors: dict[str, str], form: RulesForm) -> list[tuple[str, str]]:
    """(link to the field, "where: what is wrong") for each message, in the order of the page."""
    labels = {limit.name: limit.label for limit in form.limits}
    order = [limit.name for limit in form.limits if limit.name not in ("auto_approve_days", "min_days_between_calls")]
    order += ["min_days_between_calls", "forbid_next", "combine_second"]
    order += [f"days_off_{m.membership_id}" for m in form.members] + ["auto_approve_days"]
    where = {"forbid_next": _("Shifts that may not follow each other"), "combine_second": _("Two shifts on one day"),
             **labels, **{f"days_off_{m.membership_id}": _("Days off of %(name)s", name=m.name) for m in form.members}}
    rank = {key: i for i, key in enumerate(order)}
    return [(f"#f-{key}", _("%(where)s: %(problem)s", where=where.get(key, key), problem=message))
            for key, message in sorted(errors.items(), key=lambda kv: rank.get(kv[0], len(rank))) if key != "form"]
