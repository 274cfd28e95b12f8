"""Writing what happened to each delivery: sent, retry later, failed, or bounced."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection as SAConnection
from sqlalchemy import Dialect, bindparam, func, select, update
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database, DriverStatement, driver_errors
from briefing.core.early_write import EarlyWrite
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.delivery.claims import Claimed
from briefing.mail.senders import MailError, MaybeSentError

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _record(db: Database, row: Claimed, token: str, **values: Any) -> None:
    with db.session() as session:
        session.execute(update(Delivery).where(Delivery.id == row.id, Delivery.claim == token)
                        .values(claim=None, **values))


# Compiled once per dialect: per message, SQLAlchemy's statement handling cost more than
# the write itself. Still one commit per message by default, so a crash leaves at most the
# message in flight in doubt.

_SENT = (update(Delivery)
         .where(Delivery.id == bindparam("row_id"), Delivery.claim == bindparam("row_claim"))
         .values(status=DeliveryStatus.SENT, claim=None, sent_at=bindparam("at"),
                 last_reply=bindparam("reply")))


# PostgreSQL: asynchronous commit. The commit returns once the server has the outcome,
# without waiting for the WAL to be flushed to disk, which made delivery fsync-bound. It
# still reaches the server before the next body goes out, so a killed worker loses nothing;
# only a crash of PostgreSQL itself can lose the last ~wal_writer_delay of outcomes (their
# messages are resent with the same Message-ID). Set inside the UPDATE, for its transaction
# alone (is_local): run in autocommit, each outcome is then one round trip to the server,
# where BEGIN, SET LOCAL, UPDATE and COMMIT were four, and waiting on them was most of a
# sender's time. The uncorrelated subquery runs once, before the row is looked up.
_ASYNC_COMMIT = select(func.set_config("synchronous_commit", "off", True)).scalar_subquery()
_SENT_ASYNC = _SENT.where(_ASYNC_COMMIT == "off")


@lru_cache(maxsize=4)
def _sent_statement(dialect: Dialect, asynchronous: bool) -> DriverStatement:
    return DriverStatement(_SENT_ASYNC if asynchronous else _SENT, dialect)


def record_retry(db: Database, row: Claimed, token: str, error: MailError,
                  settings: Settings) -> bool:
    """Back to the queue with a backoff, or failed when out of attempts."""
    note = str(error)[:500]
    if isinstance(error, MaybeSentError):
        note = (f"{note}; delivery uncertain, will be resent with the same Message-ID")
    outcome = retry_outcome(row, note, settings)
    _record(db, row, token, **outcome)
    return bool(outcome["status"] == DeliveryStatus.QUEUED)


def retry_outcome(row: Claimed, note: str, settings: Settings) -> dict[str, Any]:
    """The row's values after an attempt that failed for now: queued again after a backoff,
    or failed once `row.attempts` (counting that one) reaches the limit."""
    if row.attempts >= settings.delivery_max_attempts:
        return {"status": DeliveryStatus.FAILED, "last_reply": note}
    return {"status": DeliveryStatus.QUEUED, "last_reply": note,
            "due_at": utcnow() + backoff(row.attempts)}


def record_blocked(db: Database, row: Claimed, token: str, error: MailError) -> None:
    """The receiving system refused this message or us, not the reader's address: the row
    fails with the reason kept, and the reader's bounce count is left alone."""
    _record(db, row, token, status=DeliveryStatus.FAILED,
            last_reply=f"{str(error)[:440]}; refused by policy or content, not counted as "
                       "a bounce")
    log.warning("the server for %s refused the message itself: %s", row.email, error)


