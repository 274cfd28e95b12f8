"""The broker (Redis, or a private RabbitMQ node) stopped and started again under a running
worker (with its beat): the same worker process carries on by itself, summarizing new
articles and sending the next edition.

What used to kill workers is a restart while the worker holds unacknowledged messages, as
it does whenever a task is running or waiting out a countdown (a send task coming back after
a throttling pause). So the worker is given such messages before the broker goes away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import time, timedelta
from time import monotonic, sleep

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from benchmarks.deliver import reader_email, seed_list
from briefing.core.clock import utcnow
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Article, ArticleStatus, Edition, EditionStatus, MailingList
from briefing.server import create_app
from tests.support.smtp import SMTPServer
from tests.support.worker import BROKERS, RestartableBroker, WorkerProcess, wait_for
from tests.workers.test_worker_recovery import long_article

AUTH = {"Authorization": "Bearer test-token"}
READERS = 20


@pytest.fixture
def pipeline(worker_env: dict[str, str], restartable_broker: RestartableBroker,
             smtp_server: SMTPServer) -> Iterator[tuple[Settings, Database]]:
    worker_env.update({**smtp_server.env(), "BRIEFING_BROKER_URL": restartable_broker.url,
                       "BRIEFING_TICK_SECONDS": "1", "BRIEFING_SWEEP_SECONDS": "1"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    yield settings, db
    db.dispose()


def add_article(settings: Settings, n: int) -> str:
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/articles", headers=AUTH,
                               json={"text": long_article(n, 12), "title": f"Report {n}"})
    assert response.status_code == 201, response.text
    return str(response.json()["status"])


def summarized(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(Article.id).where(
            Article.status == ArticleStatus.SUMMARIZED)).all())


def hold_unacknowledged_messages(settings: Settings, worker: WorkerProcess) -> None:
    """Tasks due later: the worker takes them at once and acknowledges them only once they
    have run, so it holds them unacknowledged while the broker goes away."""
    from workers import tasks
    from workers.app import setup

    setup(settings)
    ids = [tasks.sweep.apply_async(countdown=3600).id for _ in range(3)]
    wait_for(lambda: all(task_id in worker.log_text() for task_id in ids), 60,
             what="the worker to take the delayed tasks")


def stays_alive(worker: WorkerProcess, seconds: float) -> None:
    """Watch the worker for `seconds` (the length of an outage: not a bound on anything)."""
    deadline = monotonic() + seconds
    while True:
        assert worker.proc is not None
        code = worker.proc.poll()
        assert code is None, f"the worker exited ({code}):\n{worker.log_text()[-3000:]}"
        if monotonic() >= deadline:
            return
        sleep(0.2)


def make_list_due_now(db: Database) -> None:
    """The list's send time has passed today, and it existed before then: the scheduler's
    next tick creates today's edition."""
    with db.session() as session:
        session.execute(update(MailingList).values(send_time=time(0, 0), timezone="UTC",
                                                   created_at=utcnow() - timedelta(days=1)))


def edition_status(db: Database) -> str | None:
    with db.session() as session:
        status = session.scalar(select(Edition.status))
    return None if status is None else str(status)


@pytest.mark.parametrize("restartable_broker", BROKERS, indirect=True)
@pytest.mark.parametrize("outage_seconds", [10, 60])
def test_the_same_worker_carries_on_after_the_broker_restarts(
        outage_seconds: int, worker: WorkerProcess, pipeline: tuple[Settings, Database],
        restartable_broker: RestartableBroker, smtp_server: SMTPServer) -> None:
    settings, db = pipeline
    worker.start()
    wait_for(lambda: " ready." in worker.log_text(), 60, what="the worker to start")
    assert worker.proc is not None
    pid = worker.proc.pid
    hold_unacknowledged_messages(settings, worker)

    restartable_broker.stop()
    assert add_article(settings, 1) == "new"  # stored; the broker is down, the sweep queues it
    wait_for(lambda: "Connection to broker lost" in worker.log_text(), 30,
             what="the worker to notice the outage")
    stays_alive(worker, outage_seconds)
    restartable_broker.start()

    add_article(settings, 2)  # queued on the restarted broker
    wait_for(lambda: summarized(db) == 2, 120, what="both articles to be summarized")
    seed_list(db, READERS)
    make_list_due_now(db)
    wait_for(lambda: edition_status(db) == EditionStatus.SENT, 120, what="the edition sent")

    stays_alive(worker, 0)
    assert worker.proc is not None and worker.proc.pid == pid
    assert "Unrecoverable error" not in worker.log_text()
    received = Counter(r for m in smtp_server.messages for r in m.recipients)
    assert received == {reader_email(n): 1 for n in range(READERS)}
