"""Schemathesis generates requests from the served OpenAPI document; none may end in a server error."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_server() -> tuple[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="rounds-schemathesis-"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'api.db'}", "ROUNDS_VAR_DIR": str(tmp),
           "BASE_URL": f"http://127.0.0.1:{port}", "SECRET_KEY": "schemathesis", "ROUNDS_INLINE_WORKER": "1"}
    for name in ("REDIS_URL", "SMTP_URL", "TEST_DATABASE_URL"):
        env.pop(name, None)
    rounds = str(BIN / "rounds")
    subprocess.run([rounds, "migrate"], env=env, check=True, capture_output=True)
    slug = subprocess.run([rounds, "create-org", "--name", "Fuzz Clinic", "--owner-email", "fuzz@example.org",
                           "--owner-password", "generated-inputs-42", "--timezone", "Europe/Berlin"],
                          env=env, check=True, capture_output=True, text=True).stdout.strip()
    key = subprocess.run([rounds, "create-api-key", "--org", slug, "--scopes",
                          "schedule:read,schedule:write,members:read,members:write"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([rounds, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(base + "/api/v1/shift-types", headers=headers, json={
        "code": "night-call", "name": "Night call", "start_time": "19:00", "duration_minutes": 720,
        "days_of_week": [0, 1, 2, 3, 4, 5, 6]}).raise_for_status()
    yield base, key
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)


def test_it_answers_every_generated_api_request_without_a_server_error(api_server: tuple[str, str]) -> None:
    base, key = api_server
    result = subprocess.run(
        [str(BIN / "schemathesis"), "run", f"{base}/api/docs/openapi.json", "--header",
         f"Authorization: Bearer {key}", "--checks", "not_a_server_error", "--max-examples", "40",
         "--seed", "20261121", "--request-timeout", "20"],
        capture_output=True, text=True, timeout=540,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "/api/v1/schedule" in result.stdout
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout[-2000:]
