"""The beat scheduler: Celery's file-backed one, made to start whatever the disk is like, and
to say in the database that it started.

Celery's own scheduler dies when its schedule file's folder is missing (`./var/` on a fresh
machine with PostgreSQL and a configured secret key, where nothing else creates it), and the
worker around it carries on as if all were well: no tick, no sweep, no feed poll, ever. This
one creates the folder, and when the file cannot be written at all keeps the schedule in
memory (a restart then only starts each interval afresh). The "started" heartbeat lets
/healthz notice a scheduler that dies before its first tick (see briefing.operations.status).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

from briefing.core.db import Database
from briefing.operations import heartbeats
from workers import runtime

log = logging.getLogger(__name__)


class _MemoryStore(dict[str, Any]):
    """What Celery asks of a shelve, without a file."""

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


class Scheduler(PersistentScheduler):
    def _open_schedule(self) -> Any:
        try:
            Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
            return super()._open_schedule()
        except OSError as exc:
            log.warning("beat: cannot write the schedule file %s (%s); keeping the schedule "
                        "in memory", self.schedule_filename, exc)
            return _MemoryStore()

    def setup_schedule(self) -> None:
        super().setup_schedule()
        _record_start()


def _record_start() -> None:
    # A database of its own: this runs in the beat process, which must not share sockets
    # with the worker process it may have been forked from.
    db = Database(runtime.settings().database_url)
    try:
        heartbeats.record(db, heartbeats.Beat.STARTED)
    except Exception as exc:  # its ticks will fail the same way, and show on /healthz
        log.error("beat: could not record the scheduler's start: %s", exc)
    finally:
        db.dispose()
