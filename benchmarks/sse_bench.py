"""500 SSE subscribers on one ``rounds serve`` process: how long until each receives one change."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import BIN, ROOT, bench_env, serve, sign_in  # noqa: E402
from rota_bench import percentile  # noqa: E402

EMAIL, PASSWORD = "owner@sse-bench.example", "sse-benchmark-2026"


async def _subscribe(base: str, cookies: httpx.Cookies, ready: asyncio.Event, counter: list[int], total: int,
                     started: dict[str, float], received: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as client, client.stream(
        "GET", "/events"
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                counter[0] += 1
                if counter[0] == total:
                    ready.set()
            elif line == "event: members":
                received.append(time.perf_counter() - started["t"])
                return


async def measure(base: str, cookies: httpx.Cookies, subscribers: int) -> list[float]:
    ready, counter, started, received = asyncio.Event(), [0], {"t": 0.0}, []
    tasks = [asyncio.create_task(_subscribe(base, cookies, ready, counter, subscribers, started, received))
             for _ in range(subscribers)]
    await asyncio.wait_for(ready.wait(), timeout=120)
    async with httpx.AsyncClient(base_url=base, cookies=cookies) as writer:
        started["t"] = time.perf_counter()
        response = await writer.post("/members/invite", data={"email": "new@sse-bench.example", "role": "member"},
                                     headers={"x-csrftoken": cookies.get("csrftoken", "")})
        assert response.status_code in (200, 303), response.status_code
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    return received


def run(subscribers: int) -> dict[str, object]:
    env = bench_env(None)
    subprocess.run([str(BIN / "rounds"), "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([str(BIN / "rounds"), "create-org", "--name", "SSE Bench", "--owner-email", EMAIL,
                    "--owner-password", PASSWORD], env=env, check=True, capture_output=True, cwd=ROOT)
    with serve(env) as base, httpx.Client(base_url=base) as client:
        sign_in(client, EMAIL, PASSWORD)
        latencies = asyncio.run(measure(base, client.cookies, subscribers))
    ms = [x * 1000 for x in latencies]
    return {"subscribers": subscribers, "received": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(percentile(ms, 0.95), 1), "max_ms": round(max(ms), 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(run(args.subscribers), indent=2))
