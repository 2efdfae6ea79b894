"""``rounds``: the operator's command line."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import click

__all__ = ("main",)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@click.group()
def main() -> None:
    """Rounds: scheduling for medical practices."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", "web_workers", default=1, type=int, help="Web processes (needs REDIS_URL when > 1).")
def serve(host: str, port: int, web_workers: int) -> None:
    """Serve the web app (with no REDIS_URL the worker runs in-process)."""
    import uvicorn

    from app.config import get_settings

    if web_workers > 1 and not get_settings().redis_url:
        raise click.UsageError("several web processes need REDIS_URL so that live updates reach every page")
    os.environ.setdefault("BASE_URL", f"http://{host}:{port}")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=web_workers,
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                log_level="info")


@main.command()
@click.option("--threads", default=4, type=int, show_default=True)
def worker(threads: int) -> None:
    """Run the Dramatiq worker and the outbox sweeper (production)."""
    from workers.runner import run_worker_forever

    run_worker_forever(threads)


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    from app.migrate import upgrade

    upgrade()
    click.echo("database is up to date")


@main.command("seed-demo")
@click.option("--with-rota", is_flag=True, help="Also give it shift types, rules and this month's published rota.")
def seed_demo(with_rota: bool) -> None:
    """Create the demo practice (does nothing if it exists)."""
    from app.demo import seed_demo as seed
    from app.demo import seed_demo_rota

    async def both() -> tuple[bool, list[tuple[str, str, str]], int]:
        created, logins = await seed()
        return created, logins, (await seed_demo_rota() if with_rota else 0)

    created, logins, published = _run(both())
    if created:
        click.echo("Created the demo practice. Sign in with any of these:")
    else:
        click.echo("The demo practice exists. Its logins:")
    if published:
        click.echo(f"Generated and published this month's rota ({published} shifts).")
    for role, email, password in logins:
        click.echo(f"  {role:<9} {email:<34} {password}")


@main.command("create-org")
@click.option("--name", required=True)
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
@click.option("--owner-name", default="")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--country", default=None)
def create_org(name: str, owner_email: str, owner_password: str, owner_name: str, timezone: str,
               country: str | None) -> None:
    """Create an organization and its owner; prints the organization's slug."""
    from app.services.cli import create_org as create

    slug = _guard(create(name=name, owner_email=owner_email, owner_password=owner_password,
                         owner_name=owner_name, timezone=timezone, country=country))
    click.echo(slug)


@main.command("create-api-key")
@click.option("--org", "org_slug", required=True)
@click.option("--scopes", required=True, help="Comma-separated, e.g. schedule:read,members:read")
@click.option("--name", default="cli")
def create_api_key(org_slug: str, scopes: str, name: str) -> None:
    """Create an API key; prints it once."""
    from app.services.cli import create_api_key as create

    click.echo(_guard(create(org_slug=org_slug, scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                             name=name)))


@main.command("create-platform-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
def create_platform_admin(email: str, password: str) -> None:
    """Create (or promote) a platform administrator."""
    from app.services.cli import create_platform_admin as create

    _guard(create(email=email, password=password))
    click.echo(f"{email} is a platform administrator")


@main.command("audit-verify")
@click.option("--org", "org_slug", default=None)
def audit_verify(org_slug: str | None) -> None:
    """Check the audit log's hash chains; exits 1 if any entry was altered, removed or reordered."""
    from app.services.cli import audit_verify as verify

    reports = verify(org_slug)
    bad = [r for r in reports if not r.ok]
    for report in reports:
        label = "platform" if report.chain == 0 else f"organization {report.chain}"
        state = "ok" if report.ok else "TAMPERED"
        click.echo(f"{label}: {report.entries} entries, {state}")
        for problem in report.problems:
            click.echo(f"  - {problem}")
    sys.exit(1 if bad else 0)


@main.command("solve-nrp")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--seconds", default=60.0, type=float, show_default=True, help="Time limit.")
@click.option("--workers", default=2, type=int, show_default=True, help="CP-SAT workers / threads.")
@click.option("--seed", default=0, type=int, show_default=True)
def solve_nrp(file: str, seconds: float, workers: int, seed: int) -> None:
    """Solve a Curtois & Qu shift scheduling instance; prints one JSON object.

    ``evaluated_objective`` comes from an evaluator independent of the model; it is null, and the exit
    status 1, if that evaluator finds a broken hard rule (the violations go to stderr).
    """
    import json
    from pathlib import Path

    from app.services.rota.nrp import NrpFormatError, evaluate, load_instance
    from app.services.rota.solver import SolveOptions, solve

    try:
        problem = load_instance(file)
    except NrpFormatError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    solution = solve(problem, SolveOptions(seconds=seconds, num_workers=workers, lns_threads=workers, seed=seed))
    evaluated = None
    broken: list[str] = []
    schedule = solution.shift_ids(problem)
    if schedule is not None:
        evaluation = evaluate(problem, schedule)
        broken = evaluation.violations
        evaluated = None if broken else evaluation.objective
    # Every term of this benchmark's objective is a penalty, so 0 bounds it too (CP-SAT's early bounds can be
    # far below zero, through the constant that unmet on-requests add).
    bound = None if solution.bound is None else max(0, solution.bound)
    click.echo(json.dumps({"instance": Path(file).stem, "status": solution.status, "objective": solution.objective,
                           "evaluated_objective": evaluated, "bound": bound,
                           "seconds": solution.seconds}))
    for line in broken:
        click.echo(f"hard rule broken: {line}", err=True)
    if broken or schedule is None:
        sys.exit(1)


def _guard(coro: Any) -> Any:
    from app.services.errors import ServiceError

    try:
        return _run(coro)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


if __name__ == "__main__":
    main()
