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
"""

from __future__ import annotations

import time
from collections import deque

from sqlalchemy import case, insert, update
from sqlalchemy.exc import IntegrityError

from briefing.config import Settings
from briefing.db import Database
from briefing.models import SendPacing

GRANT_SECONDS = 0.25  # each reservation covers this much sending time


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
        try:  # first use of this account: make its row; a concurrent first use wins just as well
            with db.session() as session:
                session.execute(insert(SendPacing).values(key=key, next_at=now))
        except IntegrityError:
            pass
    raise RuntimeError(f"could not reserve sending time for {key}")


class SharedPacer:
    """A Pacer (see briefing.mailer) drawing its slots from the shared reservations."""

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
