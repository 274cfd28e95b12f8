"""/healthz: is the database answering, and can we reach the broker? No auth: for probes."""

from __future__ import annotations

from fastapi import APIRouter
from kombu import Connection
from sqlalchemy import text

from briefing.api import errors
from briefing.api.deps import DatabaseDep, SettingsDep
from briefing.api.schemas import Health
from briefing.config import Settings
from briefing.db import Database

router = APIRouter(tags=["health"])

BROKER_TIMEOUT = 2.0  # seconds; a probe must answer quickly even when the broker is gone


def check_database(db: Database) -> str | None:
    """None when healthy, else the reason."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def check_broker(settings: Settings) -> str | None:
    try:
        with Connection(settings.broker_url, connect_timeout=BROKER_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0.1, interval_step=0.1,
                                          timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@router.get("/healthz", response_model=Health, responses=errors.responses(503))
def healthz(db: DatabaseDep, settings: SettingsDep) -> Health:
    database = check_database(db)
    broker = None if settings.embedded else check_broker(settings)
    failing = {name: reason for name, reason in (("database", database), ("broker", broker))
               if reason}
    if failing:
        raise errors.ApiError(503, "; ".join(f"{k} failing: {v}" for k, v in failing.items()))
    return Health(status="ok", database="ok", broker="embedded" if settings.embedded else "ok")
