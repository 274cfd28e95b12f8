"""A dead scheduler is visible: heartbeats in the database, /healthz naming `scheduler`,
and `briefing status` showing the last tick, sweep and feed poll, the queue and editions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database, upgrade
from briefing.editions.service import ensure_edition
from briefing.operations.heartbeats import Beat, last_runs, record
from briefing.operations.status import SchedulerState, scheduler_status
from briefing.server import create_app
from tests.support.briefing_data import make_list
from tests.support.cli import run
from tests.support.databases import make_settings
from workers import tasks

AUTH = {"Authorization": "Bearer test-token"}
TICK = 60  # BRIEFING_TICK_SECONDS by default: late after 180 s without a tick


def ago(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def database_of(client: TestClient) -> Database:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    return db


# ---------------------------------------------------------------- heartbeats and their reading


def test_each_heartbeat_is_one_row_overwritten_by_the_next_run(any_db: Database) -> None:
    record(any_db, Beat.TICK, {"editions_created": 1}, now=ago(120))
    record(any_db, Beat.TICK, {"editions_created": 0}, now=ago(5))
    record(any_db, Beat.SWEEP)
    runs = last_runs(any_db)
    assert set(runs) == {Beat.TICK, Beat.SWEEP}
    assert runs[Beat.TICK].detail == {"editions_created": 0}
    assert timedelta(seconds=4) < utcnow() - runs[Beat.TICK].at < timedelta(seconds=60)


@pytest.mark.parametrize(("started", "ticked", "state"), [  # seconds ago
    (None, None, SchedulerState.NOT_STARTED),  # no scheduler ever ran here: nothing to miss
    (30, None, SchedulerState.OK),             # started, first tick not due long enough
    (181, None, SchedulerState.LATE),          # started, then died before its first tick
    (3600, 10, SchedulerState.OK),             # ticking
    (3600, 181, SchedulerState.LATE),          # stopped ticking
    (30, 3600, SchedulerState.OK),             # restarted a moment ago
    (None, 181, SchedulerState.LATE),          # ticked once, start never recorded
])
def test_the_scheduler_is_late_after_three_ticks_without_one(
        db: Database, settings: Settings, started: int | None, ticked: int | None,
        state: SchedulerState) -> None:
    if started is not None:
        record(db, Beat.STARTED, now=ago(started))
    if ticked is not None:
        record(db, Beat.TICK, now=ago(ticked))
    assert scheduler_status(db, settings).state == state


def test_the_periodic_tasks_record_their_heartbeats(db: Database, embedded: Settings) -> None:
    tasks.tick.apply()
    tasks.sweep.apply()
    tasks.poll_feeds.apply()
    runs = last_runs(db)
    assert {Beat.TICK, Beat.SWEEP, Beat.FEED_POLL} <= set(runs)
    assert all(utcnow() - run.at < timedelta(minutes=5) for run in runs.values())
    assert runs[Beat.SWEEP].detail["articles"] == 0


# ---------------------------------------------------------------- /healthz


def test_healthz_is_green_while_no_scheduler_ever_started(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["scheduler"] == "not started"


def test_healthz_is_503_naming_the_scheduler_once_ticks_stop(client: TestClient) -> None:
    record(database_of(client), Beat.TICK, now=ago(3 * TICK - 20))
    assert client.get("/healthz").json()["scheduler"] == "ok"
    record(database_of(client), Beat.TICK, now=ago(3 * TICK + 1))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "failing: scheduler"


def test_healthz_notices_a_scheduler_that_died_before_its_first_tick(
        client: TestClient) -> None:
    record(database_of(client), Beat.STARTED, now=ago(3 * TICK + 1))
    assert client.get("/healthz").status_code == 503
    record(database_of(client), Beat.TICK)  # it came back
    assert client.get("/healthz").status_code == 200


def test_late_means_three_of_the_configured_ticks(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_TICK_SECONDS="5")
    with TestClient(create_app(settings)) as client:
        record(database_of(client), Beat.TICK, now=ago(16))
        assert "scheduler" in client.get("/healthz").json()["error"]["message"]


# ---------------------------------------------------------------- briefing status, /api/status


@pytest.fixture
def cli_db(cli: CliRunner, tmp_path: Path) -> Iterator[Database]:
    """The database `briefing` commands use in the `cli` fixture's environment."""
    db = Database(f"sqlite:///{tmp_path / 'var' / 'briefing.db'}")
    upgrade(db)
    yield db
    db.dispose()