def record_bounce(db: Database, row: Claimed, token: str, error: MailError,
                   settings: Settings) -> None:
    with db.session() as session:
        count = session.execute(update(Subscriber).where(Subscriber.id == row.subscriber_id)
                                .values(bounce_count=Subscriber.bounce_count + 1)
                                .returning(Subscriber.bounce_count)).scalar_one_or_none()
        bounced = count is not None and count >= settings.bounce_limit
        if bounced:
            session.execute(update(Subscription).where(
                Subscription.subscriber_id == row.subscriber_id,
                Subscription.status.in_([SubscriptionStatus.ACTIVE,
                                         SubscriptionStatus.PENDING]))
                .values(status=SubscriptionStatus.BOUNCED, updated_at=utcnow()))
        session.execute(update(Delivery).where(Delivery.id == row.id, Delivery.claim == token)
                        .values(claim=None, last_reply=str(error)[:500], status=(
                            DeliveryStatus.BOUNCED if bounced else DeliveryStatus.FAILED)))
    if bounced:
        log.warning("%s bounced %d times: marked bounced on every list", row.email, count)


class SentRecorder:
    """Writes `sent` outcomes on one connection, `commit_every` messages per commit.

    With 1 (the default) a message's outcome is committed while the server answers the next
    message's envelope, and always before that message's body goes out, so a crash leaves
    only the message in flight in doubt. Larger values trade that for fewer commits: a crash
    can leave up to that many accepted messages unrecorded, which are then sent again with
    the same Message-ID."""

    MAX_WAIT_SECONDS = 1.0  # a slow or rate-limited server does not widen the window in time

    def __init__(self, db: Database, connection: SAConnection, token: str,
                 commit_every: int, *, synchronous: bool = True) -> None:
        self.db, self.connection, self.token, self.every = db, connection, token, commit_every
        asynchronous = not synchronous and connection.dialect.name == "postgresql"
        if asynchronous:
            # Each UPDATE commits itself (see _ASYNC_COMMIT); the pool restores the
            # isolation level when the connection goes back.
            connection.execution_options(isolation_level="AUTOCOMMIT")
        self.statement = _sent_statement(connection.dialect, asynchronous)
        # One outcome a commit, committed asynchronously: sent as soon as it is known, and
        # waited for only before the next body (see briefing/core/early_write.py).
        self.early = (EarlyWrite(connection, _SENT_ASYNC, "briefing_sent")
                      if asynchronous and commit_every == 1 else None)
        self.pending: list[dict[str, Any]] = []
        self.oldest = 0.0

    def sent(self, row: Claimed, reply: str) -> None:
        """Note an accepted message; it is written by `before_next_body` or `flush` (on
        PostgreSQL by default, sent now and waited for there). A NUL in a hostile server's
        reply is dropped: PostgreSQL's text cannot hold one, and the write would fail."""
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append({"row_id": row.id, "row_claim": self.token, "at": utcnow(),
                             "reply": reply[:500].replace("\x00", "")})
        if self.early is not None:
            with driver_errors(self.connection, self.statement.sql):
                self.early.send(self.pending[-1])

    def before_next_body(self) -> None:
        """Write what is due; called while the server answers the next envelope, so the
        commit overlaps that round trip, and always before the next body goes out."""
        if (self.early is not None or len(self.pending) >= self.every
                or time.monotonic() - self.oldest >= self.MAX_WAIT_SECONDS):
            self.flush()

    def write_pending_in(self, session: Session) -> int:
        """Write the pending outcomes through another connection (this one failed): their
        messages were accepted. Writing one a failed commit did record changes nothing."""
        written = len(self.pending)
        if self.pending:
            session.connection().execute(_SENT, self.pending)  # Core executemany
        self.pending = []
        return written

    def flush(self) -> None:
        """Write the pending outcomes. If the database fails meanwhile they stay pending,
        for `write_pending_in` a fresh connection."""
        if self.early is not None and self.early.in_flight:
            with driver_errors(self.connection, self.statement.sql):
                self.early.settle()
            self.pending = []
        if self.pending:
            with driver_errors(self.connection, self.statement.sql), self.db.write_turn():
                driver = self.connection.connection.driver_connection
                assert driver is not None
                self.statement.execute_many(driver, self.pending)
                driver.commit()
            self.pending = []
