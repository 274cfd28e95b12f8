"""Importing the package does nothing: it reads no setting and writes no file. Settings are
read when a program starts, the secret key is written when a command first needs it, and a
worker's task time limits are its own, read as it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from briefing.core.config import load_settings
from workers import tasks
from workers.app import setup

IMPORT_EVERYTHING = "import briefing, briefing.cli, briefing.api, workers, workers.tasks"


def _import_in(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    return subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=folder,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_importing_the_package_and_the_workers_reads_no_setting_and_writes_no_file(
        tmp_path: Path) -> None:
    # `import workers` used to write var/secret_key into whatever directory it ran in, and
    # to fail on a bad value that only a starting program should report.
    result = _import_in(tmp_path, BRIEFING_SUMMARY_SENTENCES="many")
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def queue(redis_url: str) -> Iterator[redis.Redis]:
    url = redis_url.rsplit("/", 1)[0] + "/7"  # a database no worker in the suite reads
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield client
    client.flushdb()


def test_a_summary_task_carries_no_time_limit_of_the_sender(
        tmp_path: Path, queue: redis.Redis) -> None:
    # The limits used to be frozen into the task at import and sent in every message, where
    # they overrode the worker's own BRIEFING_SUMMARY_TIME_LIMIT.
    broker = queue.connection_pool.connection_kwargs
    url = f"redis://{broker['host']}:{broker['port']}/{broker['db']}"
    setup(load_settings({"BRIEFING_DATA_DIR": str(tmp_path), "BRIEFING_BROKER_URL": url,
                         "BRIEFING_SUMMARY_TIME_LIMIT": "5"}))
    tasks.summarize_article.apply_async((1,))
    message = json.loads(queue.lpop("celery") or b"{}")
    assert message["headers"]["task"] == "briefing.summarize_article"
    assert message["headers"]["timelimit"] == [None, None]


def test_a_starting_worker_takes_its_time_limits_from_its_own_settings(
        tmp_path: Path) -> None:
    from workers import runtime

    runtime.use(load_settings({"BRIEFING_DATA_DIR": str(tmp_path),
                               "BRIEFING_SUMMARY_TIME_LIMIT": "7"}))
    try:
        tasks._summary_time_limits()  # what the worker_init signal runs as a worker starts
        for task in (tasks.summarize_article, tasks.summarize_request):
            assert (task.soft_time_limit, task.time_limit) == (7, 37)
    finally:  # this process sends tasks in other tests: no limit of its own
        for task in (tasks.summarize_article, tasks.summarize_request):
            task.soft_time_limit = task.time_limit = None
