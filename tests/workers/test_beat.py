"""The beat scheduler starts whatever the disk is like, and says in the database it did."""

from __future__ import annotations

from pathlib import Path

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.operations.heartbeats import Beat, last_runs
from workers.app import app, setup
from workers.beat import Scheduler


def test_beat_creates_the_missing_folder_of_its_schedule_file(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    setup(settings)
    schedule = tmp_path / "no" / "such" / "folder" / "celerybeat-schedule"
    scheduler = Scheduler(app, schedule_filename=str(schedule))
    try:
        assert "tick" in scheduler.schedule
    finally:
        scheduler.close()
    assert list(schedule.parent.glob("celerybeat-schedule*"))
    assert Beat.STARTED in last_runs(db)


def test_beat_keeps_its_schedule_in_memory_where_no_file_can_be_written(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    setup(settings)
    (tmp_path / "a-file").write_text("")
    scheduler = Scheduler(app, schedule_filename=str(tmp_path / "a-file" / "schedule"))
    try:
        assert {"tick", "sweep", "poll-feeds"} <= set(scheduler.schedule)
        scheduler.sync()
    finally:
        scheduler.close()
    assert Beat.STARTED in last_runs(db)
