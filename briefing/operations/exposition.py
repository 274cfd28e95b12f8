"""The text `GET /metrics` answers: every process's counters summed, plus what is read live.

Counts come from the metrics folder every process writes to (briefing.core.metrics). What
is a state rather than a count — the queue's depth, when the scheduler last ticked, how many
feeds are failing — is read when Prometheus asks, from the broker and the database, so it
is never stale and no process has to keep a gauge up to date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.operations.status import feeds_status, queue_status, scheduler_status

__all__ = ["CONTENT_TYPE", "page"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' classic text format


class LiveState(Collector):
    """Gauges read at scrape time."""

    def __init__(self, db: Database, settings: Settings,
                 queue_depth: Callable[[], int] | None) -> None:
        self.db, self.settings, self.queue_depth = db, settings, queue_depth

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._scheduler()
        feeds = feeds_status(self.db)
        yield GaugeMetricFamily("briefing_feeds_failing", "Feeds whose last poll failed.",
                                value=feeds.failing)

    def _queue(self) -> Iterator[Metric]:
        queue = queue_status(self.queue_depth)
        if queue.depth is not None:
            yield GaugeMetricFamily("briefing_queue_depth", "Tasks waiting for a worker.",
                                    value=queue.depth)
        yield GaugeMetricFamily("briefing_broker_up", "1 when the broker answered (or none "
                                "is used), else 0.", value=float(queue.broker != "unreachable"))

    def _scheduler(self) -> Iterator[Metric]:
        scheduler = scheduler_status(self.db, self.settings)
        for name, moment, what in (
                ("tick", scheduler.last_tick, "due editions were last looked for"),
                ("sweep", scheduler.last_sweep, "stuck work was last handed out again"),
                ("feed_poll", scheduler.last_feed_poll, "feeds were last queued for polling"),
                ("start", scheduler.started_at, "a scheduler last started")):
            if moment is not None:
                yield GaugeMetricFamily(f"briefing_scheduler_last_{name}_timestamp_seconds",
                                        f"When {what} (Unix time).", value=_unix(moment))


def _unix(moment: datetime) -> float:
    # The database hands back naive UTC times; as local times they would be off by the zone.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def page(db: Database, settings: Settings, queue_depth: Callable[[], int] | None) -> bytes:
    """The metrics page in Prometheus' text format."""
    registry = CollectorRegistry()
    folder: Path = settings.metrics_folder
    folder.mkdir(parents=True, exist_ok=True)
    MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    registry.register(LiveState(db, settings, queue_depth))
    return generate_latest(registry)
