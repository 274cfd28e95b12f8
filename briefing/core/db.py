"""Engine, sessions and schema upgrades. SQLite by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ClauseElement, Dialect, Engine, create_engine, event
from sqlalchemy import Connection as SAConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; busy_timeout waits for a writer instead of
    # failing with "database is locked"; SQLite enforces foreign keys only when asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database_file = _sqlite_file(url)
        if database_file is not None:
            database_file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One engine and its session factory; cheap to pass around, created once per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_turn = _WriteTurn(_sqlite_file(url))

    def write_turn(self) -> AbstractContextManager[None]:
        """Wait for this process's turn to write, for short writes made many times a second.

        SQLite lets one writer in at a time and makes the others poll, sleeping a millisecond
        and more between tries; with two senders committing thousands of times a second
        most of that time is spent asleep. Queuing on an OS file lock instead hands the
        turn over as soon as it is free. Other databases lock rows: no turn needed."""
        return self._write_turn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


class DriverStatement:
    """A statement compiled once and run straight on the driver's cursor, for hot paths.

    Per execution, SQLAlchemy's cache lookup and result setup cost several times what the
    database spends on a one-row UPDATE. This keeps what matters from SQLAlchemy (the
    dialect's SQL and parameter style, and each column type's conversion of its values) and
    skips the rest. Use it for writes whose parameters are plain values."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Values computed in Python per execution (default=, onupdate=) would be NULL.
            raise ValueError("a DriverStatement cannot fill in Python-side column defaults; "
                             "set every such column in the statement")
        self._compiled = compiled
        self.sql = str(compiled)
        self._order = self._compiled.positiontup if self._compiled.positional else None
        self._convert = {
            name: process for name, bind in self._compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        row = dict(self._compiled.construct_params(values))
        for name in self._convert.keys() & row.keys():
            row[name] = self._convert[name](row[name])
        return tuple(row[name] for name in self._order) if self._order is not None else row

    def converted(self, name: str, value: Any) -> Any:
        """One parameter's value as the driver takes it (the column type's conversion)."""
        convert = self._convert.get(name)
        return value if convert is None else convert(value)

    def positions(self) -> tuple[str, ...]:
        """The parameters' names in placeholder order (positional parameter styles only)."""
        assert self._order is not None
        return tuple(self._order)

    def execute_many(self, dbapi_connection: Any, rows: list[dict[str, Any]]) -> None:
        """Runs in the connection's current transaction; committing is the caller's call."""
        cursor = dbapi_connection.cursor()
        try:
            if len(rows) == 1:  # psycopg's executemany sets up a pipeline: dearer for one row
                cursor.execute(self.sql, self.parameters(rows[0]))
            else:
                cursor.executemany(self.sql, [self.parameters(row) for row in rows])
        finally:
            cursor.close()


@contextmanager
def driver_errors(connection: SAConnection, statement: str) -> Iterator[None]:
    """Errors raised straight from the driver (a DriverStatement, a raw commit) as SQLAlchemy
    would raise them: `sqlalchemy.exc.OperationalError` for a dropped connection, say, so
    callers treat a terminated backend the same on either path. A connection that was lost
    is invalidated, so the pool hands out a fresh one instead."""
    dialect = connection.dialect
    dbapi = dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        driver = connection.connection.driver_connection
        lost = dialect.is_disconnect(exc, driver, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect) from exc


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory or other databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


class _WriteTurn:
    """An exclusive turn to write: a thread lock, then an flock on a file beside the SQLite
    database (nothing at all for other databases).

    flock alone is not enough: threads share the process's open file, so two of them would
    both "hold" it. And a child forked by a Celery worker must open its own file, or it would
    share the parent's lock instead of queueing for it."""

    def __init__(self, database_file: Path | None) -> None:
        self.path = None if database_file is None else database_file.with_name(
            database_file.name + "-writeturn")
        self.fd: int | None = None
        self.threads = threading.Lock()
        _write_turns.add(self)

    def __enter__(self) -> None:
        if self.path is None:
            return
        self.threads.acquire()
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.threads.release()
            raise

    def __exit__(self, *_: object) -> None:
        if self.path is None:
            return
        try:
            assert self.fd is not None
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()

    def forget_parent(self) -> None:
        """In a forked child: the parent's file and thread lock are not ours to use."""
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None
        self.threads = threading.Lock()


_write_turns: weakref.WeakSet[_WriteTurn] = weakref.WeakSet()


def _forget_parents_write_turns() -> None:
    for turn in list(_write_turns):
        turn.forget_parent()


os.register_at_fork(after_in_child=_forget_parents_write_turns)


def _alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("briefing") / "migrations"))
    config.attributes["engine"] = db.engine
    return config


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(db)).get_current_head()


def upgrade(db: Database) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    command.upgrade(_alembic_config(db), "head")


def ensure_schema(db: Database) -> None:
    """Commands that need tables call this, so an empty database just works."""
    if current_revision(db) != head_revision(db):
        upgrade(db)
