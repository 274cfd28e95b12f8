"""A real `briefing worker`, started in an empty directory on a fresh machine (PostgreSQL,
a configured secret key, so nothing creates ./var/), schedules its ticks and records their
heartbeats; when it dies, /healthz turns 503 naming the scheduler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from briefing.cli import app as cli_app
from briefing.core.config import load_settings
from briefing.core.db import Database
from briefing.operations.heartbeats import Beat, Run, last_runs
from briefing.server import create_app
from tests.support.databases import scratch_postgres
from tests.support.worker import WorkerProcess, wait_for

STARTUP = 120  # seconds a worker may take to come up on a busy shared machine


class CommandWorker(WorkerProcess):
    """`briefing worker` exactly as an operator types it, in the directory given."""

    def start_in(self, folder: Path) -> None:
        log = self.log_dir / f"briefing-worker-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "briefing", "worker", "--concurrency=1"], cwd=folder,
                env=self.env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT)


@pytest.fixture
def fresh_env(tmp_path: Path, redis_url: str) -> Iterator[dict[str, str]]:
    broker = redis_url.rsplit("/", 1)[0] + "/9"  # a Redis database of its own
    redis.Redis.from_url(broker).flushdb()
    with scratch_postgres("briefing_beat") as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
        env.update({"BRIEFING_DATABASE_URL": database_url, "BRIEFING_BROKER_URL": broker,
                    "BRIEFING_SECRET_KEY": "k" * 40, "BRIEFING_TICK_SECONDS": "1",
                    "BRIEFING_SWEEP_SECONDS": "2", "BRIEFING_API_TOKEN": "test-token"})
        yield env
    redis.Redis.from_url(broker).flushdb()


def test_a_worker_started_in_an_empty_directory_ticks_and_its_death_is_noticed(
        tmp_path: Path, fresh_env: dict[str, str]) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    db = Database(fresh_env["BRIEFING_DATABASE_URL"])
    worker = CommandWorker(fresh_env, tmp_path)
    worker.start_in(folder)
    try:
        first = _wait_for_tick(db, worker, after=None)
        _wait_for_tick(db, worker, after=first)  # and it goes on ticking
        runs = last_runs(db)
        assert Beat.STARTED in runs and Beat.SWEEP in runs
        assert "ERROR/Beat" not in worker.log_text()
        assert list((folder / "var").glob("celerybeat-schedule*"))  # beat made its folder

        settings = load_settings({**fresh_env, "BRIEFING_DATA_DIR": str(tmp_path / "api")})
        with TestClient(create_app(settings)) as client:
            health = client.get("/healthz")
            assert health.status_code == 200, health.text
            assert health.json()["scheduler"] == "ok"
            assert _status_json(fresh_env, tmp_path)["scheduler"]["state"] == "ok"

            worker.kill()  # the scheduler dies, with no word to anyone
            wait_for(lambda: client.get("/healthz").status_code == 503, timeout=60,
                     what="/healthz to notice the dead scheduler")
            assert client.get("/healthz").json()["error"]["message"] == "failing: scheduler"
    finally:
        worker.kill()
        db.dispose()


def _wait_for_tick(db: Database, worker: WorkerProcess, after: Run | None) -> Run:
    def ticked() -> bool:
        assert worker.proc is not None and worker.proc.poll() is None, worker.log_text()
        try:
            run = last_runs(db).get(Beat.TICK)
        except ProgrammingError:  # the worker has not created the tables yet
            return False
        return run is not None and (after is None or run.at > after.at)

    wait_for(ticked, timeout=STARTUP, what=f"a tick heartbeat; log:\n{worker.log_text()}")
    return last_runs(db)[Beat.TICK]


def _status_json(env: dict[str, str], tmp_path: Path) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(cli_app, ["status", "--json"],
                                env={**env, "BRIEFING_DATA_DIR": str(tmp_path / "cli")})
    assert result.exit_code == 0, result.output
    report: dict[str, dict[str, object]] = json.loads(result.output)
    assert report["scheduler"]["last_tick"]
    return report
