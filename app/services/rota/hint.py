"""A first schedule for the generator, filled the way a careful person fills a spreadsheet, then evened out.

Day by day, scarcest slot first, each seat goes to the eligible member furthest below their fair share (per
FTE); a seat nobody free can take goes to someone already working that day when the two shifts may be
combined. Then single moves and swaps of shifts between members even out the largest deviation. It keeps
every hard rule it can see (the solver's days off, qualifications, successions, run lengths, windowed limits,
weekend limits, locks), so the solver usually takes it as its first schedule within a fraction of a second
(:func:`app.services.rota.solver.search.solve` offers a complete feasible hint as its first solution).
"""

from __future__ import annotations

from collections import defaultdict

from app.services.rota.solver import Cover, Problem

__all__ = ("best_hint", "greedy_hint", "hint_score")


def greedy_hint(problem: Problem, *, combine: dict[tuple[int, int], int] | None = None,
                seed: int = 0) -> list[list[int | None]]:
    """A first schedule the rules-aware way a careful person would fill a spreadsheet: day by day, scarcest
    slot first, each seat to the eligible member furthest below their fair share (per FTE). It keeps every
    hard rule it can see; a seat nobody can take stays open (the solver then repairs the hint)."""
    import random

    rng = random.Random(seed)
    ne, nd = len(problem.employees), problem.num_days
    sidx = problem.shift_index()
    sched: list[list[int | None]] = [[None] * nd for _ in range(ne)]
    f = problem.fairness
    points = f.points if f else {}
    load = [(f.history.get(e.id, 0) - f.target.get(e.id, 0)) if f else 0 for e in problem.employees]
    scale = [(f.scale.get(e.id, 1) if f else 1) for e in problem.employees]
    eidx = problem.employee_index()
    for lk in problem.locks:
        if lk.shift is not None:
            e = eidx[lk.employee]
            sched[e][lk.day] = sidx[lk.shift]
            load[e] += points.get((lk.day, lk.shift), 0)
    forbidden = [{sidx[t] for t in sh.forbidden_next if t in sidx} for sh in problem.shifts]
    # Cells no one may work (a cover of 0 is exact): shift types that do not run, the generator's day versions
    # of a unit outside their day.
    closed = {(c.day, sidx[t]) for c in problem.cover if c.hard and c.requirement == 0
              for t in (c.shift, *c.also) if t in sidx}
    weekend_of: dict[int, int] = {d: i for i, days in enumerate(problem.weekends) for d in days}
    counts = [dict.fromkeys(problem.shifts and [s.id for s in problem.shifts], 0) for _ in range(ne)]

    def ok(e: int, d: int, s: int) -> bool:
        emp = problem.employees[e]
        sid = problem.shifts[s].id
        cap = emp.max_shifts.get(sid)
        if sched[e][d] is not None or d in emp.days_off or (cap is not None and counts[e][sid] >= cap) \
                or (d, s) in closed:
            return False
        if d > 0 and sched[e][d - 1] is not None and s in forbidden[sched[e][d - 1]]:
            return False
        if d + 1 < nd and sched[e][d + 1] is not None and sched[e][d + 1] in forbidden[s]:
            return False
        if emp.max_consecutive:
            run, t = 1, d - 1
            while t >= 0 and sched[e][t] is not None:
                run, t = run + 1, t - 1
            t = d + 1
            while t < nd and sched[e][t] is not None:
                run, t = run + 1, t + 1
            if run > emp.max_consecutive:
                return False
        for lim in emp.limits:
            if d in lim.days and (lim.shifts is None or sid in lim.shifts):
                weight = dict(lim.weights)
                used = sum(weight.get(problem.shifts[sched[e][t]].id, 1) for t in lim.days
                           if sched[e][t] is not None
                           and (lim.shifts is None or problem.shifts[sched[e][t]].id in lim.shifts))
                if used + weight.get(sid, 1) > lim.most:
                    return False
        if d in weekend_of and emp.weekend_limits:
            w = weekend_of[d]
            worked = {weekend_of[t] for t in range(nd) if sched[e][t] is not None and t in weekend_of}
            if w not in worked:
                for indices, most in emp.weekend_limits:
                    if w in indices and len(worked & set(indices)) + 1 > most:
                        return False
        return True

    locked_cells = {(eidx[lk.employee], lk.day) for lk in problem.locks}
    by_day: dict[int, list[Cover]] = defaultdict(list)
    for c in problem.cover:
        by_day[c.day].append(c)
    for d in range(nd):
        covers = [c for c in by_day.get(d, []) if c.requirement > 0]
        eligible = {c.shift: sum(1 for e in range(ne) if ok(e, d, sidx[c.shift])) for c in covers}
        for c in sorted(covers, key=lambda c: (eligible[c.shift], -points.get((d, c.shift), 0))):
            s = sidx[c.shift]
            group = {s} | {sidx[t] for t in c.also if t in sidx}
            have = sum(1 for e in range(ne) if sched[e][d] in group)
            pts = points.get((d, c.shift), 0)
            for _seat in range(c.requirement - have):
                pool = [e for e in range(ne) if ok(e, d, s)]
                if pool:
                    best = min(pool, key=lambda e: ((load[e] + pts) * scale[e], rng.random()))
                    sched[best][d] = s
                    load[best] += pts
                    counts[best][c.shift] += 1
                    continue
                # Nobody free: someone already working that day takes it too, if the pair may be combined.
                options = []
                for e in range(ne):
                    old = sched[e][d]
                    if old is None or (e, d) in locked_cells or (old, s) not in (combine or {}):
                        continue
                    new = (combine or {})[(old, s)]
                    old_id = problem.shifts[old].id
                    sched[e][d] = None
                    counts[e][old_id] -= 1
                    if ok(e, d, new):
                        extra = points.get((d, problem.shifts[new].id), 0) - points.get((d, old_id), 0)
                        options.append(((load[e] + extra) * scale[e], rng.random(), e, new, extra))
                    sched[e][d] = old
                    counts[e][old_id] += 1
                if not options:
                    break
                _k, _r, best, new, extra = min(options)
                counts[best][problem.shifts[sched[best][d]].id] -= 1
                sched[best][d] = new
                counts[best][problem.shifts[new].id] += 1
                load[best] += extra
    locked = {(eidx[lk.employee], lk.day) for lk in problem.locks}
    # Then even it out: move one shift from a member above their share to one below it, always improving the
    # member furthest from their share (above or below), until no single move helps.
    def move(giver: int, taker: int, d: int, s: int) -> None:
        sid = problem.shifts[s].id
        pts = points.get((d, sid), 0)
        sched[giver][d], sched[taker][d] = None, s
        counts[giver][sid] -= 1
        counts[taker][sid] += 1
        load[giver] -= pts
        load[taker] += pts

    def cells_of(e: int) -> list[tuple[int, int]]:
        return [(d, sched[e][d]) for d in range(nd) if sched[e][d] is not None and (e, d) not in locked]

    def swap(order: list[int], worst: int, above: bool) -> bool:
        """The furthest member trades one shift for a lighter (or heavier) one of another member."""
        far = order[-1] if above else order[0]
        for other in (reversed(order[:-1]) if not above else order[:-1]):
            if other == far:
                continue
            for d1, s1 in cells_of(far):
                p1 = points.get((d1, problem.shifts[s1].id), 0)
                for d2, s2 in cells_of(other):
                    if d2 == d1 and s2 == s1:
                        continue
                    p2 = points.get((d2, problem.shifts[s2].id), 0)
                    delta = p2 - p1  # what ``far`` gains
                    if (above and delta >= 0) or (not above and delta <= 0):
                        continue
                    after = max(abs((load[far] + delta) * scale[far]), abs((load[other] - delta) * scale[other]))
                    if after >= worst:
                        continue
                    id1, id2 = problem.shifts[s1].id, problem.shifts[s2].id
                    sched[far][d1], sched[other][d2] = None, None
                    counts[far][id1] -= 1
                    counts[other][id2] -= 1
                    fits = ok(far, d2, s2)
                    if fits:
                        sched[far][d2] = s2
                        counts[far][id2] += 1
                        fits = ok(other, d1, s1)
                        sched[far][d2] = None
                        counts[far][id2] -= 1
                    if fits:
                        sched[far][d2], sched[other][d1] = s2, s1
                        counts[far][id2] += 1
                        counts[other][id1] += 1
                        load[far] += delta
                        load[other] -= delta
                        return True
                    sched[far][d1], sched[other][d2] = s1, s2
                    counts[far][id1] += 1
                    counts[other][id2] += 1
        return False

    for _round in range(40 * ne):
        order = sorted(range(ne), key=lambda e: load[e] * scale[e])
        worst = max(abs(load[order[0]] * scale[order[0]]), abs(load[order[-1]] * scale[order[-1]]))
        above = load[order[-1]] * scale[order[-1]] >= -load[order[0]] * scale[order[0]]
        pairs = ([(order[-1], lo) for lo in order[:-1]] if above else [(hi, order[0]) for hi in reversed(order[1:])])
        done = False
        for giver, taker in pairs:
            cells = [(d, sched[giver][d]) for d in range(nd)
                     if sched[giver][d] is not None and (giver, d) not in locked]
            rng.shuffle(cells)
            for d, s in cells:
                pts = points.get((d, problem.shifts[s].id), 0)
                if pts <= 0:
                    continue
                after = max(abs((load[giver] - pts) * scale[giver]), abs((load[taker] + pts) * scale[taker]))
                if after >= worst:
                    continue
                sid = problem.shifts[s].id
                sched[giver][d] = None
                counts[giver][sid] -= 1
                fits = ok(taker, d, s)
                sched[giver][d] = s
                counts[giver][sid] += 1
                if fits:
                    move(giver, taker, d, s)
                    done = True
                    break
            if done:
                break
        if not done:
            done = swap(order, worst, above)
        if not done:
            break
    return sched


