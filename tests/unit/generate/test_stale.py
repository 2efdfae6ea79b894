"""When a generator run is taken for dead: the heartbeat stopped, far past its time limit, or never started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models import ScheduleDraft
from app.services.rota.draft_runs import HEARTBEAT_GRACE, stale_reason

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _running(*, started: timedelta, beat: timedelta | None, seconds: float = 10) -> ScheduleDraft:
    info = {"params": {"seconds": seconds}, "started": (NOW - started).isoformat(), "run": "r"}
    if beat is not None:
        info["heartbeat"] = (NOW - beat).isoformat()
    return ScheduleDraft(status="running", explanation=info, created_at=NOW - started)


def test_a_run_with_a_recent_heartbeat_is_alive() -> None:
    assert stale_reason(_running(started=timedelta(seconds=8), beat=timedelta(seconds=1)), NOW) is None
    # a long search (120 s) that keeps beating is alive too
    assert stale_reason(_running(started=timedelta(seconds=150), beat=timedelta(seconds=2), seconds=120), NOW) is None


def test_a_run_whose_heartbeat_stopped_is_dead_after_the_grace() -> None:
    assert stale_reason(_running(started=timedelta(seconds=40), beat=HEARTBEAT_GRACE), NOW) is None
    late = HEARTBEAT_GRACE + timedelta(seconds=1)
    assert stale_reason(_running(started=timedelta(seconds=40), beat=late), NOW) == "stopped"
    # a run that died before its first beat counts from its start
    assert stale_reason(_running(started=late, beat=None), NOW) == "stopped"


def test_a_run_that_beats_but_never_ends_is_overdue() -> None:
    # 10 s of search, a minute to explain and write, and the grace: 100 s
    assert stale_reason(_running(started=timedelta(seconds=99), beat=timedelta(seconds=1)), NOW) is None
    assert stale_reason(_running(started=timedelta(seconds=101), beat=timedelta(seconds=1)), NOW) == "overdue"


def test_a_draft_that_never_started_is_lost_after_ten_minutes() -> None:
    waiting = ScheduleDraft(status="queued", explanation={"params": {}}, created_at=NOW - timedelta(minutes=9))
    assert stale_reason(waiting, NOW) is None
    waiting.created_at = NOW - timedelta(minutes=11)
    assert stale_reason(waiting, NOW) == "lost"


def test_finished_drafts_are_never_stale() -> None:
    for status in ("done", "infeasible", "failed", "published"):
        draft = ScheduleDraft(status=status, explanation={}, created_at=NOW - timedelta(days=3))
        assert stale_reason(draft, NOW) is None
