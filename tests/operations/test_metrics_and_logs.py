"""What an operator sees of a running system, through real processes: a Celery worker over
real Redis sends an edition into a counting SMTP sink, `briefing serve` answers /metrics with
the worker's counts, and every process logs JSON lines that name the edition."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from benchmarks.deliver import SLUG, enqueue_edition, seed_articles, seed_list
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Edition, EditionStatus
from tests.support.serve import ServeProcess
from tests.support.sink import Sink
from tests.support.worker import ROOT, WorkerProcess, wait_for

READERS = 120
LEFT = 7  # unsubscribed before the edition: never queued, so never counted
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


@pytest.fixture
def installation(worker_env: dict[str, str], sink: Sink) -> Iterator[tuple[Settings, Database]]:
    worker_env.update({**sink.env(), "BRIEFING_METRICS_TOKEN": TOKEN,
                       "BRIEFING_LOG_FORMAT": "json", "BRIEFING_SEND_BATCH": "25"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    seed_list(db, READERS, inactive=LEFT)
    seed_articles(db, settings, count=3)
    yield settings, db
    db.dispose()


@pytest.fixture
def server(worker_env: dict[str, str], installation: Any, tmp_path: Path
           ) -> Iterator[ServeProcess]:
    process = ServeProcess(worker_env, tmp_path / "serve.log").start()
    yield process
    process.stop()


def edition_sent(db: Database, edition_id: int) -> bool:
    with db.session() as session:
        status = session.scalar(select(Edition.status).where(Edition.id == edition_id))
    return status == EditionStatus.SENT


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line, each of which must be one JSON object."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(entry, dict) for entry in parsed)
    return parsed


def test_metrics_count_one_editions_deliveries_exactly_across_worker_and_api(
        worker: WorkerProcess, installation: tuple[Settings, Database], server: ServeProcess,
        sink: Sink) -> None:
    settings, db = installation
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: edition_sent(db, edition_id), 120, what="the edition to be sent")

    samples = scrape(server.url)
    assert sink.stats().messages == READERS
    assert value(samples, "briefing_deliveries_total", list=SLUG, outcome="sent") == READERS
    for outcome in ("retry", "failed", "skipped"):
        assert value(samples, "briefing_deliveries_total", list=SLUG, outcome=outcome) == 0
    assert value(samples, "briefing_editions_built_total", list=SLUG, status="sending") == 1
    assert value(samples, "briefing_smtp_replies_total", reply_class="2xx",
                 verdict="accepted") == READERS
    assert value(samples, "briefing_queue_depth") == 0
    assert value(samples, "briefing_broker_up") == 1

    again = scrape(server.url)  # the first scrape was counted by the API process
    assert value(again, "briefing_http_requests_total", route="/metrics", method="GET",
                 status="200") >= 1
    assert value(again, "briefing_deliveries_total", list=SLUG, outcome="sent") == READERS


def test_metrics_need_the_metrics_token(server: ServeProcess) -> None:
    assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
    wrong = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"},
                      timeout=10)
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    api_token = httpx.get(f"{server.url}/metrics", timeout=10,
                          headers={"Authorization": "Bearer test-token"})  # BRIEFING_API_TOKEN
    assert api_token.status_code == 401


def test_json_logs_follow_one_edition_across_worker_and_server(
        worker: WorkerProcess, installation: tuple[Settings, Database], server: ServeProcess,
        sink: Sink) -> None:
    settings, db = installation
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: edition_sent(db, edition_id), 120, what="the edition to be sent")
    scrape(server.url)
    worker.stop()
    server.stop()

    entries = json_lines(worker.log_text())
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    about = [entry for entry in entries if entry.get("edition_id") == edition_id]
    messages = " | ".join(entry["message"] for entry in about)
    assert re.search(rf"edition {edition_id}: \d+ \w+, {READERS} readers queued", messages)
    sent = [re.match(rf"edition {edition_id}: (\d+) sent", entry["message"]) for entry in about]
    assert sum(int(found.group(1)) for found in sent if found) == READERS
    assert all(entry.get("task_id") for entry in about), "each task's lines name the task"
    served = json_lines(server.log.read_text())
    assert any("/metrics" in entry["message"] for entry in served), "uvicorn's access lines"


def test_json_logs_of_a_command_carry_the_edition(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update({"BRIEFING_DATA_DIR": str(tmp_path / "var"), "BRIEFING_LOG_FORMAT": "json",
                "BRIEFING_SECRET_KEY": "k" * 40})
    settings = load_settings(env)
    db = Database(settings.database_url)
    upgrade(db)
    seed_list(db, 5)
    seed_articles(db, settings, count=2)
    db.dispose()
    done = subprocess.run([sys.executable, "-m", "briefing", "send", "--list", SLUG], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    entries = json_lines(done.stderr)
    queued = [entry for entry in entries if "readers queued" in entry["message"]]
    assert queued and isinstance(queued[0]["edition_id"], int)
    assert queued[0]["task_id"], "the in-process task is named too"
    assert (tmp_path / "var" / "metrics").is_dir(), "the command recorded its metrics"
