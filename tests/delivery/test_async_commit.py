"""`sent` outcomes commit asynchronously on PostgreSQL (the commit does not wait for the WAL
to reach the disk) and exactly as before on SQLite; seen from inside the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

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


def test_synchronous_commit_can_be_kept(watched: Database, settings: Settings) -> None:
    if watched.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no asynchronous commit")
    _, token, rows = claimed_rows(watched, settings, 3)
    record_all(watched, token, rows, every=1, synchronous=True)
    assert commit_modes(watched) == ["on"] * len(rows)

