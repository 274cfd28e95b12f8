"""Sending an edition: claim deliveries, send each over a shared SMTP connection, record.

Claiming and recovery live in `briefing.delivery.claims`, writing outcomes in
`briefing.delivery.outcomes`.

Exactly-once, as far as SMTP allows:
* rows are claimed with a conditional UPDATE (and SKIP LOCKED on PostgreSQL), so two workers
  never hold the same row;
* each outcome is committed in claim order before the next message's body goes out (while
  the server answers that message's envelope, so the commit costs no extra round trip);
* after a crash, the lowest-id row still `sending` in a dead claim is the one that was in
  flight — the only message whose fate is unknown. It is sent again with the same
  Message-ID (receiving systems drop a repeated Message-ID); the rows after it were never
  started and simply go back to the queue.
* 4xx replies and dropped connections retry with backoff; 5xx fails the row and counts a
  hard bounce; enough bounces mark the reader bounced on every list.
* a server that says to slow down (throttling, see `briefing.delivery.throttling`) pauses every
  sender of the account; the row it refused and the rest of the batch go back to the queue
  without spending an attempt, so throttling delays mail and never loses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from briefing.core import logs, metrics
from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Edition, EditionVariant, Frequency, MailingList
from briefing.delivery.claims import (
    Claimed,
    ClaimKeeper,
    claim_batch,
    drop_departed,
    finish_if_done,
    next_due,
    release,
    release_in,
)
from briefing.delivery.outcomes import (
    SentRecorder,
    record_blocked,
    record_bounce,
    record_retry,
)
from briefing.delivery.pacing import Pause, SharedPacer, current_pause, went_through
from briefing.delivery.smtp_replies import Verdict, classify, throttled
from briefing.delivery.throttling import Judgement, SecondOpinion
from briefing.mail import verp
from briefing.mail.dkim_signing import DkimSigner
from briefing.mail.prepared import PreparedMessage, Reader, prepare
from briefing.mail.senders import Envelope, MailError, Pacer, PermanentError, Sender, make_sender
from briefing.subscribers.frequency import wanted_by
from briefing.subscribers.subscriptions import unsubscribe_token

__all__ = ["BatchResult", "list_pause", "list_slug", "next_attempt", "paused", "prepared_message",
           "reader_for", "send_claimed", "send_some"]

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    sent: int = 0
    retrying: int = 0
    skipped: int = 0  # the reader left after the edition was queued
    failed: int = 0
    released: int = 0
    stopped: str | None = None  # why the batch ended early (server down, bad login, paused)
    replies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stop:
    """Why a batch ends early, and when its untried rows are due again (None: shortly)."""

    reason: str
    resume_at: datetime | None = None


_PREPARED: dict[tuple[str, int, int | None, str, str], tuple[PreparedMessage, str]] = {}


def prepared_message(db: Database, edition_id: int, settings: Settings,
                     variant_id: int | None = None) -> tuple[PreparedMessage, str]:
    """The edition's message (or its rendering for a choice of topics), built once per
    process, edition and variant (and its domain)."""
    key = (db.url, edition_id, variant_id, settings.base_url, settings.unsubscribe_mailto)
    if key not in _PREPARED:
        if len(_PREPARED) >= 32:
            _PREPARED.clear()
        _PREPARED[key] = _load_prepared(db, edition_id, settings, variant_id)
    return _PREPARED[key]


def _load_prepared(db: Database, edition_id: int, settings: Settings, variant_id: int | None
                   ) -> tuple[PreparedMessage, str]:
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None
        copy: Edition | EditionVariant | None = (
            edition if variant_id is None else session.get(EditionVariant, variant_id))
        assert copy is not None and copy.html and copy.text and copy.subject
        mailing_list = session.get(MailingList, edition.list_id)
        assert mailing_list is not None
    domain = mailing_list.from_address.rpartition("@")[2]
    mailbox = settings.unsubscribe_mailto or mailing_list.from_address
    return prepare(
        from_address=mailing_list.from_address, from_name=mailing_list.from_name,
        reply_to=mailing_list.reply_to, subject=copy.subject,
        list_name=mailing_list.name, list_slug=mailing_list.slug,
        unsubscribe_mailto=f"mailto:{mailbox}?subject=unsubscribe%20{mailing_list.slug}",
        text=copy.text, html=copy.html), domain


def reader_for(row: Claimed, edition_id: int, settings: Settings, domain: str) -> Reader:
    token = unsubscribe_token(settings, row.subscription_id or 0)
    key = settings.secret_key
    return Reader(email=row.email, name=row.name,
                  unsubscribe_url=f"{settings.base_url}/unsubscribe/{token}",
                  one_click_url=f"{settings.base_url}/u/{token}",
                  preferences_url=f"{settings.base_url}/preferences/{token}",
                  message_id=verp.message_id(key, edition_id, row.id, domain),
                  return_path=verp.return_path(settings.bounce_address, key, row.id)
                  if settings.bounce_address else None)


class Connection:
    """A sender that is renewed every N messages and re-opened once after it drops."""

    def __init__(self, settings: Settings, sender_factory: Any, pacer: Pacer | None) -> None:
        self.settings, self.factory, self.pacer = settings, sender_factory, pacer
        self.sender: Sender | None = None
        self.count = 0

    def open_sender(self) -> Sender:
        sender: Sender = self.factory(self.settings, self.pacer).__enter__()
        return sender

    def send(self, envelope: Any, meanwhile: Callable[[], None]) -> str:
        if self.sender is None or self.count >= self.settings.smtp_messages_per_connection:
            self.close()
            self.sender = self.open_sender()
            self.count = 0
        self.count += 1
        try:
            return self.sender.send(envelope, meanwhile)
        except MailError as exc:
            if exc.stage in ("connect", "data") or exc.code == 421:
                self.close()  # the line is gone (421: the server hangs up); open a new one
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


def send_claimed(db: Database, edition_id: int, token: str, claimed: list[Claimed],
                 settings: Settings, connection: Connection) -> BatchResult:
    record: SentRecorder | None = None
    try:
        with db.engine.connect() as connection_for_writes:
            record = SentRecorder(db, connection_for_writes, token, settings.send_commit_every,
                                  synchronous=settings.send_synchronous_commit)
            return _send_each(db, edition_id, token, claimed, settings, connection, record)
    except DBAPIError as exc:
        hand_back(db, token, claimed, record, exc)
        raise


def _send_each(db: Database, edition_id: int, token: str, claimed: list[Claimed],
               settings: Settings, connection: Connection, record: SentRecorder
               ) -> BatchResult:
    prepared, domain = prepared_message(db, edition_id, settings)
    signer = dkim_signer(settings, domain)  # one domain per list, whichever the variant
    # The batch's renderings: the edition's own, and one per choice of topics among its rows.
    copies = {variant: prepared_message(db, edition_id, settings, variant)[0]
              for variant in {row.variant_id for row in claimed} - {None}}
    copies[None] = prepared
    keeper = ClaimKeeper(db, token, settings)
    batch = _Batch(db, token, settings, connection, record, SecondOpinion(db, token, settings))
    for index, row in enumerate(claimed):
        if not keeper.holds(claimed[index:]):
            continue
        envelope = copies[row.variant_id].for_reader(
            reader_for(row, edition_id, settings, domain))
        if signer is not None:
            envelope = signer.sign(envelope)
        stop = batch.send(row, envelope, others_follow=index + 1 < len(claimed))
        if stop is not None:
            batch.result.stopped = stop.reason
            batch.result.released += release(db, claimed[index:], token, stop.reason,
                                             stop.resume_at)
            break
    record.flush()
    return batch.result


def hand_back(db: Database, token: str, claimed: list[Claimed], record: SentRecorder | None,
              error: DBAPIError) -> None:
    """The database failed in the middle of a batch (a terminated backend, say). On a fresh
    connection, the messages the server accepted are recorded as sent and every other row
    of this claim goes back to the queue unspent and due at once, instead of waiting
    `sending` for the sweep (BRIEFING_STUCK_AFTER_SECONDS). Nothing is in doubt: a database
    error while sending strikes before the next message's body goes out, and that message's
    connection is dropped. If the database is still away the rows stay claimed, and the
    sweep recovers them as after a crash (resending only what may have been in flight)."""
    cause = str(error.orig).strip().splitlines()[0][:200] if error.orig else type(error).__name__
    try:
        with db.session() as session:
            recorded = record.write_pending_in(session) if record is not None else 0
            back = release_in(session, claimed, token,
                              f"not sent yet: the database failed while sending ({cause})",
                              utcnow())
    except DBAPIError:
        log.exception("the database failed while sending, and again while handing back "
                      "%d deliveries: the sweep recovers them", len(claimed))
        return
    log.warning("the database failed while sending (%s): %d accepted messages recorded, "
                "%d deliveries back in the queue", cause, recorded, back)


@dataclass
class _Batch:
    """One claimed batch being sent: where each reader's outcome is written and counted."""

    db: Database
    token: str
    settings: Settings
    connection: Connection
    record: SentRecorder
    opinion: SecondOpinion
    result: BatchResult = field(default_factory=BatchResult)
    # When next to tell the account that mail goes through (see `_went_through`).
    next_went_through: float = 0.0

    def send(self, row: Claimed, envelope: Envelope, others_follow: bool) -> Stop | None:
        """Send one reader's copy and write its outcome; returns why to stop, if so."""
        try:
            reply = self.connection.send(envelope, self.record.before_next_body)
        except MailError as exc:
            self.record.flush()  # earlier successes are written before anything else happens
            with logs.context(delivery_id=row.id):  # on the lines about this reader's copy
                return self._failed(row, exc, others_follow)
        self.record.sent(row, reply)
        self.result.sent += 1  # counted as a 2xx reply with the batch (see `_count`)
        self.opinion.answered()
        self._went_through()
        return None

    def _went_through(self) -> None:
        """Messages are accepted again: a pause that has ended stops counting towards the
        next one's length. Once a second per sender is soon enough, and costs one read."""
        if self.settings.smtp_host and time.monotonic() >= self.next_went_through:
            self.next_went_through = time.monotonic() + 1.0
            went_through(self.db, self.settings)

    def _failed(self, row: Claimed, exc: MailError, others_follow: bool) -> Stop | None:
        slow_down = throttled(exc.code, str(exc), exc.stage)
        metrics.count(metrics.SMTP_REPLIES, reply_class=f"{exc.code // 100}xx" if exc.code
                      else "none", verdict=_verdict(exc, slow_down))
        if exc.code is not None and exc.stage in ("rcpt", "data") and not slow_down:
            self.opinion.answered()  # the server judged this reader on its own terms
        if isinstance(exc, PermanentError):
            return self._refused_for_good(row, exc)
        if slow_down:
            judgement = self.opinion.refused(row, str(exc), others_follow)
            if judgement is Judgement.PAUSED:
                return self._paused()
            if judgement is Judgement.WAIT_AND_SEE:
                return None
            # ABOUT_READER: retried like any 4xx for this reader alone
        elif exc.stage == "connect" and _server_down(self.connection):
            return Stop(str(exc))
        self._retry(row, exc)
        return None

    def _refused_for_good(self, row: Claimed, exc: PermanentError) -> Stop | None:
        if exc.stage in ("connect", "mail"):  # our side (login, sender) is refused
            return Stop(str(exc))
        verdict = classify(exc.code, str(exc), exc.stage)
        if verdict == Verdict.SOFT:  # the mailbox is full: retried later, like a 4xx
            self._retry(row, exc)
        elif verdict == Verdict.HARD:
            record_bounce(self.db, row, self.token, exc, self.settings)
            self.result.failed += 1
        else:
            record_blocked(self.db, row, self.token, exc)
            self.result.failed += 1
        return None

    def _retry(self, row: Claimed, exc: MailError) -> None:
        retried = record_retry(self.db, row, self.token, exc, self.settings)
        self.result.retrying += retried
        self.result.failed += not retried

    def _paused(self) -> Stop:
        held = self.opinion.pause
        assert held is not None
        log.warning("throttled: every sender of the SMTP account is %s", held)
        return Stop(f"throttled, {held}", held.ends_at)