def hint_score(problem: Problem, sched: list[list[int | None]]) -> tuple[int, ...]:
    """The fairness terms of the objective for a schedule, most important first (lower is better)."""
    out = []
    for f in [problem.fairness, *problem.extra_fairness]:
        if f is None:
            continue
        worst = 0
        for e, emp in enumerate(problem.employees):
            load = f.history.get(emp.id, 0) - f.target.get(emp.id, 0)
            for d, s in enumerate(sched[e]):
                if s is not None:
                    load += f.points.get((d, problem.shifts[s].id), 0)
            worst = max(worst, abs(load) * f.scale.get(emp.id, 1))
        out.append(worst)
    return tuple(out)


def best_hint(problem: Problem, *, combine: dict[tuple[int, int], int] | None = None, budget: float = 0.5,
              tries: int = 8) -> list[list[int | None]]:
    """The fairest of a few randomized fills (different tie-breaks), within ``budget`` seconds."""
    import time

    began = time.monotonic()
    best: tuple[tuple[int, ...], list[list[int | None]]] | None = None
    for seed in range(tries):
        sched = greedy_hint(problem, combine=combine, seed=seed)
        filled = sum(1 for row in sched for s in row if s is not None)
        score = (-filled, *hint_score(problem, sched))
        if best is None or score < best[0]:
            best = (score, sched)
        if time.monotonic() - began > budget:
            break
    assert best is not None
    return best[1]