def test_status_json_gives_the_last_tick_in_iso_8601_utc(
        cli: CliRunner, cli_db: Database) -> None:
    ticked = datetime(2026, 3, 1, 6, 59, 30, tzinfo=UTC)
    record(cli_db, Beat.STARTED, now=ticked - timedelta(hours=1))
    record(cli_db, Beat.TICK, now=ticked)
    record(cli_db, Beat.SWEEP, now=ticked - timedelta(minutes=2))
    report = json.loads(run(cli, "status", "--json"))
    scheduler = report["scheduler"]
    assert scheduler["last_tick"] == "2026-03-01T06:59:30+00:00"
    assert datetime.fromisoformat(scheduler["last_tick"]) == ticked
    assert scheduler["last_sweep"] == "2026-03-01T06:57:30+00:00"
    assert scheduler["last_feed_poll"] is None
    assert scheduler["state"] == "late" and scheduler["healthy"] is False
    assert report["queue"] == {"broker": "embedded", "depth": None, "problem": None}


def test_status_shows_the_scheduler_queue_depth_and_editions_in_flight(
        cli: CliRunner, cli_db: Database, redis_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    broker = redis_url.rsplit("/", 1)[0] + "/8"  # a database no worker in the suite reads
    redis.Redis.from_url(broker).flushdb()
    monkeypatch.setenv("BRIEFING_BROKER_URL", broker)
    make_list(cli_db)
    edition_id, _ = ensure_edition(cli_db, "daily")
    record(cli_db, Beat.TICK, now=ago(5))
    from workers import dispatch
    from workers.app import setup

    setup(make_settings(tmp_path / "var", BRIEFING_BROKER_URL=broker))
    assert dispatch.summarize_articles([1, 2])  # two tasks no worker takes

    report = json.loads(run(cli, "status", "--json"))
    assert report["queue"] == {"broker": "ok", "depth": 2, "problem": None}
    assert [(e["id"], e["list"], e["status"]) for e in report["editions_in_flight"]] == [
        (edition_id, "daily", "building")]
    assert report["scheduler"]["state"] == "ok"
    shown = run(cli, "status")
    assert "2 tasks waiting" in shown and "daily" in shown and "last tick" in shown
    redis.Redis.from_url(broker).flushdb()


def test_status_says_when_the_broker_does_not_answer(
        cli: CliRunner, cli_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.services import free_port

    port = free_port()
    monkeypatch.setenv("BRIEFING_BROKER_URL", f"redis://:hunter22@127.0.0.1:{port}/0")
    report = json.loads(run(cli, "status", "--json"))
    assert report["queue"]["broker"] == "unreachable" and report["queue"]["depth"] is None
    assert f"127.0.0.1:{port}" in report["queue"]["problem"]
    assert "hunter22" not in report["queue"]["problem"]


def test_api_status_needs_the_token_and_answers_like_the_cli(client: TestClient) -> None:
    assert client.get("/api/status").status_code == 401
    record(database_of(client), Beat.TICK, now=datetime(2026, 3, 1, 7, 0, tzinfo=UTC))
    body = client.get("/api/status", headers=AUTH).json()
    assert datetime.fromisoformat(body["scheduler"]["last_tick"]) == datetime(
        2026, 3, 1, 7, 0, tzinfo=UTC)
    assert body["scheduler"]["state"] == "late"
    assert body["queue"]["broker"] == "embedded"
    assert body["feeds"] == {"total": 0, "failing": 0, "last_polled_at": None}
