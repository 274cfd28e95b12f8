"""Database plumbing that the delivery hot path relies on."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, update

from briefing.db import Database, DriverStatement, upgrade
from briefing.models import Feed, MailingList


def _try_turn(url: str, results: multiprocessing.Queue[bool]) -> None:
    import fcntl

    db = Database(url)
    path = db._write_turn.path
    assert path is not None
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            results.put(True)
        except BlockingIOError:
            results.put(False)


def test_the_sqlite_write_turn_is_exclusive_across_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'briefing.db'}"
    db = Database(url)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[bool] = context.Queue()
    with db.write_turn():
        child = context.Process(target=_try_turn, args=(url, results))
        child.start()
        got_it_while_held = results.get(timeout=60)
        child.join()
    child = context.Process(target=_try_turn, args=(url, results))
    child.start()
    got_it_after = results.get(timeout=60)
    child.join()
    assert (got_it_while_held, got_it_after) == (False, True)


def test_a_driver_statement_converts_values_like_sqlalchemy_does(any_db: Database) -> None:
    upgrade(any_db)
    polled = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with any_db.session() as session:
        session.execute(insert(Feed).values(url="https://example.org/feed", url_hash="h"))
    record_poll = (update(Feed).where(Feed.url_hash == bindparam("key"))
                   .values(last_polled_at=bindparam("at"), error_count=Feed.error_count + 1))
    statement = DriverStatement(record_poll, any_db.engine.dialect)
    with any_db.engine.connect() as connection:
        driver = connection.connection.driver_connection
        statement.execute_many(driver, [{"key": "h", "at": polled}])
        driver.commit()
    with any_db.session() as session:
        feed = session.scalars(select(Feed)).one()
        assert (feed.last_polled_at, feed.error_count) == (polled, 1)


def test_a_driver_statement_refuses_what_needs_python_side_defaults(any_db: Database) -> None:
    # MailingList.updated_at is set by onupdate=: on the driver's cursor it would be NULL.
    with pytest.raises(ValueError, match="Python-side"):
        DriverStatement(update(MailingList).values(name="Morning"), any_db.engine.dialect)
