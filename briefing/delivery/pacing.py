"""BRIEFING_SMTP_MAX_RATE as one limit shared by every sender of one SMTP account.

A provider's limit ("14 messages a second") is per account, while an edition is sent over
several connections, by several worker processes, maybe on several machines — and two lists
can be sending at once. Pacing each connection on its own would multiply the limit by the
number of senders; the provider would then throttle with 4xx replies (retried, but late),
or worse, suspend the account.

So senders take their turns from the database, the one thing they all share: a row per
account holds the next free moment, and a sender reserves a short run of slots (a quarter
of a second's worth) in one small transaction, then spaces its messages over them. Slots a
sender reserved but did not use are simply lost: the limit can be undershot, never exceeded.

The same row holds a pause: when the server itself says to slow down (see
`briefing.delivery.smtp_replies.throttled`), every sender of the account stops until the pause ends,
instead of each one spending readers' attempts on refusals. A pause that follows another
with no message accepted in between is twice as long; once a message goes through after a
pause, the next one starts short again. A server that throttles now and then (one message
in a few hundred) thus costs one short pause each time, not pauses growing to an hour.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, insert, select, update
from sqlalchemy.exc import IntegrityError

from briefing.core import metrics
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import SendPacing

GRANT_SECONDS = 0.25  # each reservation covers this much sending time
MAX_PAUSE_SECONDS = 3600
# A pause that ended longer ago than this does not count as one "in a row" with the next,
# even if no message was sent since (nothing was waiting to go).
PAUSES_FORGOTTEN_AFTER = 3600


def account_key(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}:{settings.smtp_user}"[:300]


def reserve(db: Database, key: str, span: float) -> float:
    """Reserve `span` seconds of sending time for `key`; returns when the reservation starts
    (Unix time): now, or when the reservations already made run out."""
    for _ in range(2):
        now = time.time()
        with db.session() as session:
            end = session.execute(
                update(SendPacing).where(SendPacing.key == key)
                .values(next_at=case((SendPacing.next_at < now, now),
                                     else_=SendPacing.next_at) + span)
                .returning(SendPacing.next_at)).scalar_one_or_none()
        if end is not None:
            return float(end) - span
        _add_account(db, key, now)
    raise RuntimeError(f"could not reserve sending time for {key}")


def _add_account(db: Database, key: str, now: float) -> None:
    try:  # first use of this account: make its row; a concurrent first use wins just as well
        with db.session() as session:
            session.execute(insert(SendPacing).values(key=key, next_at=now))
    except IntegrityError:
        pass


@dataclass(frozen=True)
class Pause:
    until: float  # Unix time
    reply: str  # what the server said
    seconds: float  # how long the pause is in all

    @property
    def ends_at(self) -> datetime:
        return datetime.fromtimestamp(self.until, UTC)

    def __str__(self) -> str:
        return (f"paused until {self.ends_at.isoformat(timespec='seconds')} "
                f"({self.seconds:g} s): the SMTP server said {self.reply}")


def pause_length(settings: Settings, in_a_row: int) -> float:
    """The pause after `in_a_row` earlier pauses with nothing sent between them."""
    return float(min(MAX_PAUSE_SECONDS, settings.smtp_throttle_pause * 2 ** min(in_a_row, 12)))


def current_pause(db: Database, settings: Settings) -> Pause | None:
    """The account's pause, while it lasts; None when senders may go on."""
    with db.session() as session:
        row = session.execute(select(SendPacing.paused_until, SendPacing.pause_reply,
                                     SendPacing.pauses)
                              .where(SendPacing.key == account_key(settings))).one_or_none()
    if row is None or row.paused_until <= time.time():
        return None
    return Pause(row.paused_until, row.pause_reply, pause_length(settings, row.pauses - 1))


def pause(db: Database, settings: Settings, reply: str) -> Pause:
    """The server said to slow down: pause every sender of the account, for
    BRIEFING_SMTP_THROTTLE_PAUSE seconds, doubled for each pause in a row, up to an hour.
    A sender that is refused while the account is already paused keeps that pause."""
    key = account_key(settings)
    with db.session() as session:
        known = session.scalar(select(SendPacing.key).where(SendPacing.key == key))
    if known is None:
        _add_account(db, key, time.time())
    with db.session() as session:
        row = session.scalars(select(SendPacing).where(SendPacing.key == key)
                              .with_for_update()).one()
        now = time.time()
        if row.paused_until > now:
            return Pause(row.paused_until, row.pause_reply,
                         pause_length(settings, row.pauses - 1))
        in_a_row = row.pauses if now - row.paused_until < PAUSES_FORGOTTEN_AFTER else 0
        length = pause_length(settings, in_a_row)
        row.paused_until, row.pauses, row.pause_reply = now + length, in_a_row + 1, reply[:500]
        metrics.count(metrics.THROTTLE_PAUSES)
        return Pause(row.paused_until, row.pause_reply, length)


def went_through(db: Database, settings: Settings) -> None:
    """A message was accepted: if the account's last pause is over, the next pause is the
    first in a row again. Reads first, so that the usual case (no pause to forget) writes
    nothing."""
    key, now = account_key(settings), time.time()
    with db.session() as session:
        pauses = session.scalar(select(SendPacing.pauses).where(
            SendPacing.key == key, SendPacing.paused_until <= now))
        if pauses:
            session.execute(update(SendPacing).where(
                SendPacing.key == key, SendPacing.paused_until <= now).values(pauses=0))


class SharedPacer:
    """A Pacer (see briefing.mail.senders) drawing its slots from the shared reservations."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.key = db, account_key(settings)
        self.interval = 1 / settings.smtp_max_rate
        self.per_grant = max(1, round(GRANT_SECONDS * settings.smtp_max_rate))
        self.slots: deque[float] = deque()
        self.window_end = 0.0

    def wait(self) -> float:
        now = time.time()
        if now >= self.window_end:
            # A reservation is only good for its own stretch of time: slots left over from
            # one that has run out (the sender paused, or could not keep up) would now fall
            # into another sender's stretch.
            self.slots.clear()
        if not self.slots:
            span = self.per_grant * self.interval
            start = reserve(self.db, self.key, span)
            self.slots.extend(start + i * self.interval for i in range(self.per_grant))
            self.window_end = start + span
        return max(0.0, self.slots.popleft() - now)
