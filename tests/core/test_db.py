"""Database plumbing that the delivery hot path relies on."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, update

from briefing.core.db import Database, DriverStatement, upgrade
from briefing.core.models import Feed, MailingList


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


def test_threads_take_the_sqlite_write_turn_one_at_a_time(tmp_path: Path) -> None:
    # Four threads arriving together at a fresh Database once raced to open the lock file
    # and left it locked for good: every later writer waited forever.
    db = Database(f"sqlite:///{tmp_path / 'briefing.db'}")
    start = threading.Barrier(4)
    inside: list[int] = []
    most_inside_at_once = 0

    def write_many_times() -> None:
        nonlocal most_inside_at_once
        start.wait()
        for _ in range(200):
            with db.write_turn():
                inside.append(1)
                most_inside_at_once = max(most_inside_at_once, len(inside))
                time.sleep(0)
                inside.pop()

    threads = [threading.Thread(target=write_many_times, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a writer never got its turn"
    assert most_inside_at_once == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_queues_behind_its_parent_for_the_write_turn(tmp_path: Path) -> None:
    # Celery's prefork pool forks workers from a parent that may already have used the
    # Database: the child must not share the parent's lock file and so its lock.
    db = Database(f"sqlite:///{tmp_path / 'briefing.db'}")
    with db.write_turn():
        pass
    read_end, write_end = os.pipe()
    with db.write_turn():
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.close(read_end)
            got_turn = threading.Event()
            threading.Thread(target=lambda: (db.write_turn().__enter__(), got_turn.set()),
                             daemon=True).start()
            os.write(write_end, b"1" if got_turn.wait(1.0) else b"0")
            os._exit(0)
        os.close(write_end)
        child_got_it_while_parent_held = os.read(read_end, 1)
        os.close(read_end)
        os.waitpid(child, 0)
    assert child_got_it_while_parent_held == b"0"


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
