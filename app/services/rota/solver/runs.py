"""A flow (layered automaton) encoding of one employee's run-length rules, for a tight linear relaxation.

The clause encoding in :mod:`model` propagates well but its LP relaxation is weak (a half-worked day
satisfies every window clause). Here the same rules become a path through a layered graph: one node
per day and state, exactly one state a day, arcs for the allowed transitions, so that the LP relaxation
of the run structure alone is exact (a network flow). States:

- ``xw i``: a run of work that began on day 0, ``i`` days long (exempt from the minimum);
- ``xo``: a run of days off that began on day 0 (exempt from the minimum);
- ``w i``: a run of work that began after a day off, ``i`` days long; it may end only once ``i >= min``;
- ``o j``: a run of days off that began after a worked day, ``j`` days (``j`` capped at the minimum);
  work may resume only once ``j >= min``.

Runs touching the last day are exempt from minima because every state is accepting. Maxima cap ``i``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

__all__ = ("add_run_flow",)


def add_run_flow(m: cp_model.CpModel, tag: str, w: list, min_work: int, max_work: int, min_off: int) -> int:
    """Add the flow for one employee; ``w[d]`` is the "works on day d" literal or ``None`` (cannot work).

    Returns the number of state variables created.
    """
    nd = len(w)
    kmax = max_work if max_work else max(min_work, 1)
    cap_work = bool(max_work)
    moff = max(min_off, 1)

    def step(state: tuple, works: bool) -> tuple | None:
        kind = state[0]
        if works:
            if kind in ("xw", "w"):
                i = state[1] + 1
                if i > kmax:
                    if cap_work:
                        return None
                    i = kmax
                return (kind, i)
            if kind == "xo" or (kind == "o" and state[1] >= moff):
                return ("w", 1) if kmax >= 1 else None
            return None
        # a day off
        if kind == "xw" or (kind == "w" and state[1] >= min_work):
            return ("o", 1)
        if kind == "xo":
            return ("xo",)
        if kind == "o":
            return ("o", min(state[1] + 1, moff))
        return None

    def is_work(state: tuple) -> bool:
        return state[0] in ("xw", "w")

    layers: list[dict[tuple, cp_model.IntVar]] = []
    first: dict[tuple, cp_model.IntVar] = {}
    if w[0] is not None:
        first[("xw", 1)] = m.new_bool_var(f"run_{tag}_0_xw1")
    first[("xo",)] = m.new_bool_var(f"run_{tag}_0_xo")
    layers.append(first)
    made = len(first)
    for d in range(1, nd):
        prev = layers[-1]
        incoming: dict[tuple, list] = {}
        for state, var in prev.items():
            for works in (True, False):
                if works and w[d] is None:
                    continue
                nxt = step(state, works)
                if nxt is None:
                    continue
                incoming.setdefault(nxt, []).append((state, var))
        layer: dict[tuple, cp_model.IntVar] = {}
        arcs_out: dict[tuple, list] = {s: [] for s in prev}
        for nxt, preds in incoming.items():
            node = m.new_bool_var(f"run_{tag}_{d}_{''.join(map(str, nxt))}")
            made += 1
            layer[nxt] = node
            if len(preds) == 1:
                arcs_out[preds[0][0]].append(node)
            else:
                arcs = []
                for state, _ in preds:
                    arc = m.new_bool_var(f"arc_{tag}_{d}")
                    made += 1
                    arcs.append(arc)
                    arcs_out[state].append(arc)
                m.add(sum(arcs) == node)
        for state, var in prev.items():
            outs = arcs_out[state]
            if not outs:
                m.add(var == 0)
            else:
                m.add(sum(outs) == var)
        layers.append(layer)
    for d, layer in enumerate(layers):
        m.add_exactly_one(layer.values())
        work_states = [v for s, v in layer.items() if is_work(s)]
        if w[d] is None:
            for v in work_states:
                m.add(v == 0)
        else:
            m.add(sum(work_states) == w[d])
    return made