def _verdict(exc: MailError, slow_down: bool) -> str:
    """What a refusal is taken for, as the metrics name it."""
    if slow_down:
        return "throttled"
    if exc.code is None:
        return "no_answer"  # the connection failed or dropped
    if exc.stage in ("connect", "mail"):
        return "refused_us"  # our login or sender
    if isinstance(exc, PermanentError):
        return str(classify(exc.code, str(exc), exc.stage))
    return "temporary"


def paused(db: Database, settings: Settings) -> Pause | None:
    """The SMTP account's throttling pause, while it lasts (never for the local outbox)."""
    return current_pause(db, settings) if settings.smtp_host else None


def list_pause(db: Database, edition_id: int) -> str | None:
    """Why the edition's list is not sending (its guard rails tripped), or None."""
    with db.session() as session:
        return session.scalar(select(MailingList.sending_paused).join(
            Edition, Edition.list_id == MailingList.id).where(Edition.id == edition_id))


def next_attempt(db: Database, edition_id: int, settings: Settings) -> datetime | None:
    """When the edition next has a row to send: the earliest due one, but not before the
    account's pause ends. None when nothing is queued."""
    if list_pause(db, edition_id):
        return None  # until an operator resumes it
    due = next_due(db, edition_id)
    held = paused(db, settings)
    if due is None or held is None:
        return due
    return max(due, held.ends_at)


