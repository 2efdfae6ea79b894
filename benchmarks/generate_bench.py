"""Schedule generator benchmark: a 30-day month for 40 physicians and 12 shift types, 20 approved
time-off requests and 30 preferences, two months of history; the CP-SAT generator against the greedy
round-robin fill (app/services/rota/fill.py, "the spreadsheet method") on the same input.

Prints: time to the first feasible schedule, time and status of the final one, and for both methods the
largest deviation of weighted load per FTE from fair share (history window included), the weekend and
holiday spread, open seats and rule breaches. Figures, not a timed test:

    .venv/bin/python benchmarks/generate_bench.py [--seconds 10] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from app.services.rota.equity import max_deviation
from app.services.rota.fill import Need, Person, plan_fill
from app.services.rota.generate import build_problem, solve_options
from app.services.rota.generate_inputs import Inputs, MemberSpec, ShiftSpec, Wish
from app.services.rota.load import points_of
from app.services.rota.rules import Rules
from app.services.rota.solver import solve

ALL, WEEKDAYS, WEEKEND = (0, 1, 2, 3, 4, 5, 6), (0, 1, 2, 3, 4), (5, 6)
START, DAYS = date(2026, 12, 1), 30
HOLIDAYS = {date(2026, 10, 3): "German Unity Day", date(2026, 12, 25): "Christmas Day",
            date(2026, 12, 26): "Second Day of Christmas"}


def shift_types() -> list[ShiftSpec]:
    rows = [  # code, start, minutes, days, headcount, weight, weekend, holiday, qualification
        ("clinic-am", time(8), 240, WEEKDAYS, 3, 1.0, 1.5, 2.0, None),
        ("clinic-pm", time(13), 240, WEEKDAYS, 3, 1.0, 1.5, 2.0, None),
        ("ward", time(8), 600, ALL, 2, 1.0, 1.5, 2.0, None),
        ("or-day", time(7, 30), 540, WEEKDAYS, 2, 1.2, 1.5, 2.0, "OR"),
        ("endoscopy", time(8), 480, WEEKDAYS, 1, 1.0, 1.5, 2.0, None),
        ("peds-clinic", time(9), 420, WEEKDAYS, 1, 1.0, 1.5, 2.0, "PEDS"),
        ("night-call", time(20), 720, ALL, 1, 2.0, 3.0, 4.0, None),
        ("peds-call", time(18), 840, ALL, 1, 2.0, 3.0, 4.0, "PEDS"),
        ("icu-night", time(20), 720, ALL, 1, 2.0, 3.0, 4.0, "ICU"),
        ("weekend-call", time(8), 720, WEEKEND, 2, 1.0, 2.0, 3.0, None),
        ("er-evening", time(14), 600, ALL, 1, 1.2, 1.8, 2.5, None),
        ("nursing-home", time(9), 240, (1, 3), 1, 1.0, 1.5, 2.0, None),
    ]
    return [ShiftSpec(i + 1, code, code.replace("-", " ").title(), start, minutes, days, hc, w, ww, hw, q)
            for i, (code, start, minutes, days, hc, w, ww, hw, q) in enumerate(rows)]


def members(rng: random.Random) -> list[MemberSpec]:
    out = []
    for i in range(40):
        fte = 1.0 if i < 30 else (0.8 if i < 36 else 0.5)
        quals = set()
        if i % 5 == 0 or i in (1, 7, 13):
            quals.add("PEDS")
        if i % 4 == 1:
            quals.add("ICU")
        if i % 3 == 2:
            quals.add("OR")
        out.append(MemberSpec(i + 1, f"Dr {i + 1:02d}", fte, frozenset(quals)))
    return out


def leave_and_wishes(rng: random.Random, people: list[MemberSpec], shifts: list[ShiftSpec]) -> tuple[
        list[MemberSpec], list[Wish]]:
    leave: dict[int, set[date]] = defaultdict(set)
    for who in rng.sample(range(len(people)), 20):  # 20 approved time-off requests, 1-5 days each
        first = START + timedelta(days=rng.randrange(0, DAYS - 5))
        for j in range(rng.randint(1, 5)):
            leave[people[who].id].add(first + timedelta(days=j))
    people = [MemberSpec(m.id, m.name, m.fte, m.qualifications, frozenset(leave.get(m.id, ()))) for m in people]
    wishes = []
    for _ in range(30):
        m = rng.choice(people)
        kind = rng.choice(["avoid", "avoid", "want"])
        day = START + timedelta(days=rng.randrange(DAYS)) if rng.random() < 0.7 else None
        shift = rng.choice(shifts).id if day is None or rng.random() < 0.5 else None
        wishes.append(Wish(m.id, kind, day, shift, rng.randint(1, 3)))
    return people, wishes


def greedy(people: list[MemberSpec], shifts: list[ShiftSpec], start: date, days: int,
           history: dict[int, float], busy_days: dict[int, set[date]]) -> list[tuple[int, int, date]]:
    """fill.plan_fill on the range: each seat to the eligible member with the fewest points per FTE."""
    tz = UTC
    persons = []
    for m in people:
        p = Person(m.id, m.name, fte=m.fte, qualifications=m.qualifications, points=history.get(m.id, 0.0))
        for d in busy_days.get(m.id, ()):  # time off: busy the whole day, so the fill skips them
            p.busy.append((datetime.combine(d, time(0), tz), datetime.combine(d + timedelta(days=1), time(0), tz)))
        persons.append(p)
    needs = []
    for i in range(days):
        day = start + timedelta(days=i)
        for s in shifts:
            if not s.runs_on(day):
                continue
            begin = datetime.combine(day, s.start_time, tz)
            needs.append(Need(s.id, day, begin, begin + timedelta(minutes=s.minutes),
                              points_of(s, day, HOLIDAYS).value, s.headcount, s.qualification))
    plan = plan_fill(needs, persons)
    return [(mid, need.shift_type_id, need.day) for need, mid in plan.picks], sum(n for _need, n in plan.unfilled)


def loads(cells, shifts_by_id, *, weekend_only=False) -> dict[int, float]:
    out: dict[int, float] = defaultdict(float)
    for mid, sid, day in cells:
        p = points_of(shifts_by_id[sid], day, HOLIDAYS)
        if weekend_only and p.category == "weekday":
            continue
        out[mid] += p.value
    return out


def breaches(inputs: Inputs, cells) -> int:
    """Hard-rule breaches an independent check finds (time off, qualification, two shifts a day, rest)."""
    shifts = {s.id: s for s in inputs.shifts}
    people = {m.id: m for m in inputs.members}
    bad = 0
    by_member: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for mid, sid, day in cells:
        m, s = people[mid], shifts[sid]
        bad += day in m.leave
        bad += bool(s.qualification and s.qualification not in m.qualifications)
        by_member[mid][day].append(sid)
    r = inputs.rules
    for days in by_member.values():
        for day, sids in days.items():
            bad += len(sids) > 1
            for sid in sids:
                for nxt in days.get(day + timedelta(days=1), []):
                    a, b = shifts[sid], shifts[nxt]
                    gap = 24 * 60 + b.start_time.hour * 60 + b.start_time.minute - (
                        a.start_time.hour * 60 + a.start_time.minute + a.minutes)
                    bad += gap < (r.min_rest_hours or 0) * 60
        worked = sorted(days)
        run = 1
        for x, y in itertools.pairwise(worked):
            run = run + 1 if (y - x).days == 1 else 1
            bad += bool(r.max_consecutive_days and run > r.max_consecutive_days)
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shifts = shift_types()
    by_id = {s.id: s for s in shifts}
    people, wishes = leave_and_wishes(rng, members(rng), shifts)
    rules = Rules(min_rest_hours=11, max_consecutive_days=6, max_shifts_per_week=5, max_weekends_per_month=2,
                  min_days_between_calls=3, call_shift_types=frozenset({7, 8, 9}))

    # Two months of history (October, November) filled the spreadsheet way, the same for both methods.
    hist_start = date(2026, 10, 1)
    history_cells, _open = greedy(people, shifts, hist_start, (START - hist_start).days, {}, {})
    history = loads(history_cells, by_id)

    inputs = Inputs(start=START, end=START + timedelta(days=DAYS - 1), shifts=shifts, members=people, rules=rules,
                    holidays=frozenset(HOLIDAYS), holiday_names=HOLIDAYS, published=history_cells, wishes=wishes,
                    history_start=hist_start)
    began = clock.monotonic()
    built = build_problem(inputs)
    build_seconds = clock.monotonic() - began
    seen = []
    began = clock.monotonic()
    options = solve_options(built, seconds=args.seconds, progress=seen.append)
    hint_seconds = clock.monotonic() - began  # the greedy first fill, counted in every figure below
    solution = solve(built.problem, options)
    cells = built.assignments(solution)
    ftes = {m.id: m.fte for m in people}

    base_cells, base_open = greedy(people, shifts, START, DAYS, history, {m.id: set(m.leave) for m in people})

    def fairness(month_cells):
        all_cells = history_cells + month_cells
        return (max_deviation(loads(all_cells, by_id), ftes),
                max_deviation(loads(all_cells, by_id, weekend_only=True), ftes),
                max_deviation(loads(month_cells, by_id), ftes))

    seats = sum(s.headcount for i in range(DAYS) for s in shifts if s.runs_on(START + timedelta(days=i)))
    print(f"input: {len(people)} members, {len(shifts)} shift types, {DAYS} days, {seats} seats, "
          f"{sum(1 for m in people if m.leave)} members with time off (20 requests), {len(wishes)} preferences, "
          f"history {len(history_cells)} shifts")
    print(f"model built in {build_seconds:.2f} s; solver status {solution.status}")
    if seen:
        print(f"first feasible schedule after {hint_seconds + seen[0].seconds:.2f} s (greedy fill "
              f"{hint_seconds:.2f} s); final after {hint_seconds + solution.seconds:.2f} s ({len(seen)} improvements)")
    else:
        print("no schedule found")
        return
    g_all, g_wk, g_month = fairness(cells)
    b_all, b_wk, b_month = fairness(base_cells)
    print()
    print(f"{'':44}{'CP-SAT generator':>18}{'greedy round-robin':>20}")
    print(f"{'largest deviation from fair share (pts/FTE)':44}{g_all:>18.2f}{b_all:>20.2f}")
    print(f"{'  weekends and holidays only':44}{g_wk:>18.2f}{b_wk:>20.2f}")
    print(f"{'  this month alone (history not counted)':44}{g_month:>18.2f}{b_month:>20.2f}")
    print(f"{'open seats':44}{0:>18}{base_open:>20}")
    print(f"{'rule breaches (independent check)':44}{breaches(inputs, cells):>18}{breaches(inputs, base_cells):>20}")
    ratio = b_all / g_all if g_all else float("inf")
    print(f"\nfairness ratio (greedy / generator): {ratio:.1f}x  (goal: at least 3x)")
    print("progress (elapsed s, largest deviation pts/FTE, bound):")
    for p in seen[:: max(1, len(seen) // 12)]:
        from app.services.rota.objective import decode

        print(f"  {hint_seconds + p.seconds:6.2f}  {decode(built, p.objective)!s:>8}  {decode(built, p.bound)!s:>8}"
              f"  {p.phase}")


if __name__ == "__main__":
    main()
