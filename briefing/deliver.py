"""Sending an edition: claim deliveries, send each over a shared SMTP connection, record.

Exactly-once, as far as SMTP allows:
* rows are claimed with a conditional UPDATE (and SKIP LOCKED on PostgreSQL), so two workers
  never hold the same row;
* each outcome is committed right after the server's reply, in claim order;
* after a crash, the lowest-id row still `sending` in a dead claim is the one that was in
  flight — the only message whose fate is unknown. It is sent again with the same
  Message-ID (receiving systems drop a repeated Message-ID); the rows after it were never
  started and simply go back to the queue.
* 4xx replies and dropped connections retry with backoff; 5xx fails the row and counts a
  hard bounce; enough bounces mark the reader bounced on every list.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection as SAConnection
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from briefing.clock import utcnow
from briefing.config import Settings
from briefing.db import Database
from briefing.dkim_sign import DkimSigner
from briefing.fastmime import PreparedMessage, Reader, prepare
from briefing.mailer import (
    Envelope,
    MailError,
    MaybeSentError,
    PermanentError,
    Sender,
    make_sender,
)
from briefing.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.subscriptions import unsubscribe_token

log = logging.getLogger(__name__)
OPEN = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Claimed:
    id: int
    email: str
    name: str
    subscriber_id: int
    subscription_id: int | None
    attempts: int


@dataclass
class BatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    stopped: str | None = None  # why the batch ended early (server down, bad login)
    replies: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def claim_batch(db: Database, edition_id: int, limit: int) -> tuple[str, list[Claimed]]:
    token, now = uuid.uuid4().hex, utcnow()
    with db.session() as session:
        due = (select(Delivery.id).where(Delivery.edition_id == edition_id,
                                         Delivery.status == DeliveryStatus.QUEUED,
                                         Delivery.due_at <= now)
               .order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True))
        rows = session.execute(
            update(Delivery).where(Delivery.id.in_(due.scalar_subquery()))
            .values(status=DeliveryStatus.SENDING, claim=token, claimed_at=now,
                    attempts=Delivery.attempts + 1)
            .returning(Delivery.id, Delivery.email, Delivery.name, Delivery.subscriber_id,
                       Delivery.subscription_id, Delivery.attempts)).all()
    return token, sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _still_subscribed(db: Database, token: str, claimed: list[Claimed]) -> list[Claimed]:
    """Drop readers who left after the edition was queued: they must not get it."""
    ids = [c.subscription_id for c in claimed if c.subscription_id is not None]
    with db.session() as session:
        active = set(session.scalars(select(Subscription.id).where(
            Subscription.id.in_(ids), Subscription.status == SubscriptionStatus.ACTIVE)))
        gone = [c.id for c in claimed if c.subscription_id not in active]
        if gone:
            session.execute(update(Delivery).where(Delivery.id.in_(gone),
                                                   Delivery.claim == token)
                            .values(status=DeliveryStatus.FAILED, claim=None,
                                    last_reply="not sent: the reader left before sending"))
    return [c for c in claimed if c.subscription_id in active]


_PREPARED: dict[tuple[str, int, str, str], tuple[PreparedMessage, str]] = {}


def prepared_message(db: Database, edition_id: int, settings: Settings
                     ) -> tuple[PreparedMessage, str]:
    """The edition's message, built once per process and edition (and its domain)."""
    key = (db.url, edition_id, settings.base_url, settings.unsubscribe_mailto)
    if key not in _PREPARED:
        if len(_PREPARED) >= 8:
            _PREPARED.clear()
        _PREPARED[key] = _load_prepared(db, edition_id, settings)
    return _PREPARED[key]


def _load_prepared(db: Database, edition_id: int, settings: Settings
                   ) -> tuple[PreparedMessage, str]:
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None and edition.html and edition.text and edition.subject
        mailing_list = session.get(MailingList, edition.list_id)
        assert mailing_list is not None
    domain = mailing_list.from_address.rpartition("@")[2]
    mailbox = settings.unsubscribe_mailto or mailing_list.from_address
    return prepare(
        from_address=mailing_list.from_address, from_name=mailing_list.from_name,
        reply_to=mailing_list.reply_to, subject=edition.subject,
        list_id=f"{mailing_list.name} <{mailing_list.slug}.{domain}>",
        unsubscribe_mailto=f"mailto:{mailbox}?subject=unsubscribe%20{mailing_list.slug}",
        text=edition.text, html=edition.html), domain


