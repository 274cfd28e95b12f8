"""GET /api/status: what `briefing status --json` prints, for HTTP clients and dashboards."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from fastapi import APIRouter
from pydantic import BaseModel, Field

from briefing.api.schemas import DeliveryCounts
from briefing.operations import status
from briefing.web.deps import DatabaseDep, SettingsDep
from workers.probes import queue_depth

router = APIRouter(tags=["status"])


class SchedulerOut(BaseModel):
    state: str = Field(description="ok, late (no tick for `late_after_seconds`) or "
                                   "`not started` (no scheduler ever ran here).")
    healthy: bool
    started_at: datetime | None = Field(description="When a scheduler (beat) last started.")
    last_tick: datetime | None = Field(description="When due editions were last looked for.")
    last_sweep: datetime | None
    last_feed_poll: datetime | None
    tick_host: str | None = Field(description="host:pid of the worker that ran the last tick.")
    late_after_seconds: int


class QueueOut(BaseModel):
    broker: str = Field(description="ok, unreachable or embedded (tasks run in-process).")
    depth: int | None = Field(description="Tasks waiting for a worker.")
    problem: str | None


class FeedsOut(BaseModel):
    total: int
    failing: int
    last_polled_at: datetime | None


class EditionInFlight(BaseModel):
    id: int
    list: str
    edition_date: date
    status: str
    counts: DeliveryCounts


class StatusOut(BaseModel):
    scheduler: SchedulerOut
    queue: QueueOut
    feeds: FeedsOut
    editions_in_flight: list[EditionInFlight]


@router.get("/status", response_model=StatusOut)
def service_status(db: DatabaseDep, settings: SettingsDep) -> StatusOut:
    """The scheduler's heartbeats, the queue depth, feeds and the editions being sent."""
    probe = None if settings.embedded else partial(queue_depth, settings.broker_url)
    report = status.service_status(db, settings, probe)
    return StatusOut.model_validate(status.as_json(report))
