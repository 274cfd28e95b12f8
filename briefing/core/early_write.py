"""A one-row PostgreSQL write sent at once and waited for later, for hot paths.

A sender writes each accepted message's outcome, and must know it is written before the next
message's body goes out. Sent and waited for in one go, that round trip (and the wait for the
server's backend to be scheduled on a busy machine) was 43% of a sender's time (sampled). Sent as
soon as the outcome is known and collected only when it must be, the database does the write
while the sender builds the next reader's copy and the SMTP server answers its envelope.

This talks to libpq under psycopg (`psycopg.pq`) for the one thing psycopg's own API does not
offer outside pipeline mode: sending a query without waiting for its result. The statement is
prepared once per use of a connection; it runs in autocommit, so each write commits itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection as SAConnection
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.sql import ClauseElement

from briefing.core.db import DriverStatement

_ALREADY_PREPARED = b"42P05"  # duplicate_prepared_statement: this connection has it
# Compiled with $1…$n placeholders, which libpq takes, instead of psycopg's %(name)s.
_NUMBERED = postgresql_psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


class EarlyWrite:
    """One statement on one PostgreSQL connection in autocommit: `send` it, `settle` later.

    At most one write is in flight: `send` settles the one before. Whoever owns the
    connection must `settle` before anything else uses it (psycopg knows nothing of this)."""

    def __init__(self, connection: SAConnection, statement: ClauseElement, name: str) -> None:
        self.connection = connection
        self.statement = DriverStatement(statement, _NUMBERED)
        self.name = name.encode()
        self.in_flight = False
        self.prepared = False
        self._fixed: list[bytes | None] | None = None
        self._slots: list[tuple[int, str]] = []

    def send(self, values: dict[str, Any]) -> None:
        """Send the statement with these values and return without waiting for it."""
        self.settle()
        driver = self._driver()
        self._prepare(driver)
        driver.pgconn.send_query_prepared(self.name, self._text(values))
        self.in_flight = True

    def settle(self) -> None:
        """Wait for the write in flight, if any; raises the driver's error if it failed."""
        if not self.in_flight:
            return
        self.in_flight = False  # whatever happens now, nothing is left in flight
        driver = self._driver()
        failed = None
        while (result := driver.pgconn.get_result()) is not None:
            if result.status != self._pq.ExecStatus.COMMAND_OK and failed is None:
                failed = result  # the rest is read all the same: the connection is free then
        if failed is not None or driver.pgconn.status != self._pq.ConnStatus.OK:
            raise self._error(driver, failed)

    def _driver(self) -> Any:
        driver = self.connection.connection.driver_connection
        assert driver is not None
        return driver

    def _text(self, values: dict[str, Any]) -> list[bytes | None]:
        """The parameters in text form. Those the statement fixes are made once; only `values`
        change per message (making them all each time took 8% of a sender's time)."""
        if self._fixed is None:
            self._fixed = [_as_text(value) for value in self.statement.parameters(values)]
            self._slots = [(position, name) for position, name
                           in enumerate(self.statement.positions()) if name in values]
        texts = list(self._fixed)
        for position, name in self._slots:
            texts[position] = _as_text(self.statement.converted(name, values[name]))
        return texts

    def _prepare(self, driver: Any) -> None:
        """Prepare the statement once per use of the connection. Asking the server costs a
        round trip, but trusting a note of our own would not do: psycopg deallocates every
        prepared statement after a rollback on a connection it prepared its own on."""
        if self.prepared:
            return
        result = driver.pgconn.prepare(self.name, self.statement.sql.encode())
        if (result.status != self._pq.ExecStatus.COMMAND_OK
                and result.error_field(self._pq.DiagnosticField.SQLSTATE) != _ALREADY_PREPARED):
            raise self._error(driver, result)
        self.prepared = True

    def _error(self, driver: Any, result: Any) -> Exception:
        """The driver's exception for a failed result. A lost connection is psycopg's
        OperationalError, as for any other statement, whatever the result said."""
        dbapi = self.connection.dialect.loaded_dbapi
        if driver.pgconn.status != self._pq.ConnStatus.OK or result is None:
            message = result.error_message.decode(errors="replace") if result else ""
            return dbapi.OperationalError(message.strip() or "the connection was lost")
        error: Exception = dbapi.errors.error_from_result(result,
                                                          encoding=str(driver.info.encoding))
        return error

    @property
    def _pq(self) -> Any:
        return self.connection.dialect.loaded_dbapi.pq


def _as_text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text form, by hand: cheaper than psycopg's adapters for
    these few plain types. The statement's casts give the server their types."""
    if value is None:
        return None
    if isinstance(value, bool):  # before int: a bool is an int
        return b"t" if value else b"f"
    if isinstance(value, str) and "\x00" in value:  # libpq would cut the value short there
        raise ValueError("PostgreSQL text cannot hold a NUL character")
    if isinstance(value, (int, str)):
        return str(value).encode()
    if isinstance(value, datetime):
        return value.isoformat().encode()  # with its offset when it has one, as psycopg
    raise TypeError(f"no text form for a {type(value).__name__} parameter")