def message_id(edition_id: int, delivery_id: int, domain: str) -> str:
    digest = hashlib.sha256(f"{edition_id}.{delivery_id}".encode()).hexdigest()[:12]
    return f"<briefing.{edition_id}.{delivery_id}.{digest}@{domain}>"


def reader_for(row: Claimed, edition_id: int, settings: Settings, domain: str) -> Reader:
    token = unsubscribe_token(settings, row.subscription_id or 0)
    return Reader(email=row.email, name=row.name,
                  unsubscribe_url=f"{settings.base_url}/unsubscribe/{token}",
                  one_click_url=f"{settings.base_url}/u/{token}",
                  message_id=message_id(edition_id, row.id, domain))


def _record(db: Database, row: Claimed, token: str, **values: Any) -> None:
    with db.session() as session:
        session.execute(update(Delivery).where(Delivery.id == row.id, Delivery.claim == token)
                        .values(claim=None, **values))


# Built once: per message, the ORM session and statement compilation cost more than the
# write itself. Still one commit per message, so a crash leaves at most the message in
# flight in doubt.
_SENT = (update(Delivery)
         .where(Delivery.id == bindparam("row_id"), Delivery.claim == bindparam("row_claim"))
         .values(status=DeliveryStatus.SENT, claim=None, sent_at=bindparam("at"),
                 last_reply=bindparam("reply")))


def _record_retry(db: Database, row: Claimed, token: str, error: MailError,
                  settings: Settings) -> bool:
    """Back to the queue with a backoff, or failed when out of attempts."""
    note = str(error)[:500]
    if isinstance(error, MaybeSentError):
        note = (f"{note}; delivery uncertain, will be resent with the same Message-ID")
    if row.attempts >= settings.delivery_max_attempts:
        _record(db, row, token, status=DeliveryStatus.FAILED, last_reply=note)
        return False
    _record(db, row, token, status=DeliveryStatus.QUEUED, last_reply=note,
            due_at=utcnow() + backoff(row.attempts))
    return True


