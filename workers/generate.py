"""The schedule generator's job: solve a queued draft with its time limit, streaming progress to the org's channel."""

from __future__ import annotations

import asyncio
import logging

import dramatiq

from workers.broker import broker

__all__ = ("generate_schedule", "sweep_stale_drafts")

log = logging.getLogger("rounds.workers")
assert broker is not None


@dramatiq.actor(max_retries=0, time_limit=10 * 60 * 1000)
def generate_schedule(draft_id: int) -> None:
    """Generate draft ``draft_id``; its page follows along over SSE (event "generate").

    Not retried: a run that raises marks the draft failed with a message, and the manager generates again.
    A run whose process dies is found by the sweeper (:func:`sweep_stale_drafts`).
    """
    from app.services.rota.draft_runs import fail_draft_in_worker, run_draft_in_worker

    try:
        status = asyncio.run(run_draft_in_worker(draft_id))
        log.info("draft %s: %s", draft_id, status)
    except Exception:
        log.exception("generating draft %s failed", draft_id)
        try:
            asyncio.run(fail_draft_in_worker(draft_id))
        except Exception:  # the sweeper fails it once its heartbeat is old
            log.exception("could not mark draft %s failed", draft_id)


def sweep_stale_drafts() -> list[int]:
    """The sweeper's step: drafts whose run stopped (no heartbeat) or never started become failed."""
    from app.services.rota.draft_runs import sweep_stale_drafts as sweep

    return sweep()
