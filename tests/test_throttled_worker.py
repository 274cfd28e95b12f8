"""A real worker over real Redis, sending to an SMTP server that says "slow down" for a while:
the send task waits out the account's pause by itself (no sweep to rescue it) and everyone
gets one copy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from benchmarks.deliver import enqueue_edition, reader_email, seed_articles, seed_list
from briefing.config import Settings, load_settings
from briefing.db import Database, upgrade
from briefing.models import Edition, EditionStatus
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401
from tests.support.worker import WorkerProcess, wait_for

READERS = 40


@pytest.fixture
def pipeline(worker_env: dict[str, str], faulty_smtp: FaultySMTPServer,  # noqa: F811
             ) -> Iterator[tuple[Settings, Database]]:
    worker_env.update({**faulty_smtp.env(), "BRIEFING_SMTP_THROTTLE_PAUSE": "1",
                       "BRIEFING_SEND_BATCH": "10",
                       # The sweep would resume a stalled edition within a second; an hour
                       # makes the send task's own come-back the only way on.
                       "BRIEFING_SWEEP_SECONDS": "3600"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    seed_list(db, READERS)
    seed_articles(db, settings, count=2)
    yield settings, db
    db.dispose()


def edition_sent(db: Database, edition_id: int) -> bool:
    with db.session() as session:
        status = session.scalar(select(Edition.status).where(Edition.id == edition_id))
    return status == EditionStatus.SENT


def test_the_worker_waits_out_a_throttle_and_then_delivers_each_copy_once(
        worker: WorkerProcess, pipeline: tuple[Settings, Database],
        faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    settings, db = pipeline
    faulty_smtp.throttle("421 4.7.0 Try again later, closing connection.", times=3)
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: edition_sent(db, edition_id), 120, what="the edition to be sent")
    worker.stop()

    assert faulty_smtp.handler.throttled == 3
    assert faulty_smtp.accepted == {reader_email(n): 1 for n in range(READERS)}
    # Paused 1 + 2 + 4 seconds: a task that came back at once instead of at the pause's end
    # would have run hundreds of times meanwhile (the log has two lines per run).
    runs = sum(log.read_text().count("briefing.send_edition[") for log in worker.logs)
    assert 0 < runs < 60, f"send_edition ran {runs} times"
