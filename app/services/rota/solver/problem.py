"""The rota solver's problem description and solution: plain dataclasses, no OR-Tools in here.

A :class:`Problem` is a horizon of ``num_days`` days (day 0 first), a list of :class:`ShiftType`,
a list of :class:`Employee` with their personal limits, the wanted :class:`Cover` per day and shift
type, and the employees' :class:`Request` (wishes to work or not to work a shift). The app's
generator builds one from the database (shift types, members, rules, approved time off,
preferences, locks); the benchmark loader (:mod:`app.services.rota.nrp`) builds one from the
Curtois & Qu text format. The solver turns it into a CP-SAT model and returns a :class:`Solution`.

Conventions that the model, the evaluator and the app share:

- a schedule is ``schedule[e][d]``: the index of the shift type employee ``e`` works on day ``d``,
  or ``None`` for a day off; at most one shift per employee and day;
- a *run* is a maximal sequence of consecutive working days (or days off); minimum-length rules
  do not apply to a run that touches the first or the last day of the horizon (what came before
  and what comes after is unknown), maximum-length rules apply to every window inside it;
- a weekend counts as worked when any of its days is worked;
- every weight and length is an integer (the model is integral); scale fractional weights first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = (
    "Cover",
    "Employee",
    "Fairness",
    "Limit",
    "Lock",
    "Problem",
    "Progress",
    "Request",
    "ShiftType",
    "Solution",
    "weekends_from_monday",
)

UNLIMITED = 10**9


@dataclass(frozen=True, slots=True)
class ShiftType:
    """A kind of shift: ``minutes`` long; ``forbidden_next`` are shift ids that may not follow it on the next day."""

    id: str
    minutes: int
    forbidden_next: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``most`` of the listed ``days`` worked (``shifts`` set: only those shift ids count).

    The app's generator states its calendar rules with it: at most N shifts in a Monday-Sunday week,
    at most one call in any window of K days. Weekend limits use ``Employee.weekend_limits``.
    """

    days: tuple[int, ...]
    most: int
    shifts: frozenset[str] | None = None
    weights: tuple[tuple[str, int], ...] = ()
    """Shift ids that count more than once (a combined day of two shifts counts 2 towards "shifts a week")."""


@dataclass(slots=True)
class Employee:
    """One person and the hard limits of their contract.

    ``max_shifts`` maps a shift id to the most of that shift the person may work in the horizon
    (absent means unlimited; 0 means never, e.g. an unqualified member). ``days_off`` are days the
    person must not work. ``None`` or 0 in a run-length limit means "no limit".
    """

    id: str
    max_shifts: dict[str, int] = field(default_factory=dict)
    max_minutes: int | None = None
    min_minutes: int | None = None
    max_consecutive: int | None = None
    min_consecutive: int | None = None
    min_days_off: int | None = None
    max_weekends: int | None = None
    days_off: frozenset[int] = frozenset()
    limits: list[Limit] = field(default_factory=list)
    weekend_limits: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    """(indices into ``Problem.weekends``, most worked): e.g. at most 2 weekends of each calendar month."""


@dataclass(frozen=True, slots=True)
class Cover:
    """Wanted headcount of ``shift`` on ``day``.

    Soft by default: each missing person costs ``under_weight``, each extra one ``over_weight``.
    With ``hard`` the headcount must be met exactly (the app's generator: every seat filled).
    """

    day: int
    shift: str
    requirement: int
    under_weight: int = 0
    over_weight: int = 0
    hard: bool = False
    also: frozenset[str] = frozenset()
    """Further shift ids that fill this cover too (the app's combined shifts, e.g. "clinic-am+night")."""


@dataclass(frozen=True, slots=True)
class Request:
    """A wish: ``on`` = wants to work ``shift`` on ``day`` (penalty if not), else wants not to (penalty if so)."""

    employee: str
    day: int
    shift: str
    weight: int
    on: bool


@dataclass(frozen=True, slots=True)
class Lock:
    """A fixed cell: ``employee`` works ``shift`` on ``day`` (``shift=None``: is off that day)."""

    employee: str
    day: int
    shift: str | None


@dataclass(slots=True)
class Fairness:
    """The fairness hook: each employee's weighted load against their target.

    ``load(e) = sum(points[(day, shift)] for each shift e works) + history.get(e, 0)``; the term adds
    ``weight * max_e |load(e) - target[e]|`` (``mode="max"``) or ``weight * sum_e |...|`` (``"sum"``)
    to the objective. Points default to 0 for a cell not listed; targets default to 0.
    ``scale`` multiplies an employee's deviation (default 1): the generator passes ~1/FTE so that the
    term is the deviation *per FTE*.
    """

    points: dict[tuple[int, str], int]
    target: dict[str, int]
    history: dict[str, int] = field(default_factory=dict)
    weight: int = 1
    mode: str = "max"
    scale: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Problem:
    name: str
    num_days: int
    shifts: list[ShiftType]
    employees: list[Employee]
    cover: list[Cover] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    weekends: list[tuple[int, ...]] = field(default_factory=list)
    locks: list[Lock] = field(default_factory=list)
    fairness: Fairness | None = None
    extra_fairness: list[Fairness] = field(default_factory=list)
    """Further fairness terms added to the objective (each with its own weight), e.g. the spread of
    weekends after the spread of total load; only used together with ``fairness``."""

    def shift_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.shifts)}

    def employee_index(self) -> dict[str, int]:
        return {e.id: i for i, e in enumerate(self.employees)}


def weekends_from_monday(num_days: int, first_weekday: int = 0) -> list[tuple[int, ...]]:
    """Saturday/Sunday day pairs (or single days at the edges) of a horizon whose day 0 is ``first_weekday``
    (Monday = 0)."""
    groups: dict[int, list[int]] = {}
    for d in range(num_days):
        wd = (first_weekday + d) % 7
        if wd >= 5:
            groups.setdefault((first_weekday + d - wd) // 7, []).append(d)
    return [tuple(days) for _, days in sorted(groups.items())]


@dataclass(frozen=True, slots=True)
class Progress:
    """What the solver reports while it works (the app streams it to a progress bar)."""

    objective: int
    bound: int
    seconds: float
    phase: str


@dataclass(slots=True)
class Solution:
    """``status`` is OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN (no schedule in time) or MODEL_INVALID."""

    status: str
    schedule: list[list[int | None]] | None
    objective: int | None
    bound: int | None
    seconds: float
    log: list[Progress] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def shift_ids(self, problem: Problem) -> list[list[str | None]] | None:
        if self.schedule is None:
            return None
        return [[None if s is None else problem.shifts[s].id for s in row] for row in self.schedule]
