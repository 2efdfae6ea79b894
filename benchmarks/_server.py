"""Start a throw-away ``rounds serve`` for a benchmark, on SQLite in a temp dir or a given PostgreSQL URL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(database: str | None, redis: str | None = None) -> dict[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="rounds-bench-"))
    # The API rate limit would throttle the measuring client itself.
    env = {**os.environ, "ROUNDS_VAR_DIR": str(tmp), "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
           "API_RATE_LIMIT_PER_MINUTE": "1000000",
           "DATABASE_URL": database or f"sqlite:///{tmp / 'bench.db'}"}
    env.pop("SMTP_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    return env


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate and seed; returns the seed's summary (slug, owner, password)."""
    subprocess.run([str(BIN / "rounds"), "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "seed.py")], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return dict(re.findall(r"'(\w+)': '?([^',}]+)'?", out))


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen([str(BIN / "rounds"), "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": password},
                           headers={"x-csrftoken": client.cookies.get("csrftoken", "")})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
