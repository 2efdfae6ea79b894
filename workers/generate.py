"""The schedule generator's job: solve a queued draft with its time limit, streaming progress to the org's channel."""

from __future__ import annotations

import asyncio
import logging

import dramatiq

from workers.broker import broker

__all__ = ("generate_schedule",)

log = logging.getLogger("rounds.workers")
assert broker is not None


@dramatiq.actor(max_retries=0, time_limit=10 * 60 * 1000)
def generate_schedule(draft_id: int) -> None:
    """Generate draft ``draft_id``; its page follows along over SSE (event "generate").

    Not retried: a failed run marks the draft infeasible with a message, and the manager regenerates.
    """
    from app.services.rota.drafts import run_draft_in_worker

    try:
        status = asyncio.run(run_draft_in_worker(draft_id))
        log.info("draft %s: %s", draft_id, status)
    except Exception:
        log.exception("generating draft %s failed", draft_id)
        _mark_failed(draft_id)


def _mark_failed(draft_id: int) -> None:
    from sqlalchemy import update

    from app.db import get_database
    from app.i18n import _
    from app.models import ScheduleDraft

    with get_database().sync_session() as session:
        session.execute(update(ScheduleDraft).where(ScheduleDraft.id == draft_id).values(
            status="infeasible",
            explanation={"problems": [{"kind": "error", "message": _("The generator stopped with an error."),
                                       "hint": _("Try again; if it keeps failing, tell your administrator.")}]}))
        session.commit()
