"""Running the worker: embedded in ``rounds serve``, or as its own process (``rounds worker``)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import dramatiq

from app.config import get_settings
from workers import generate, tasks
from workers.broker import broker

__all__ = ("WorkerHandle", "run_worker_forever", "start_embedded_worker")

log = logging.getLogger("rounds.workers")


@dataclass
class WorkerHandle:
    worker: dramatiq.Worker
    stop_event: threading.Event
    sweeper: threading.Thread

    def stop(self) -> None:
        self.stop_event.set()
        self.worker.stop(timeout=5000)
        self.sweeper.join(timeout=5)


def _sweep_loop(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            tasks.sweep()
        except Exception:
            log.exception("outbox sweep failed; trying again in %ss", every)
        try:
            tasks.run_every_minute()  # daily push digests; once a minute, however often the sweep runs
        except Exception:
            log.exception("the minutely jobs failed; trying again next minute")
        try:
            generate.sweep_stale_drafts()  # a generator run whose worker died: failed, so the manager can retry
        except Exception:
            log.exception("sweeping stale drafts failed; trying again in %ss", every)


def _start(threads: int) -> WorkerHandle:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_loop, args=(stop, get_settings().sweep_seconds),
                               name="rounds-sweeper", daemon=True)
    sweeper.start()
    return WorkerHandle(worker, stop, sweeper)


def start_embedded_worker() -> WorkerHandle:
    """Dramatiq's worker on threads of this process, plus the periodic sweeper."""
    return _start(threads=2)


def run_worker_forever(threads: int = 4) -> None:
    """``rounds worker``: consume the broker until SIGINT/SIGTERM."""
    import signal

    handle = _start(threads)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    log.info("rounds worker running with %d threads", threads)
    done.wait()
    handle.stop()