def _server_down(connection: Connection) -> bool:
    """After a failed connect, one immediate try tells a blip from an outage."""
    try:
        connection.close()
        connection.sender = connection.open_sender()
        connection.count = 0
        return False
    except MailError:
        connection.sender = None
        return True


def edition_wants(db: Database, edition_id: int) -> list[Frequency]:
    """The frequencies whose readers still get the edition (a reader who switched from daily
    to weekly after it was queued is skipped, not sent a daily)."""
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None
        return wanted_by(edition.kind, edition.edition_date)


def list_slug(db: Database, edition_id: int) -> str:
    with db.session() as session:
        return session.scalar(select(MailingList.slug).join(
            Edition, Edition.list_id == MailingList.id).where(Edition.id == edition_id)) or ""


def _count(slug: str, result: BatchResult, departed: int) -> None:
    for outcome, done in (("sent", result.sent), ("retry", result.retrying),
                          ("failed", result.failed), ("skipped", departed)):
        metrics.count(metrics.DELIVERIES, done, list=slug, outcome=outcome)
    # Per batch, not per message: the sending loop stays free of bookkeeping.
    metrics.count(metrics.SMTP_REPLIES, result.sent, reply_class="2xx", verdict="accepted")


def send_some(db: Database, edition_id: int, settings: Settings, *,
              sender_factory: Any = make_sender, max_batches: int = 50) -> BatchResult:
    """Claim and send batches until none are due (or `max_batches` ran): one task's work."""
    with logs.context(edition_id=edition_id):
        total = _send_batches(db, edition_id, settings, sender_factory, max_batches)
        if total.sent or total.retrying or total.failed or total.skipped:
            log.info("edition %d: %d sent, %d to retry, %d failed, %d skipped", edition_id,
                     total.sent, total.retrying, total.failed, total.skipped)
    return total


def _send_batches(db: Database, edition_id: int, settings: Settings, sender_factory: Any,
                  max_batches: int) -> BatchResult:
    total = BatchResult()
    held_by_list = list_pause(db, edition_id)
    if held_by_list:
        total.stopped = f"paused: {held_by_list}"
        return total
    pacer = SharedPacer(db, settings) if settings.smtp_max_rate > 0 else None
    connection = Connection(settings, sender_factory, pacer)
    slug = list_slug(db, edition_id) if metrics.recording() else ""
    wanted = edition_wants(db, edition_id)
    try:
        for _ in range(max_batches):
            held = paused(db, settings)
            if held is not None:
                total.stopped = str(held)
                break
            token, claimed = claim_batch(db, edition_id, _batch_size(settings))
            if not claimed:
                break
            try:
                staying = drop_departed(db, token, claimed, wanted)
            except DBAPIError as exc:
                hand_back(db, token, claimed, None, exc)
                raise
            total.skipped += len(claimed) - len(staying)
            result = send_claimed(db, edition_id, token, staying, settings, connection)
            _count(slug, result, len(claimed) - len(staying))
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


