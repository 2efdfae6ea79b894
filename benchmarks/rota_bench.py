"""Server time p50/p95 of the rota's pages and API on a seeded 60-member, 24-month tenant.

Reads the ``Server-Timing: app;dur=`` header Rounds puts on every response, so the
figures are the server's own time, without the client or the network.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import BIN, ROOT, bench_env, prepare, serve, sign_in  # noqa: E402

GOALS_MS = {"day": 50, "week": 50, "month": 150, "oncall_page": 20, "oncall_now_api": 20, "schedule_api_7d": None}


def _server_ms(response: httpx.Response) -> float:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    header = response.headers["server-timing"]
    return float(header.split("dur=")[1].split(",")[0])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(database: str | None, requests: int) -> dict[str, object]:
    env = bench_env(database)
    seeded = prepare(env)
    key = subprocess.run([str(BIN / "rounds"), "create-api-key", "--org", seeded["slug"], "--scopes",
                          "schedule:read"], env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    rng = random.Random(7)
    today = date.today()
    days = [today - timedelta(days=rng.randint(0, 700)) for _ in range(requests)]
    results: dict[str, dict[str, float | int | None]] = {}
    with serve(env) as base, httpx.Client(base_url=base, timeout=30) as client:
        sign_in(client, seeded["owner"], seeded["password"])
        api = {"Authorization": f"Bearer {key}"}
        endpoints = {
            "day": lambda d: client.get(f"/rota/day/{d}"),
            "week": lambda d: client.get(f"/rota/week/{d}"),
            "month": lambda d: client.get(f"/rota/month/{d}"),
            "oncall_page": lambda d: client.get("/oncall", params={"when": f"{d} 03:00"}),
            "oncall_now_api": lambda d: client.get("/api/v1/oncall/now", headers=api),
            "schedule_api_7d": lambda d: client.get("/api/v1/schedule", params={"date": str(d), "days": 7},
                                                    headers=api),
        }
        for name, call in endpoints.items():
            for d in days[:10]:
                call(d)  # warm up
            timings = [_server_ms(call(d)) for d in days]
            results[name] = {"p50_ms": round(statistics.median(timings), 2),
                             "p95_ms": round(percentile(timings, 0.95), 2),
                             "requests": len(timings), "goal_p95_ms": GOALS_MS[name]}
    return {"database": "postgresql" if database else "sqlite", "assignments": int(seeded.get("assignments", 0)),
            "results": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=None, help="a PostgreSQL URL; default SQLite in a temp dir")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.database, args.requests), indent=2))
