"""The Curtois & Qu shift scheduling benchmark: a parser into the rota solver's problem, and an evaluator.

The instance format (University of Nottingham "Shift Scheduling Benchmark Data Sets") has sections
``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS`` and ``SECTION_COVER``; ``#`` starts a comment.

The evaluator (:func:`evaluate`) is deliberately independent of the CP-SAT model: it walks a schedule
day by day with its own plain code, lists every broken hard rule, and adds up the soft objective
(unmet on-requests, violated off-requests, under- and over-cover, each by its weight). Runs of work
or of days off that touch the first or last day of the horizon are exempt from the minimum-length
rules (that reading reproduces the proven optima of Instances 1-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.services.rota.solver.problem import Cover, Employee, Problem, Request, ShiftType, weekends_from_monday

__all__ = ("Evaluation", "NrpFormatError", "evaluate", "load_instance", "parse_instance")

_SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


class NrpFormatError(ValueError):
    pass


def load_instance(path: str | Path) -> Problem:
    p = Path(path)
    return parse_instance(p.read_text(encoding="utf-8"), name=p.stem)


def parse_instance(text: str, name: str = "instance") -> Problem:
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("SECTION_"):
            if line not in _SECTIONS:
                raise NrpFormatError(f"line {lineno}: unknown section {line}")
            current = line
            sections.setdefault(current, [])
            continue
        if current is None:
            raise NrpFormatError(f"line {lineno}: data before any section")
        sections[current].append((lineno, [f.strip() for f in line.split(",")]))

    def rows(sec: str) -> list[tuple[int, list[str]]]:
        return sections.get(sec, [])

    def num(lineno: int, value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise NrpFormatError(f"line {lineno}: expected a whole number, got {value!r}") from None

    horizon = rows("SECTION_HORIZON")
    if len(horizon) != 1:
        raise NrpFormatError("SECTION_HORIZON must hold exactly one number")
    num_days = num(horizon[0][0], horizon[0][1][0])

    shifts: list[ShiftType] = []
    for lineno, f in rows("SECTION_SHIFTS"):
        if len(f) < 2:
            raise NrpFormatError(f"line {lineno}: a shift needs an id and a length")
        forbidden = frozenset(t.strip() for t in (f[2] if len(f) > 2 else "").split("|") if t.strip())
        shifts.append(ShiftType(f[0], num(lineno, f[1]), forbidden))
    shift_ids = {s.id for s in shifts}
    for s in shifts:
        if s.forbidden_next - shift_ids:
            raise NrpFormatError(f"shift {s.id}: unknown successor(s) {sorted(s.forbidden_next - shift_ids)}")

    employees: list[Employee] = []
    for lineno, f in rows("SECTION_STAFF"):
        if len(f) != 8:
            raise NrpFormatError(f"line {lineno}: a staff line has 8 fields, got {len(f)}")
        max_shifts: dict[str, int] = {}
        for part in f[1].split("|"):
            if not part.strip():
                continue
            sid, _, value = part.partition("=")
            if sid.strip() not in shift_ids:
                raise NrpFormatError(f"line {lineno}: unknown shift {sid!r}")
            max_shifts[sid.strip()] = num(lineno, value)
        employees.append(Employee(
            id=f[0], max_shifts=max_shifts, max_minutes=num(lineno, f[2]), min_minutes=num(lineno, f[3]),
            max_consecutive=num(lineno, f[4]), min_consecutive=num(lineno, f[5]),
            min_days_off=num(lineno, f[6]), max_weekends=num(lineno, f[7]),
        ))
    by_id = {e.id: e for e in employees}

    def check(lineno: int, emp: str, day: int, shift: str | None = None) -> None:
        if emp not in by_id:
            raise NrpFormatError(f"line {lineno}: unknown employee {emp!r}")
        if not 0 <= day < num_days:
            raise NrpFormatError(f"line {lineno}: day {day} outside the horizon")
        if shift is not None and shift not in shift_ids:
            raise NrpFormatError(f"line {lineno}: unknown shift {shift!r}")

    for lineno, f in rows("SECTION_DAYS_OFF"):
        days = [num(lineno, v) for v in f[1:] if v]
        for d in days:
            check(lineno, f[0], d)
        by_id[f[0]].days_off = by_id[f[0]].days_off | frozenset(days)

    requests: list[Request] = []
    for sec, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        for lineno, f in rows(sec):
            if len(f) != 4:
                raise NrpFormatError(f"line {lineno}: a request has 4 fields")
            day = num(lineno, f[1])
            check(lineno, f[0], day, f[2])
            requests.append(Request(f[0], day, f[2], num(lineno, f[3]), on))

    cover: list[Cover] = []
    for lineno, f in rows("SECTION_COVER"):
        if len(f) != 5:
            raise NrpFormatError(f"line {lineno}: a cover line has 5 fields")
        day = num(lineno, f[0])
        if not 0 <= day < num_days or f[1] not in shift_ids:
            raise NrpFormatError(f"line {lineno}: bad day or shift")
        cover.append(Cover(day, f[1], num(lineno, f[2]), num(lineno, f[3]), num(lineno, f[4])))

    return Problem(name=name, num_days=num_days, shifts=shifts, employees=employees, cover=cover,
                   requests=requests, weekends=weekends_from_monday(num_days))


# --------------------------------------------------------------------------------------------- evaluator


@dataclass(slots=True)
class Evaluation:
    objective: int
    violations: list[str] = field(default_factory=list)
    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations


def _runs(flags: list[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs as (value, first day, length)."""
    out: list[tuple[bool, int, int]] = []
    start = 0
    for d in range(1, len(flags) + 1):
        if d == len(flags) or flags[d] != flags[start]:
            out.append((flags[start], start, d - start))
            start = d
    return out


