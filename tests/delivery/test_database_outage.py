"""PostgreSQL backends terminated in the middle of an edition, under a real worker sending
to a counting SMTP sink: each sender hands its claim back at once and sends on over a
fresh connection. Every reader gets one copy, none twice, and the edition is finished long
before the sweep's stuck window would have freed the claimed rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.deliver import enqueue_edition, seed_articles, seed_list
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from tests.delivery.test_delivery_crash import (
    READERS,
    assert_each_reader_got_one_edition,
    edition_sent,
    slow_sink,  # noqa: F401
)
from tests.support.databases import scratch_postgres
from tests.support.services import PG_ADMIN_URL
from tests.support.sink import Sink
from tests.support.worker import WorkerProcess, wait_for

STUCK_AFTER = 300  # the sweep frees a dead claim's rows after this long
TERMINATE_AT = (300, 1_000)  # messages at the sink when every backend is terminated


@pytest.fixture
def database_url() -> Iterator[str]:
    with scratch_postgres("briefing_outage") as url:  # its own: its backends are killed
        yield url


@pytest.fixture
def pipeline(worker_env: dict[str, str], database_url: str, slow_sink: Sink,  # noqa: F811
             ) -> Iterator[tuple[Settings, Database]]:
    worker_env.update({**slow_sink.env(), "BRIEFING_DATABASE_URL": database_url,
                       "BRIEFING_STUCK_AFTER_SECONDS": str(STUCK_AFTER),
                       "BRIEFING_SEND_BATCH": "200"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    seed_list(db, READERS)
    seed_articles(db, settings, count=3)
    yield settings, db
    db.dispose()


def terminate_backends(database_url: str) -> int:
    """pg_terminate_backend on every connection to this test's database (and no other)."""
    name = make_url(database_url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).all())
    finally:
        admin.dispose()


def test_terminated_backends_mid_edition_resend_nothing_and_stall_nothing(
        worker: WorkerProcess, pipeline: tuple[Settings, Database], slow_sink: Sink,  # noqa: F811
        database_url: str, tmp_path: Path) -> None:
    settings, db = pipeline
    worker.start()
    edition_id = enqueue_edition(db, settings)
    for messages in TERMINATE_AT:
        wait_for(lambda m=messages: slow_sink.stats().messages >= m, 120,
                 what=f"{messages} messages sent")
        assert terminate_backends(database_url) > 0
    assert slow_sink.stats().messages < READERS, "the edition was sent before the outage"

    # Well inside the stuck window: rows left `sending` would wait STUCK_AFTER seconds.
    wait_for(lambda: edition_sent(db, edition_id), STUCK_AFTER / 3, what="the edition sent")
    worker.stop()

    duplicates = assert_each_reader_got_one_edition(slow_sink, db, edition_id, tmp_path)
    assert duplicates == 0, "a message the server had accepted was sent again"
    assert "the database failed while sending" in worker.log_text(), "no sender was hit"
