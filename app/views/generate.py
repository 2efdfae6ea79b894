"""View models of the generator pages: the form, the draft's progress, and the draft beside the current schedule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_skeleton

from app.i18n import DEFAULT_LOCALE, _, ngettext
from app.services.rota.dates import is_weekend
from app.services.rota.rules import format_points

if TYPE_CHECKING:
    from app.models import Assignment, ScheduleDraft
    from app.services.rota.drafts import EditChoices, EditOption
    from app.services.rota.schedule import Slot

__all__ = ("GenerateForm", "cell_view", "default_range", "draft_page", "edit_view", "generate_form", "progress_view")

RUNNING = ("queued", "running")


def _day(day: date) -> str:
    return format_skeleton("MMMEd", day, locale=DEFAULT_LOCALE)


def range_label(start: date, end: date) -> str:
    return _("%(start)s to %(end)s", start=format_skeleton("yMMMd", start, locale=DEFAULT_LOCALE),
             end=format_skeleton("yMMMd", end, locale=DEFAULT_LOCALE))


def default_range(today: date) -> tuple[date, date]:
    """Next month."""
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


@dataclass
class GenerateForm:
    start_date: str
    end_date: str
    seconds: str
    history_months: str
    history_options: list[tuple[str, str]]
    drafts: list[dict[str, Any]] = field(default_factory=list)


STATUS_LABELS = {
    "queued": lambda: _("Waiting to start"),
    "running": lambda: _("Generating"),
    "done": lambda: _("Ready to review"),
    "infeasible": lambda: _("Not possible as set up"),
    "failed": lambda: _("Stopped"),
    "published": lambda: _("Published"),
}
STATUS_TONES = {"queued": "pending", "running": "pending", "done": "ok", "infeasible": "muted", "failed": "no",
                "published": "ok"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, lambda: status)()


def generate_form(data: dict[str, Any], drafts: list[ScheduleDraft]) -> GenerateForm:
    options = [("0", _("None"))] + [(str(n), _("%(n)d months", n=n) if n > 1 else _("1 month"))
                                    for n in (1, 2, 3, 6, 12)]
    return GenerateForm(
        start_date=str(data.get("start_date", "")), end_date=str(data.get("end_date", "")),
        seconds=str(data.get("seconds", "")), history_months=str(data.get("history_months", "3")),
        history_options=options,
        drafts=[{"url": f"/rota/drafts/{d.id}", "label": range_label(d.start_date, d.end_date),
                 "status": status_label(d.status), "tone": STATUS_TONES.get(d.status, "muted"), "id": d.id}
                for d in drafts])


def progress_view(draft: ScheduleDraft) -> dict[str, Any]:
    """What the progress bar shows: time used, the best fairness so far and the proven bound."""
    info = draft.explanation or {}
    params = info.get("params") or {}
    progress = info.get("progress") or {}
    seconds = float(params.get("seconds") or progress.get("seconds") or 10)
    elapsed = float(progress.get("elapsed") or info.get("elapsed") or 0)
    running = draft.status in RUNNING
    if draft.status == "failed":  # how far the run got before it stopped; it left no schedule behind
        percent = max(0, min(99, round(100 * elapsed / seconds)))
    elif not running:
        percent = 100
    else:
        percent = max(2, min(99, round(100 * elapsed / seconds))) if draft.status == "running" else 0
    best = progress.get("objective") if running else draft.objective
    bound = progress.get("bound") if running else draft.bound
    return {
        "id": draft.id,
        "status": draft.status,
        "running": running,
        "label": status_label(draft.status),
        "tone": STATUS_TONES.get(draft.status, "muted"),
        "percent": percent,
        "elapsed": _("%(s)s of %(total)s seconds", s=format_points(round(elapsed, 1)), total=format_points(seconds)),
        "best": None if best is None else _("%(v)s points per FTE", v=format_points(best)),
        "best_label": _("Largest deviation from fair share so far") if running else
        _("Largest deviation from fair share"),
        "bound": _("%(v)s points per FTE", v=format_points(bound)) if bound is not None else (
            _("none proven in the time given") if draft.status in ("done", "published") else None),
        "url": f"/rota/drafts/{draft.id}/progress?seen={draft.status}",
    }


def _load(option: EditOption) -> str:
    """An option's points this month (the control's hint says "this month"), per FTE where FTE is not 1."""
    points = format_points(option.points)
    if option.membership.fte == 1:  # per FTE is the same figure: say it once
        return ngettext("%(points)s point", "%(points)s points", 1 if points == "1" else 2, points=points)
    return _("%(points)s points, %(per)s per FTE", points=points, per=format_points(round(option.per_fte, 2)))


def edit_view(draft_id: int, choices: EditChoices, error: str | None = None) -> dict[str, Any]:
    """The hand-edit control: the cell's member, then who breaks no rule (fairest first), then who would and why."""
    cell = choices.cell
    return {
        "draft_id": draft_id, "id": cell.id, "shift": cell.shift_type.name, "day": _day(cell.date), "error": error,
        "current": (cell.membership_id, _("%(name)s (now)", name=cell.membership.user.name)),
        "options": [(o.membership.id, _("%(name)s: %(load)s", name=o.name, load=_load(o))
                     + (" " + _("(fairest)") if i == 0 and len(choices.options) > 1 else ""))
                    for i, o in enumerate(choices.options)],
        "others": [{"id": o.membership.id, "name": o.name, "why": o.refusal} for o in choices.others],
        "action": f"/rota/drafts/{draft_id}/cells/{cell.id}",
        "cancel": f"/rota/drafts/{draft_id}/cells/{cell.id}/view",
    }


