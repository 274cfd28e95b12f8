"""Sending an edition through a real worker, a real broker (Redis or RabbitMQ) and a counting
SMTP sink, while the worker is SIGKILLed, the broker restarted or Redis flushed midway: every
reader still gets the edition once.

"Once" is what SMTP allows: a message the server accepted just before the worker died is
sent again after recovery with the same Message-ID (receivers drop the repeat). So per
reader there must be exactly one distinct Message-ID, and the raw extra copies can be no
more than the connections that were cut mid-session — at most one in flight on each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.deliver import enqueue_edition, reader_email, seed_articles, seed_list
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Edition, EditionStatus
from briefing.delivery import claims
from tests.support.databases import _empty_tables
from tests.support.sink import Sink
from tests.support.worker import BROKERS, RestartableBroker, WorkerProcess, wait_for

READERS = 2_000
LEFT = 25             # unsubscribed readers: they must get nothing
KILL_AFTER = 300      # messages at the sink before the worker dies or Redis is flushed


@pytest.fixture
def slow_sink() -> Iterator[Sink]:
    # 3 ms per accepted message: sending 2,000 takes seconds, long enough to interrupt.
    with Sink(delay=0.003) as sink:
        yield sink


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {"BRIEFING_DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture
def pipeline(worker_env: dict[str, str], database_env: dict[str, str], slow_sink: Sink
             ) -> Iterator[tuple[Settings, Database]]:
    """A list of 2,000 active readers with today's news summarized, on the worker's env."""
    worker_env.update({**slow_sink.env(), **database_env,
                       "BRIEFING_SWEEP_SECONDS": "1", "BRIEFING_STUCK_AFTER_SECONDS": "3",
                       "BRIEFING_TICK_SECONDS": "1", "BRIEFING_SEND_BATCH": "50"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    _empty_tables(db)  # the PostgreSQL database is shared by the whole session
    seed_list(db, READERS, inactive=LEFT)
    seed_articles(db, settings, count=3)
    yield settings, db
    _empty_tables(db)
    db.dispose()


def edition_sent(db: Database, edition_id: int) -> bool:
    with db.session() as session:
        status = session.scalar(select(Edition.status).where(Edition.id == edition_id))
    return status == EditionStatus.SENT


def assert_each_reader_got_one_edition(sink: Sink, db: Database, edition_id: int,
                                       scratch: Path) -> int:
    """Returns the raw duplicate copies (same Message-ID twice), after checking their bound."""
    counts = claims.edition_counts(db, edition_id)
    assert counts["sent"] == READERS and counts["queued"] == counts["sending"] == 0, counts
    received = sink.counts(scratch)
    active = {reader_email(n) for n in range(READERS)}
    assert set(received) == active, "a reader got nothing, or one who left got the edition"
    assert all(len(ids) == 1 for ids in received.values()), [
        (who, ids) for who, ids in received.items() if len(ids) != 1][:5]
    message_ids = {next(iter(ids)) for ids in received.values()}
    assert len(message_ids) == READERS, "two readers shared a Message-ID"
    duplicates = sum(sum(ids.values()) for ids in received.values()) - READERS
    cut = sink.stats().aborted_connections
    assert duplicates <= cut, f"{duplicates} repeated copies but only {cut} cut connections"
    return duplicates


@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
def test_every_reader_gets_exactly_one_edition_when_the_worker_is_killed_midway(
        worker: WorkerProcess, pipeline: tuple[Settings, Database], slow_sink: Sink,
        tmp_path: Path) -> None:
    settings, db = pipeline
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: slow_sink.stats().messages >= KILL_AFTER, 120, what="sending to start")
    worker.kill()
    at_kill = slow_sink.stats()
    assert at_kill.messages < READERS, "the edition was sent before the worker could be killed"

    worker.start()
    wait_for(lambda: edition_sent(db, edition_id), 180, what="the edition to be sent")
    worker.stop()

    duplicates = assert_each_reader_got_one_edition(slow_sink, db, edition_id, tmp_path)
    assert slow_sink.stats().aborted_connections <= settings.send_concurrency
    print(f"\nkilled after {at_kill.messages} messages; connections cut: "
          f"{slow_sink.stats().aborted_connections}; raw duplicates: {duplicates}")


def test_every_reader_gets_exactly_one_edition_when_redis_is_flushed_midway(
        worker: WorkerProcess, pipeline: tuple[Settings, Database], slow_sink: Sink,
        redis_url: str, tmp_path: Path) -> None:
    import redis

    settings, db = pipeline
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: slow_sink.stats().messages >= KILL_AFTER, 120, what="sending to start")
    redis.Redis.from_url(redis_url).flushdb()  # queued send tasks are gone; the sweep resumes
    flushed_at = slow_sink.stats().messages
    assert flushed_at < READERS, "the edition was sent before Redis could be flushed"

    wait_for(lambda: edition_sent(db, edition_id), 180, what="the edition to be sent")
    worker.stop()

    duplicates = assert_each_reader_got_one_edition(slow_sink, db, edition_id, tmp_path)
    assert duplicates == 0, "no worker died, so no message was in doubt"
    print(f"\nRedis flushed after {flushed_at} messages; raw duplicates: {duplicates}")


@pytest.mark.parametrize("restartable_broker", BROKERS, indirect=True)
def test_every_reader_gets_exactly_one_edition_when_the_broker_restarts_midway(
        worker: WorkerProcess, pipeline: tuple[Settings, Database], slow_sink: Sink,
        restartable_broker: RestartableBroker, worker_env: dict[str, str],
        tmp_path: Path) -> None:
    # The worker and this process talk to a broker of the test's own, which it restarts.
    worker_env["BRIEFING_BROKER_URL"] = restartable_broker.url
    settings, db = load_settings(worker_env), pipeline[1]
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: slow_sink.stats().messages >= KILL_AFTER, 120, what="sending to start")
    restartable_broker.stop()  # the send tasks are running, their messages unacknowledged
    stopped_at = slow_sink.stats().messages
    assert stopped_at < READERS, "the edition was sent before the broker could be stopped"
    wait_for(lambda: "Connection to broker lost" in worker.log_text(), 30,
             what="the worker to notice the outage")
    restartable_broker.start()

    wait_for(lambda: edition_sent(db, edition_id), 180, what="the edition to be sent")
    assert worker.proc is not None and worker.proc.poll() is None, worker.log_text()[-3000:]
    worker.stop()

    duplicates = assert_each_reader_got_one_edition(slow_sink, db, edition_id, tmp_path)
    assert duplicates == 0, "no worker died, so no message was in doubt"
    print(f"\nbroker stopped after {stopped_at} messages; raw duplicates: {duplicates}")
