"""Runs the rota solver on the shared Curtois & Qu instances, one after another, and prints a table.

    .venv/bin/python benchmarks/nrp_bench.py                 # all twelve, 60 s each (120 s for 14, 16, 18)
    .venv/bin/python benchmarks/nrp_bench.py Instance8 --seconds 30 --workers 2

Each schedule is checked by the evaluator in app/services/rota/nrp.py (independent of the model); a broken
hard rule shows as "HARD VIOLATION". The gap is to the best known value of the README in the shared folder.
Run it on an otherwise idle machine: the solver uses ``--workers`` cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.services.rota.nrp import evaluate, load_instance
from app.services.rota.solver import SolveOptions, solve

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "nrp"
BEST = {"Instance1": 607, "Instance2": 828, "Instance3": 1001, "Instance4": 1716, "Instance5": 1143,
        "Instance6": 1950, "Instance7": 1056, "Instance8": 1300, "Instance10": 4631, "Instance14": 1278,
        "Instance16": 3225, "Instance18": 4459}
LONG = {"Instance14", "Instance16", "Instance18"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instances", nargs="*", help="names like Instance8 (default: all shared ones)")
    parser.add_argument("--dir", default=str(SHARED))
    parser.add_argument("--seconds", type=float, default=None, help="override the 60 s / 120 s limits")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="also print one JSON line per instance")
    args = parser.parse_args()
    names = args.instances or sorted(BEST, key=lambda n: int(n.removeprefix("Instance")))
    header = f"{'instance':<11} {'limit':>5} {'status':<8} {'objective':>9} {'evaluated':>9} {'bound':>6} " \
             f"{'best':>5} {'gap':>7} {'seconds':>7}"
    print(header)
    print("-" * len(header), flush=True)
    for name in names:
        limit = args.seconds if args.seconds is not None else (120.0 if name in LONG else 60.0)
        problem = load_instance(Path(args.dir) / f"{name}.txt")
        sol = solve(problem, SolveOptions(seconds=limit, num_workers=args.workers, lns_threads=args.workers,
                                          seed=args.seed))
        evaluated: int | str | None = None
        if sol.schedule is not None:
            ev = evaluate(problem, sol.shift_ids(problem) or [])
            evaluated = ev.objective if ev.feasible else "HARD VIOLATION"
        best = BEST.get(name)
        gap = f"{100 * (evaluated - best) / best:+.1f}%" if isinstance(evaluated, int) and best else "-"
        print(f"{name:<11} {limit:>5.0f} {sol.status:<8} {sol.objective!s:>9} {evaluated!s:>9} {sol.bound!s:>6} "
              f"{best!s:>5} {gap:>7} {sol.seconds:>7.1f}", flush=True)
        if args.json:
            print(json.dumps({"instance": name, "status": sol.status, "objective": sol.objective,
                              "evaluated_objective": evaluated, "bound": sol.bound, "seconds": sol.seconds,
                              "stats": sol.stats}), flush=True)


if __name__ == "__main__":
    main()
