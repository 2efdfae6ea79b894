"""Browser tests: a live ``rounds serve`` on its own SQLite file, and Debian's Chromium driven by Playwright.

The root ``tests/conftest.py`` prepares a database of its own for the in-process tests; the servers here
never touch it. Each :class:`LiveServer` has a temporary directory with its SQLite file and var dir, is
migrated and seeded with the demo practice by the ``rounds`` command, and runs as a subprocess.

- ``live_server``: one server for the whole session (most tests).
- ``make_server``: a fresh server for one test, for tests that stop it (offline behaviour).
- ``browser``: one Chromium for the session; ``context`` / ``new_context`` give isolated profiles.
- ``shoot(page, name)``: screenshots at phone (390x844) and desktop (1280x800) widths into
  ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "rounds-demo-2026"
DEMO_OWNER = "olivia.owner@riverside.example"
DEMO_VIEWER = "operator@riverside.example"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_RUNNING: list[LiveServer] = []  # servers started by this session, for failure reports


class LiveServer:
    """``rounds serve`` in a subprocess, on its own database and var dir, that a test may stop and restart."""

    def __init__(self, name: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"rounds-e2e-{name}-"))
        _RUNNING.append(self)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.dir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"REDIS_URL", "SMTP_URL", "ROUNDS_INLINE_WORKER", "TEST_DATABASE_URL", "HOST", "PORT"}
        }
        env.update(
            DATABASE_URL=f"sqlite:///{self.dir / 'rounds.db'}",
            ROUNDS_VAR_DIR=str(self.dir / "var"),
            BASE_URL=self.url,
            SECRET_KEY=f"e2e-secret-{name}-not-for-production",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.env = env

    def _rounds(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "rounds"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rounds {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self) -> None:
        self._rounds("migrate")
        self._rounds("seed-demo")

    def start(self) -> None:
        assert self.process is None, "already running"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "rounds"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rounds serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"rounds serve did not answer /healthz within 30 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        if self._log:
            self._log.close()
            self._log = None
        # The port is closed once the process has gone; make sure, so "offline" really is offline.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            raise RuntimeError("the server's port still answers after it stopped")

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cleanup(self) -> None:
        self.stop()
        if self in _RUNNING:
            _RUNNING.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """On a failure, the end of each running server's log goes into the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in _RUNNING:
            report.sections.append((f"rounds serve log ({server.url})", server.log_tail(40)))


@pytest.fixture(scope="package")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer("main")
    try:
        server.prepare()
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="package")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture
def make_server() -> Iterator[Callable[[], LiveServer]]:
    """Start a server of the test's own (stopping it breaks no other test); all are removed afterwards."""
    servers: list[LiveServer] = []

    def make() -> LiveServer:
        server = LiveServer(f"own{len(servers)}")
        servers.append(server)
        server.prepare()
        server.start()
        return server

    yield make
    for server in servers:
        server.cleanup()


# -- browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open isolated browser profiles (own cookies, caches and service workers); closed after the test."""
    contexts: list[Any] = []

    def open_context(**options: Any) -> Any:
        settings: dict[str, Any] = {
            "viewport": PHONE,
            "locale": "en-GB",
            "timezone_id": "Europe/Berlin",
            "color_scheme": "light",
            "service_workers": "allow",
        }
        settings.update(options)
        ctx = browser.new_context(**settings)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx

    yield open_context
    for ctx in contexts:
        with contextlib.suppress(Exception):
            ctx.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh profile, failing the test on any uncaught JavaScript error."""
    ctx = new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


# -- helpers ---------------------------------------------------------------------------------------------


def shoot(page: Any, name: str, *, sizes: tuple[str, ...] = ("phone", "desktop")) -> list[Path]:
    """Screenshots of what a person sees at phone and desktop widths (and the rest of a long phone page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    taken: list[Path] = []
    for size in sizes:
        viewport = PHONE if size == "phone" else DESKTOP
        page.set_viewport_size(viewport)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(150)
        path = SCREENSHOTS / f"{name}-{size}.png"
        page.screenshot(path=str(path))
        taken.append(path)
        height = page.evaluate("document.documentElement.scrollHeight")
        if size == "phone" and height > viewport["height"] + 40:
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            page.wait_for_timeout(150)
            path = SCREENSHOTS / f"{name}-{size}-end.png"
            page.screenshot(path=str(path))
            taken.append(path)
            page.evaluate("window.scrollTo(0, 0)")
    if original:
        page.set_viewport_size(original)
    return taken


def sign_in(page: Any, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/home**")


def sign_up(
    page: Any, base_url: str, *, name: str, email: str, password: str, practice: str, country: str | None = None
) -> None:
    page.goto(base_url + "/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Practice name").fill(practice)
    if country:
        page.get_by_label("Country (for public holidays)").select_option(country)
    page.get_by_role("button", name="Create my practice").click()
    # A new practice starts in its setup wizard (or at home); either way, signed in and welcomed.
    page.wait_for_url(lambda url: "/signup" not in url)
    page.get_by_role("status").filter(has_text="Your practice is ready").wait_for()


def wait_until(page: Any, expression: str, *, timeout: float = 10, message: str = "") -> Any:
    """Poll the JavaScript ``expression`` (it may return a promise) until it is truthy; its value.

    ``page.wait_for_function`` evaluates a string with ``eval`` in the page, which Rounds' CSP forbids
    (no 'unsafe-eval'): it fails as soon as the first check is false. ``page.evaluate`` is not bound by it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        assert time.monotonic() < deadline, message or f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def wait_for_service_worker(page: Any) -> None:
    """Until the service worker is active and controls ``page`` (reloading once if it took over late)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    wait_until(page, "!!navigator.serviceWorker.controller", message="the service worker does not control the page")
