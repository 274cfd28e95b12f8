"""The scheduler's heartbeats: when it last started, and when each periodic job last ran.

Each is one row, overwritten by every run, so the table stays a handful of rows. The jobs
record themselves when they finish (not when they are sent), so a heartbeat proves the
whole chain works: beat, broker, a worker and the database.
"""

from __future__ import annotations

import enum
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.models import Heartbeat


class Beat(enum.StrEnum):
    STARTED = "scheduler_started"  # a beat process came up (it may die before its first tick)
    TICK = "tick"                  # due editions created
    SWEEP = "sweep"                # stuck work handed out again
    FEED_POLL = "feed_poll"        # due feeds queued for polling


@dataclass(frozen=True)
class Run:
    at: datetime
    host: str
    detail: dict[str, Any]


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record(db: Database, beat: Beat, detail: dict[str, Any] | None = None,
           now: datetime | None = None) -> None:
    """Overwrite `beat`'s row with this run (one statement: two recorders cannot collide)."""
    values = {"name": str(beat), "at": now or utcnow(), "host": _this_process(),
              "detail": detail or {}}
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Heartbeat).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[Heartbeat.name],
        set_={name: statement.excluded[name] for name in ("at", "host", "detail")})
    with db.session() as session:
        session.execute(statement)


def last_runs(db: Database) -> dict[Beat, Run]:
    with db.session() as session:
        rows = session.scalars(select(Heartbeat)).all()
    known = {beat.value for beat in Beat}  # a newer version's rows are not ours to read
    return {Beat(row.name): Run(row.at, row.host, row.detail or {})
            for row in rows if row.name in known}
