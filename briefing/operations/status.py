"""What the service is doing right now, as plain data: the scheduler's heartbeats, the queue,
feeds and the editions on their way. `briefing status`, `GET /api/status` and `/healthz`
read it here; each face only formats it.

The queue depth comes from the broker, which the core does not speak to: callers pass a
function that asks it (workers.probes.queue_depth), or None in embedded mode.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Edition, EditionStatus, Feed
from briefing.core.outages import ServiceUnreachable
from briefing.editions.service import EditionInfo, edition_info
from briefing.operations.heartbeats import Beat, Run, last_runs

# Ticks missed before the scheduler counts as dead: one late tick is a busy worker, three
# in a row is a scheduler (or every worker) that is gone.
MISSED_TICKS = 3


class SchedulerState(enum.StrEnum):
    OK = "ok"
    LATE = "late"                # started or ticked once, silent for MISSED_TICKS ticks since
    NOT_STARTED = "not started"  # no scheduler has ever run against this database


@dataclass(frozen=True)
class SchedulerStatus:
    state: SchedulerState
    started_at: datetime | None    # when a beat last started
    last_tick: datetime | None
    last_sweep: datetime | None
    last_feed_poll: datetime | None
    tick_host: str | None          # host:pid of the worker that ran the last tick
    late_after_seconds: int

    @property
    def healthy(self) -> bool:
        return self.state != SchedulerState.LATE


@dataclass(frozen=True)
class QueueStatus:
    broker: str               # "ok", "unreachable", or "embedded" (no broker: nothing queues)
    depth: int | None         # tasks waiting for a worker; None when there is no answer
    problem: str | None = None


@dataclass(frozen=True)
class FeedsStatus:
    total: int
    failing: int                    # feeds whose last poll ended in an error
    last_polled_at: datetime | None


@dataclass(frozen=True)
class ServiceStatus:
    scheduler: SchedulerStatus
    queue: QueueStatus
    feeds: FeedsStatus
    editions_in_flight: list[EditionInfo]


def scheduler_status(db: Database, settings: Settings,
                     now: datetime | None = None) -> SchedulerStatus:
    runs = last_runs(db)
    at = {beat: run.at for beat, run in runs.items()}
    late_after = MISSED_TICKS * settings.tick_seconds
    return SchedulerStatus(
        state=_state(at.get(Beat.STARTED), at.get(Beat.TICK), late_after, now or utcnow()),
        started_at=at.get(Beat.STARTED), last_tick=at.get(Beat.TICK),
        last_sweep=at.get(Beat.SWEEP), last_feed_poll=at.get(Beat.FEED_POLL),
        tick_host=_host(runs.get(Beat.TICK)), late_after_seconds=late_after)


def _state(started: datetime | None, ticked: datetime | None, late_after: int,
           now: datetime) -> SchedulerState:
    # Counted from a start as well as from a tick, so a scheduler that dies before its first
    # tick (or a restarted one that never ticks again) is noticed too.
    known = [moment for moment in (started, ticked) if moment is not None]
    if not known:
        return SchedulerState.NOT_STARTED
    if now - max(known) > timedelta(seconds=late_after):
        return SchedulerState.LATE
    return SchedulerState.OK


def _host(run: Run | None) -> str | None:
    return run.host if run is not None else None


def queue_status(queue_depth: Callable[[], int] | None) -> QueueStatus:
    if queue_depth is None:
        return QueueStatus("embedded", None)
    try:
        return QueueStatus("ok", queue_depth())
    except ServiceUnreachable as exc:
        return QueueStatus("unreachable", None, str(exc))


def feeds_status(db: Database) -> FeedsStatus:
    with db.session() as session:
        total, failing, last = session.execute(select(
            func.count(Feed.id), func.count(case((Feed.error_count > 0, 1))),
            func.max(Feed.last_polled_at))).one()
    return FeedsStatus(int(total), int(failing), last)


def editions_in_flight(db: Database) -> list[EditionInfo]:
    with db.session() as session:
        ids = list(session.scalars(select(Edition.id).where(Edition.status.in_(
            [EditionStatus.BUILDING, EditionStatus.SENDING])).order_by(Edition.id)))
    return [edition_info(db, edition_id) for edition_id in ids]


def service_status(db: Database, settings: Settings,
                   queue_depth: Callable[[], int] | None) -> ServiceStatus:
    return ServiceStatus(scheduler_status(db, settings), queue_status(queue_depth),
                         feeds_status(db), editions_in_flight(db))


def as_json(status: ServiceStatus) -> dict[str, Any]:
    """JSON-ready: times in ISO 8601, UTC. Field names are an interface (scripts read them)."""
    scheduler = status.scheduler
    return {
        "scheduler": {
            "state": str(scheduler.state), "healthy": scheduler.healthy,
            "started_at": _iso(scheduler.started_at), "last_tick": _iso(scheduler.last_tick),
            "last_sweep": _iso(scheduler.last_sweep),
            "last_feed_poll": _iso(scheduler.last_feed_poll),
            "tick_host": scheduler.tick_host,
            "late_after_seconds": scheduler.late_after_seconds},
        "queue": {"broker": status.queue.broker, "depth": status.queue.depth,
                  "problem": status.queue.problem},
        "feeds": {"total": status.feeds.total, "failing": status.feeds.failing,
                  "last_polled_at": _iso(status.feeds.last_polled_at)},
        "editions_in_flight": [_edition_json(info) for info in status.editions_in_flight],
    }


def _edition_json(info: EditionInfo) -> dict[str, Any]:
    return {"id": info.id, "list": info.list_slug, "edition_date": info.edition_date.isoformat(),
            "status": str(info.status), "counts": info.counts}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
