"""A real worker over a real broker (Redis, or RabbitMQ): killed mid-run, restarted, nothing
lost or done twice."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from briefing.core.config import load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Article, ArticleStatus
from briefing.server import create_app
from tests.support.worker import BROKERS, WorkerProcess, wait_for

AUTH = {"Authorization": "Bearer test-token"}


def long_article(n: int, sentences: int = 150) -> str:
    return " ".join(
        f"Report {n} notes that district {i} of region {n} saw {i * n % 97} new projects and "
        f"{(i + 3) * n % 53} delays during week {i}." for i in range(sentences))


def statuses(db: Database) -> Counter[str]:
    with db.session() as session:
        rows = session.execute(select(Article.status, func.count()).group_by(Article.status))
        return Counter({str(status): count for status, count in rows})


@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
def test_fifty_articles_survive_a_sigkilled_worker(
        worker: WorkerProcess, worker_env: dict[str, str], tmp_path: Path) -> None:
    # LexRank on long articles is slow enough to kill the worker in the middle of the run.
    worker_env["BRIEFING_SUMMARY_ALGORITHM"] = "lexrank"
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    worker.start()
    with TestClient(create_app(settings)) as client:
        for n in range(50):
            response = client.post("/api/articles", headers=AUTH,
                                   json={"text": long_article(n), "title": f"Report {n}"})
            assert response.status_code == 201, response.text

    wait_for(lambda: statuses(db)["summarized"] >= 5, 120, what="the first summaries")
    worker.kill()
    assert statuses(db)["summarized"] < 50, "the worker finished before it could be killed"

    worker.start()
    wait_for(lambda: statuses(db)["summarized"] == 50, 240, what="all 50 summarized")
    worker.stop()

    assert statuses(db) == Counter({"summarized": 50})
    # Each summary write logs one line after its commit (a line can be lost to the SIGKILL,
    # never doubled): no article may show up twice.
    written = Counter(re.findall(r"article (\d+) summarized", worker.log_text()))
    assert written and max(written.values()) == 1, written.most_common(3)
    with db.session() as session:
        assert session.scalar(select(func.count()).where(
            Article.status != ArticleStatus.SUMMARIZED)) == 0


def test_flushing_redis_midway_loses_nothing(
        worker: WorkerProcess, worker_env: dict[str, str], redis_url: str) -> None:
    import redis

    worker_env["BRIEFING_SUMMARY_ALGORITHM"] = "lexrank"
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    with TestClient(create_app(settings)) as client:
        for n in range(30):
            client.post("/api/articles", headers=AUTH, json={"text": long_article(n, 120)})
    redis.Redis.from_url(redis_url).flushdb()  # every queued message is gone
    worker.start()
    wait_for(lambda: statuses(db)["summarized"] == 30, 240, what="the sweep to recover all 30")
    worker.stop()
    assert statuses(db) == Counter({"summarized": 30})


DOWN = {"redis": "redis://127.0.0.1:{port}/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:{port}//"}


@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
def test_articles_added_while_the_broker_is_down_are_summarized_later(
        worker: WorkerProcess, worker_env: dict[str, str], broker_url: str) -> None:
    from tests.support.services import free_port

    nobody = DOWN["redis" if broker_url.startswith("redis") else "rabbitmq"]
    down = {**worker_env, "BRIEFING_BROKER_URL": nobody.format(port=free_port())}
    db = Database(load_settings(down).database_url)
    upgrade(db)
    with TestClient(create_app(load_settings(down))) as client:
        response = client.post("/api/articles", headers=AUTH, json={"text": long_article(1, 20)})
        assert response.status_code == 201 and response.json()["status"] == "new"
    worker.start()  # on the real broker: the sweep finds the waiting article
    wait_for(lambda: statuses(db)["summarized"] == 1, 120, what="the waiting article")