def evaluate(problem: Problem, schedule: list[list[Any]]) -> Evaluation:
    """Check ``schedule[e][d]`` against every hard rule and price the soft ones.

    A cell is a shift id, ``None`` (day off), or a list/tuple of shift ids (so that two shifts on one day,
    a hard violation, can be expressed at all).
    """
    ev = Evaluation(objective=0)
    bad = ev.violations
    flat: list[list[str | None]] = []
    for e, row in enumerate(schedule):
        line: list[str | None] = []
        for d, cell in enumerate(row):
            if isinstance(cell, list | tuple):
                if len(cell) > 1:
                    who = problem.employees[e].id if e < len(problem.employees) else e
                    bad.append(f"{who} works {len(cell)} shifts on day {d}: {', '.join(cell)}")
                line.append(cell[0] if cell else None)
            else:
                line.append(cell)
        flat.append(line)
    schedule = flat
    n = problem.num_days
    lengths = {s.id: s.minutes for s in problem.shifts}
    forbidden = {s.id: s.forbidden_next for s in problem.shifts}
    if len(schedule) != len(problem.employees):
        bad.append(f"schedule has {len(schedule)} rows for {len(problem.employees)} employees")
        return ev
    for emp, row in zip(problem.employees, schedule, strict=True):
        if len(row) != n:
            bad.append(f"{emp.id}: {len(row)} days in the schedule, horizon is {n}")
            continue
        for d, sid in enumerate(row):
            if sid is not None and sid not in lengths:
                bad.append(f"{emp.id} day {d}: unknown shift {sid!r}")
        if any(sid is not None and sid not in lengths for sid in row):
            continue
        # days off
        for d in sorted(emp.days_off):
            if row[d] is not None:
                bad.append(f"{emp.id} works {row[d]} on day {d}, a day off")
        # successions
        for d in range(n - 1):
            if row[d] is not None and row[d + 1] is not None and row[d + 1] in forbidden[row[d]]:
                bad.append(f"{emp.id}: {row[d + 1]} on day {d + 1} may not follow {row[d]} on day {d}")
        # per-shift maxima
        for sid, cap in emp.max_shifts.items():
            count = sum(1 for v in row if v == sid)
            if count > cap:
                bad.append(f"{emp.id}: {count} x {sid}, at most {cap}")
        # total minutes
        total = sum(lengths[v] for v in row if v is not None)
        if emp.max_minutes is not None and total > emp.max_minutes:
            bad.append(f"{emp.id}: {total} minutes, at most {emp.max_minutes}")
        if emp.min_minutes is not None and total < emp.min_minutes:
            bad.append(f"{emp.id}: {total} minutes, at least {emp.min_minutes}")
        # runs
        for working, first, length in _runs([v is not None for v in row]):
            touches_edge = first == 0 or first + length == n
            if working:
                if emp.max_consecutive and length > emp.max_consecutive:
                    bad.append(f"{emp.id}: works {length} days in a row from day {first}, "
                               f"at most {emp.max_consecutive}")
                if emp.min_consecutive and length < emp.min_consecutive and not touches_edge:
                    bad.append(f"{emp.id}: works only {length} days in a row from day {first}, "
                               f"at least {emp.min_consecutive}")
            elif emp.min_days_off and length < emp.min_days_off and not touches_edge:
                bad.append(f"{emp.id}: only {length} days off in a row from day {first}, at least {emp.min_days_off}")
        # weekends
        if emp.max_weekends is not None:
            worked = sum(1 for days in problem.weekends if any(row[d] is not None for d in days))
            if worked > emp.max_weekends:
                bad.append(f"{emp.id}: works {worked} weekends, at most {emp.max_weekends}")

    if any(len(row) != n or any(v is not None and v not in lengths for v in row) for row in schedule):
        return ev  # a malformed schedule: reported above, not priced
    # soft: requests
    row_of = {emp.id: row for emp, row in zip(problem.employees, schedule, strict=True)}
    on_pen = off_pen = 0
    for r in problem.requests:
        got = row_of[r.employee][r.day]
        if r.on and got != r.shift:
            on_pen += r.weight
        elif not r.on and got == r.shift:
            off_pen += r.weight
    # soft: cover
    under = over = 0
    for c in problem.cover:
        count = sum(1 for row in schedule if row[c.day] == c.shift)
        if c.hard and count != c.requirement:
            bad.append(f"day {c.day} {c.shift}: {count} on duty, exactly {c.requirement} required")
        if count < c.requirement:
            under += (c.requirement - count) * c.under_weight
        elif count > c.requirement:
            over += (count - c.requirement) * c.over_weight
    ev.breakdown = {"shift_on_requests": on_pen, "shift_off_requests": off_pen, "under_cover": under,
                    "over_cover": over}
    ev.objective = on_pen + off_pen + under + over
    return ev