def _record_bounce(db: Database, row: Claimed, token: str, error: MailError,
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


def release(db: Database, rows: list[Claimed], token: str, reason: str) -> int:
    """Hand untried rows back (their attempt did not happen)."""
    with db.session() as session:
        session.execute(update(Delivery).where(
            Delivery.id.in_([r.id for r in rows]), Delivery.claim == token,
            Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, claim=None, attempts=Delivery.attempts - 1,
                    last_reply=reason[:500], due_at=utcnow() + timedelta(seconds=30)))
    return len(rows)


class Connection:
    """A sender that is renewed every N messages and re-opened once after it drops."""

    def __init__(self, settings: Settings, sender_factory: Any) -> None:
        self.settings, self.factory = settings, sender_factory
        self.sender: Sender | None = None
        self.count = 0

    def send(self, envelope: Any) -> str:
        if self.sender is None or self.count >= self.settings.smtp_messages_per_connection:
            self.close()
            self.sender = self.factory(self.settings).__enter__()
            self.count = 0
        self.count += 1
        try:
            return self.sender.send(envelope)
        except MailError as exc:
            if exc.stage in ("connect", "data"):
                self.close()  # the line is gone; the next send opens a new one
            raise

    def close(self) -> None:
        if self.sender is not None:
            try:
                self.sender.__exit__(None, None, None)
            except Exception:  # closing a dead connection must not hide the real error
                log.debug("closing SMTP connection failed", exc_info=True)
        self.sender = None


def dkim_signer(settings: Settings, domain: str) -> DkimSigner | None:
    if settings.dkim_key_file is None:
        return None
    return DkimSigner.from_file(settings.dkim_key_file, settings.dkim_selector,
                                settings.dkim_domain or domain)


class ClaimKeeper:
    """Keeps a batch's claim fresh while it is sent, so the sweep does not take a slow but
    live sender's rows; rows it took anyway (the sender stalled past stuck-after) now belong
    to another sender and are skipped here instead of being sent twice."""

    def __init__(self, db: Database, token: str, settings: Settings) -> None:
        self.db, self.token = db, token
        self.every = timedelta(seconds=settings.stuck_after_seconds / 4)
        self.renewed = utcnow()
        self.mine: set[int] | None = None  # None: every claimed row is still ours

    def holds(self, rest: list[Claimed]) -> bool:
        """Whether `rest[0]` is still ours; renews the claim on all of `rest` now and then."""
        if utcnow() - self.renewed >= self.every:
            with self.db.session() as session:
                self.mine = set(session.scalars(update(Delivery).where(
                    Delivery.id.in_([r.id for r in rest]), Delivery.claim == self.token,
                    Delivery.status == DeliveryStatus.SENDING)
                    .values(claimed_at=utcnow()).returning(Delivery.id)))
            self.renewed = utcnow()
        return self.mine is None or rest[0].id in self.mine


def send_claimed(db: Database, edition_id: int, token: str, claimed: list[Claimed],
                 settings: Settings, connection: Connection) -> BatchResult:
    prepared, domain = prepared_message(db, edition_id, settings)
    signer = dkim_signer(settings, domain)
    result = BatchResult()
    keeper = ClaimKeeper(db, token, settings)
    with db.engine.connect() as connection_for_writes:
        record = SentRecorder(connection_for_writes, token, settings.send_commit_every)
        for index, row in enumerate(claimed):
            if not keeper.holds(claimed[index:]):
                continue
            envelope = prepared.for_reader(reader_for(row, edition_id, settings, domain))
            if signer is not None:
                envelope = signer.sign(envelope)
            stop = _send_one(db, record, connection, envelope, row, token, settings, result)
            if stop:
                result.stopped = stop
                result.released += release(db, claimed[index:], token, stop)
                break
        record.flush()
    return result


class SentRecorder:
    """Writes `sent` outcomes on one connection, `commit_every` messages per commit.

    With 1 (the default) every message is committed as soon as the server accepted it, so a
    crash leaves only the message in flight in doubt. Larger values trade that for speed: a
    crash can leave up to that many accepted messages unrecorded, which are then sent again
    with the same Message-ID."""

    MAX_WAIT_SECONDS = 1.0  # a slow or rate-limited server does not widen the window in time

    def __init__(self, connection: SAConnection, token: str, commit_every: int) -> None:
        self.connection, self.token, self.every = connection, token, commit_every
        self.pending: list[dict[str, Any]] = []
        self.oldest = 0.0

    def sent(self, row: Claimed, reply: str) -> None:
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append({"row_id": row.id, "row_claim": self.token, "at": utcnow(),
                             "reply": reply[:500]})
        if (len(self.pending) >= self.every
                or time.monotonic() - self.oldest >= self.MAX_WAIT_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.connection.execute(_SENT, self.pending)
            self.connection.commit()
            self.pending = []


def _send_one(db: Database, record: SentRecorder, connection: Connection, envelope: Envelope,
              row: Claimed, token: str, settings: Settings, result: BatchResult) -> str | None:
    """Send one reader's copy and write its outcome; returns why to stop the batch, if so."""
    try:
        reply = connection.send(envelope)
    except MailError as exc:
        record.flush()  # earlier successes are written before anything else happens
        return _handle_failure(db, connection, row, token, exc, settings, result)
    record.sent(row, reply)
    result.sent += 1
    return None


def _handle_failure(db: Database, connection: Connection, row: Claimed, token: str,
                    exc: MailError, settings: Settings, result: BatchResult) -> str | None:
    if isinstance(exc, PermanentError):
        if exc.stage in ("connect", "mail"):  # our side (login, sender) is refused
            return str(exc)
        _record_bounce(db, row, token, exc, settings)
        result.failed += 1
        return None
    if exc.stage == "connect" and _server_down(connection, settings):
        return str(exc)
    retried = _record_retry(db, row, token, exc, settings)
    result.retrying += retried
    result.failed += not retried
    return None


def _server_down(connection: Connection, settings: Settings) -> bool:
    """After a failed connect, one immediate try tells a blip from an outage."""
    try:
        connection.close()
        connection.sender = connection.factory(settings).__enter__()
        connection.count = 0
        return False
    except MailError:
        connection.sender = None
        return True


def send_some(db: Database, edition_id: int, settings: Settings, *,
              sender_factory: Any = make_sender, max_batches: int = 50) -> BatchResult:
    """Claim and send batches until none are due (or `max_batches` ran): one task's work."""
    total = BatchResult()
    connection = Connection(settings, sender_factory)
    try:
        for _ in range(max_batches):
            token, claimed = claim_batch(db, edition_id, _batch_size(settings))
            if not claimed:
                break
            claimed = _still_subscribed(db, token, claimed)
            result = send_claimed(db, edition_id, token, claimed, settings, connection)
            for name in ("sent", "retrying", "failed", "released"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            if result.stopped:
                total.stopped = result.stopped
                log.warning("edition %d: sending paused: %s", edition_id, result.stopped)
                break
    finally:
        connection.close()
    finish_if_done(db, edition_id)
    return total


def _batch_size(settings: Settings) -> int:
    # A claim must finish well within the stuck-after window even when rate limited, or the
    # sweep would hand its rows to a second worker while the first is still sending.
    if settings.smtp_max_rate > 0:
        per_sender = settings.smtp_max_rate / settings.send_concurrency
        return max(1, min(settings.send_batch,
                          int(per_sender * settings.stuck_after_seconds / 3)))
    return settings.send_batch


def finish_if_done(db: Database, edition_id: int) -> bool:
    with db.session() as session:
        open_rows = session.scalar(select(func.count()).where(
            Delivery.edition_id == edition_id, Delivery.status.in_(OPEN)))
        if open_rows:
            return False
        done = session.execute(update(Edition).where(
            Edition.id == edition_id, Edition.status == EditionStatus.SENDING)
            .values(status=EditionStatus.SENT, sent_at=utcnow(), updated_at=utcnow())
            .returning(Edition.id)).first()
    if done:
        log.info("edition %d: every delivery is final", edition_id)
    return done is not None


def next_due(db: Database, edition_id: int) -> datetime | None:
    with db.session() as session:
        return session.scalar(select(func.min(Delivery.due_at)).where(
            Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.QUEUED))


def recover_stale_claims(db: Database, settings: Settings) -> list[int]:
    """Rows a dead worker left `sending`; returns the editions that need a sender again."""
    stale = utcnow() - timedelta(seconds=settings.stuck_after_seconds)
    with db.session() as session:
        rows = session.execute(select(Delivery.id, Delivery.claim, Delivery.edition_id).where(
            Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < stale)
            .order_by(Delivery.id)).all()
        uncertain, untried = _split_dead_claims(rows, settings.send_commit_every)
        _requeue(session, uncertain, True)
        _requeue(session, untried, False)
    if rows:
        log.warning("recovered %d deliveries from dead claims, %d of them possibly sent",
                    len(rows), len(uncertain))
    return sorted({r.edition_id for r in rows})


def _split_dead_claims(rows: Sequence[Any], commit_every: int) -> tuple[list[int], list[int]]:
    """Rows are sent in id order and written every `commit_every` messages, so in a dead
    claim only the first `commit_every` rows still `sending` can have reached the server;
    the rest were never tried."""
    seen: dict[str, int] = {}
    uncertain: list[int] = []
    untried: list[int] = []
    for row in rows:
        position = seen[row.claim or ""] = seen.get(row.claim or "", 0) + 1
        (uncertain if position <= commit_every else untried).append(row.id)
    return uncertain, untried


def _requeue(session: Session, ids: list[int], was_in_flight: bool) -> None:
    if not ids:
        return
    values: dict[str, Any] = {"status": DeliveryStatus.QUEUED, "claim": None,
                              "due_at": utcnow()}
    if was_in_flight:
        values["last_reply"] = ("the worker stopped while sending this message; it is sent "
                                "again with the same Message-ID")
    else:
        values["attempts"] = Delivery.attempts - 1  # never tried
    session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(**values))


def editions_needing_work(db: Database, settings: Settings) -> tuple[list[int], list[int]]:
    """(editions stuck in building, editions with deliveries due) for the sweep."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.stuck_after_seconds)
    with db.session() as session:
        building = list(session.scalars(select(Edition.id).where(
            Edition.status == EditionStatus.BUILDING, Edition.updated_at < stale)))
        sending = list(session.scalars(select(Edition.id).where(
            Edition.status == EditionStatus.SENDING)))
        due = set(session.scalars(select(Delivery.edition_id).where(
            Delivery.edition_id.in_(sending), Delivery.status == DeliveryStatus.QUEUED,
            Delivery.due_at <= now).distinct()))
        # A live sender keeps its claim fresh: leave its edition alone, so the sweep does
        # not open more SMTP connections than BRIEFING_SEND_CONCURRENCY allows.
        busy = set(session.scalars(select(Delivery.edition_id).where(
            Delivery.edition_id.in_(due), Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_at >= stale).distinct()))
    for edition_id in sending:
        finish_if_done(db, edition_id)
    return building, sorted(due - busy)


def edition_counts(db: Database, edition_id: int) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Delivery.status, func.count()).where(
            Delivery.edition_id == edition_id).group_by(Delivery.status))
        counts = {str(status): 0 for status in DeliveryStatus}
        counts.update({str(status): int(n) for status, n in rows})
        return counts
