"""/healthz: does the database answer, can we reach the broker, is the scheduler ticking?

No auth (it is for probes and load balancers), so a failure names the failing part and
nothing more: hosts, ports and driver errors would tell a stranger how the service is
built. The details go to the log."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy import text

from briefing.api import errors
from briefing.api.schemas import Health
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.outages import ServiceUnreachable, database_failed
from briefing.operations.status import SchedulerState, scheduler_status
from briefing.web.deps import DatabaseDep, SettingsDep
from workers.probes import check_broker

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def database_answers(db: Database) -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("healthz: %s", database_failed(db.url, exc))
        return False
    return True


def broker_answers(settings: Settings) -> bool:
    try:
        check_broker(settings.broker_url)
    except ServiceUnreachable as exc:
        log.warning("healthz: %s", exc)
        return False
    return True


def scheduler_state(db: Database, settings: Settings) -> SchedulerState:
    scheduler = scheduler_status(db, settings)
    if not scheduler.healthy:
        log.warning("healthz: scheduler late: last tick %s, started %s, expected a tick "
                    "every %d s", scheduler.last_tick, scheduler.started_at,
                    settings.tick_seconds)
    return scheduler.state


@router.get("/healthz", response_model=Health, responses=errors.responses(503))
def healthz(db: DatabaseDep, settings: SettingsDep) -> Health:
    database = database_answers(db)
    broker = settings.embedded or broker_answers(settings)
    scheduler = scheduler_state(db, settings) if database else None
    failing = [name for name, ok in (("database", database), ("broker", broker),
                                     ("scheduler", scheduler != SchedulerState.LATE)) if not ok]
    if failing:
        raise errors.ApiError(503, "failing: " + ", ".join(failing))
    return Health(status="ok", database="ok", broker="embedded" if settings.embedded else "ok",
                  scheduler=str(scheduler))
