"""A real worker over real Redis, sending to an SMTP server that says "slow down" for a while:
the send task waits out the account's pause by itself (no sweep to rescue it) and everyone
gets one copy. A server that throttles now and then costs short pauses that do not grow
while mail goes through, and a refusal about one reader's lookup never pauses the account."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from benchmarks.deliver import enqueue_edition, reader_email, seed_articles, seed_list
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Delivery, Edition, EditionStatus, SendPacing
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401
from tests.support.worker import WorkerProcess, wait_for

READERS = 40


def make_pipeline(worker_env: dict[str, str], faulty_smtp: FaultySMTPServer,  # noqa: F811
                  readers: int, **env: str) -> tuple[Settings, Database]:
    worker_env.update({**faulty_smtp.env(), "BRIEFING_SMTP_THROTTLE_PAUSE": "1",
                       "BRIEFING_SEND_BATCH": "10",
                       # The sweep would resume a stalled edition within a second; an hour
                       # makes the send task's own come-back the only way on.
                       "BRIEFING_SWEEP_SECONDS": "3600", **env})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    seed_list(db, readers)
    seed_articles(db, settings, count=2)
    return settings, db


@pytest.fixture
def pipeline(worker_env: dict[str, str], faulty_smtp: FaultySMTPServer,  # noqa: F811
             ) -> Iterator[tuple[Settings, Database]]:
    settings, db = make_pipeline(worker_env, faulty_smtp, READERS)
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


def pauses_taken(worker: WorkerProcess) -> dict[str, float]:
    """{when each pause ended: its length in seconds}, from the senders' log lines."""
    return {until: float(seconds) for until, seconds in re.findall(
        r"throttled: every sender of the SMTP account is paused until (\S+) \((\S+) s\)",
        worker.log_text())}


def test_an_occasional_421_costs_short_pauses_that_stop_growing_once_mail_goes_through(
        worker: WorkerProcess, worker_env: dict[str, str],
        faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    readers = 1_000
    settings, db = make_pipeline(worker_env, faulty_smtp, readers, BRIEFING_SEND_BATCH="50")
    faulty_smtp.refuse_every(200, "421 4.7.0 Try again later, closing connection.")
    worker.start()
    edition_id = enqueue_edition(db, settings)
    wait_for(lambda: edition_sent(db, edition_id), 120, what="the edition to be sent")
    worker.stop()

    assert faulty_smtp.accepted == {reader_email(n): 1 for n in range(readers)}
    assert faulty_smtp.handler.throttled >= 4
    # Hundreds of messages went through between two refusals: none of the pauses is "in a
    # row" with the one before, so each is the base pause, not 1, 2, 4, 8, 16 s.
    lengths = pauses_taken(worker)
    assert len(lengths) >= 2 and set(lengths.values()) == {1.0}, lengths
    db.dispose()


def test_a_lookup_failure_for_one_reader_is_retried_for_that_reader_and_never_pauses(
        worker: WorkerProcess, worker_env: dict[str, str],
        faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    readers = 500
    # A pause would be a long one: had one been taken, the edition could not finish in time.
    settings, db = make_pipeline(worker_env, faulty_smtp, readers,
                                 BRIEFING_SMTP_THROTTLE_PAUSE="60")
    faulty_smtp.refuse_at_random(0.2, "451 4.3.0 <{rcpt}>: Temporary lookup failure")
    worker.start()
    edition_id = enqueue_edition(db, settings)
    # The refused readers wait out their own backoff (30 s after a first 4xx).
    wait_for(lambda: edition_sent(db, edition_id), 120, what="the edition to be sent")
    worker.stop()

    refused = faulty_smtp.handler.refused_once
    assert len(refused) >= readers // 10
    assert faulty_smtp.accepted == {reader_email(n): 1 for n in range(readers)}
    assert pauses_taken(worker) == {}
    with db.session() as session:
        assert not session.scalar(select(func.max(SendPacing.paused_until)))
        retried = dict(session.execute(select(Delivery.email, Delivery.attempts).where(
            Delivery.edition_id == edition_id, Delivery.email.in_(refused))).all())
    assert set(retried.values()) == {2}, "each refused reader is sent on its second try"
    db.dispose()