def cell_view(draft: ScheduleDraft, a: Assignment, *, editable: bool) -> dict[str, Any]:
    return {
        "id": a.id, "name": a.membership.user.name, "locked": a.locked, "editable": editable,
        "lock_url": f"/rota/drafts/{draft.id}/cells/{a.id}/lock",
        "edit_url": f"/rota/drafts/{draft.id}/cells/{a.id}/edit",
        "label": _("%(name)s on %(shift)s, %(day)s", name=a.membership.user.name, shift=a.shift_type.name,
                   day=_day(a.date)),
    }


def draft_page(draft: ScheduleDraft, published: list[Slot], drafted: list[Slot], *, shift_filter: str = "",
               changed_only: bool = False) -> dict[str, Any]:
    """The draft beside the current schedule, day by day: each slot with who works it now and what the draft adds."""
    info = draft.explanation or {}
    editable = draft.status == "done"
    now_by: dict[tuple[int, date], list[str]] = defaultdict(list)
    slot_of: dict[tuple[int, date], Slot] = {}
    for s in published:
        if draft.start_date <= s.day <= draft.end_date:
            slot_of[(s.shift.id, s.day)] = s
            now_by[(s.shift.id, s.day)] = [a.membership.user.name for a in s.assignments]
    new_by: dict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for s in drafted:
        if draft.start_date <= s.day <= draft.end_date:
            slot_of.setdefault((s.shift.id, s.day), s)
            new_by[(s.shift.id, s.day)] = [cell_view(draft, a, editable=editable) for a in s.assignments]
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    shift_names: dict[str, str] = {}
    changed = 0
    locked = 0
    for (sid, day), slot in sorted(slot_of.items(), key=lambda kv: (kv[0][1], kv[1].shift.start_time,
                                                                    kv[1].shift.position, kv[1].shift.code)):
        shift_names[slot.shift.code] = slot.shift.name
        if shift_filter and slot.shift.code != shift_filter:
            continue
        now, new = now_by.get((sid, day), []), new_by.get((sid, day), [])
        changed += len(new)
        locked += sum(1 for c in new if c["locked"])
        if changed_only and not new:
            continue
        open_seats = max(0, slot.shift.headcount - len(now) - len(new))
        days[day].append({"shift": slot.shift.name, "code": slot.shift.code, "color": slot.shift.color,
                          "now": now, "new": new, "open": open_seats, "changed": bool(new)})
    day_rows = [{"label": _day(d), "iso": d.isoformat(), "weekend": is_weekend(d),
                 "holiday": next((s.holiday.name for s in published + drafted if s.day == d and s.holiday), None),
                 "slots": slots} for d, slots in sorted(days.items())]
    summary = info.get("summary") or {}
    return {
        "id": draft.id,
        "title": range_label(draft.start_date, draft.end_date),
        "status": draft.status,
        "editable": editable,
        "publishable": draft.status == "done",
        "regenerable": draft.status in ("done", "infeasible", "failed"),
        "failed": draft.status == "failed",
        "problems": info.get("problems") or [],
        "days": day_rows,
        "changed": changed,
        "locked": locked,
        "shift_options": sorted(shift_names.items(), key=lambda kv: kv[1].lower()),
        "shift_filter": shift_filter,
        "changed_only": changed_only,
        "figures": {
            "max_deviation": summary.get("max_deviation"),
            "weekend_max_deviation": summary.get("weekend_max_deviation"),
            "first_solution": info.get("first_solution"),
            "elapsed": info.get("elapsed"),
            "proven": info.get("solver_status") == "OPTIMAL",
        },
        "calendar_url": f"/rota/month/{draft.start_date.strftime('%Y-%m')}",
        "published_count": info.get("published_count"),
    }
