"""`sent` outcomes commit asynchronously on PostgreSQL (the commit does not wait for the WAL
to reach the disk) and exactly as before on SQLite; seen from inside the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import DeliveryStatus, EditionStatus
from briefing.delivery import claims
from briefing.delivery.outcomes import SentRecorder
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from tests.support.briefing_data import add_news, add_readers, deliveries, make_list

# Each `sent` UPDATE notes the synchronous_commit its own transaction runs with.
_WATCH = """
CREATE TABLE commit_modes (delivery_id integer, mode text);
CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO commit_modes VALUES (NEW.id, current_setting('synchronous_commit'));
    RETURN NEW;
END $$;
CREATE TRIGGER note_commit_mode AFTER UPDATE ON deliveries
    FOR EACH ROW WHEN (NEW.status::text = 'sent') EXECUTE FUNCTION note_commit_mode();
"""
ON_POSTGRESQL = pytest.mark.parametrize("any_db", ["postgresql"], indirect=True)

_UNWATCH = ("DROP TRIGGER IF EXISTS note_commit_mode ON deliveries; "
            "DROP FUNCTION IF EXISTS note_commit_mode(); DROP TABLE IF EXISTS commit_modes")


def claimed_rows(db: Database, settings: Settings, readers: int
                 ) -> tuple[int, str, list[claims.Claimed]]:
    """An edition for `readers` readers, every delivery claimed by one token."""
    make_list(db)
    add_readers(db, "daily", readers)
    add_news(db, settings, 1)
    edition_id, _ = ensure_edition(db, "daily")
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    return (edition_id, *claims.claim_batch(db, edition_id, readers))


def record_all(db: Database, token: str, rows: list[claims.Claimed], *, every: int,
               synchronous: bool) -> None:
    with db.engine.connect() as connection:
        recorder = SentRecorder(db, connection, token, every, synchronous=synchronous)
        for row in rows:
            recorder.sent(row, "250 ok")
            recorder.before_next_body()
        recorder.flush()


@pytest.fixture
def watched(any_db: Database) -> Iterator[Database]:
    if any_db.engine.dialect.name == "postgresql":
        with any_db.engine.begin() as conn:
            conn.exec_driver_sql(_UNWATCH)
            conn.exec_driver_sql(_WATCH)
    yield any_db
    if any_db.engine.dialect.name == "postgresql":
        with any_db.engine.begin() as conn:
            conn.exec_driver_sql(_UNWATCH)


def commit_modes(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(text("SELECT mode FROM commit_modes ORDER BY delivery_id")))


@pytest.mark.parametrize("every", [1, 3])
def test_sent_outcomes_commit_asynchronously_on_postgresql_only(
        watched: Database, settings: Settings, every: int) -> None:
    edition_id, token, rows = claimed_rows(watched, settings, 5)
    record_all(watched, token, rows, every=every, synchronous=False)

    assert {d.status for d in deliveries(watched, edition_id)} == {DeliveryStatus.SENT}
    with watched.engine.connect() as conn:  # the pooled connection is back to the defaults
        if watched.engine.dialect.name == "postgresql":
            assert commit_modes(watched) == ["off"] * len(rows)
            assert conn.scalar(text("SHOW synchronous_commit")) == "on"
            assert conn.get_isolation_level() == "READ COMMITTED"
        else:
            assert conn.scalar(text("PRAGMA synchronous")) == 1  # NORMAL, as db.py sets it


@ON_POSTGRESQL  # SQLite has no asynchronous commit
def test_synchronous_commit_can_be_kept(watched: Database, settings: Settings) -> None:
    _, token, rows = claimed_rows(watched, settings, 3)
    record_all(watched, token, rows, every=1, synchronous=True)
    assert commit_modes(watched) == ["on"] * len(rows)



def sent_count(db: Database, edition_id: int) -> int:
    """What another connection sees: only committed outcomes."""
    return sum(d.status == DeliveryStatus.SENT for d in deliveries(db, edition_id))


def test_each_outcome_is_committed_before_the_next_body_goes_out(
        any_db: Database, settings: Settings) -> None:
    # On PostgreSQL the outcome is sent as soon as the message is accepted and waited for
    # only when the next body is due: by then it must be committed, or a crash could lose it.
    edition_id, token, rows = claimed_rows(any_db, settings, 4)
    with any_db.engine.connect() as connection:
        recorder = SentRecorder(any_db, connection, token, 1, synchronous=False)
        for written, row in enumerate(rows, start=1):
            recorder.sent(row, "250 2.0.0 queued")
            recorder.before_next_body()
            assert sent_count(any_db, edition_id) == written
        recorder.flush()
    assert {d.last_reply for d in deliveries(any_db, edition_id)} == {"250 2.0.0 queued"}


def test_batches_on_one_connection_write_their_outcomes_whatever_it_has_prepared(
        any_db: Database, settings: Settings) -> None:
    # The outcome statement is prepared on the connection, which the pool keeps between
    # batches; psycopg deallocates every prepared statement after a rollback or a DROP.
    edition_id, token, rows = claimed_rows(any_db, settings, 6)
    with any_db.engine.connect() as connection:
        for batch in (rows[:2], rows[2:4], rows[4:]):
            recorder = SentRecorder(any_db, connection, token, 1, synchronous=False)
            for row in batch:
                recorder.sent(row, "250 ok")
                recorder.before_next_body()
            recorder.flush()
            if any_db.engine.dialect.name == "postgresql" and batch is rows[2:4]:
                connection.exec_driver_sql("DEALLOCATE ALL")
    assert sent_count(any_db, edition_id) == 6


def test_a_nul_in_the_servers_reply_does_not_lose_the_outcome(
        any_db: Database, settings: Settings) -> None:
    # PostgreSQL's text cannot hold a NUL: a hostile server's reply would fail the write.
    edition_id, token, rows = claimed_rows(any_db, settings, 2)
    with any_db.engine.connect() as connection:
        recorder = SentRecorder(any_db, connection, token, 1, synchronous=False)
        for row in rows:
            recorder.sent(row, "250 ok\x00 queued")
            recorder.before_next_body()
        recorder.flush()
    assert [d.last_reply for d in deliveries(any_db, edition_id)] == ["250 ok queued"] * 2


@ON_POSTGRESQL  # SQLite has no server to lose
def test_an_outcome_lost_with_its_backend_is_kept_for_another_connection(
        watched: Database, settings: Settings) -> None:
    edition_id, token, rows = claimed_rows(watched, settings, 2)
    with watched.engine.connect() as connection:
        recorder = SentRecorder(watched, connection, token, 1, synchronous=False)
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with watched.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        with pytest.raises(OperationalError) as lost:  # as psycopg's own statements raise
            recorder.sent(rows[0], "250 ok")  # sent to a backend that is gone, or not at all
            recorder.before_next_body()
    assert lost.value.connection_invalidated  # the pool hands out a fresh one next
    with watched.session() as session:
        assert recorder.write_pending_in(session) == 1
    assert sent_count(watched, edition_id) == 1
