"""Delivery rows as shared work: claiming, releasing, recovering and counting them.

Rows are claimed with a conditional UPDATE (SKIP LOCKED on PostgreSQL), so two senders never
hold the same row. Rows are sent in id order and their outcomes written in that order, which is
what lets recovery tell, in a dead worker's claim, the rows that may have reached the server
(the first `BRIEFING_SEND_COMMIT_EVERY` still `sending`) from those never tried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Subscription,
    SubscriptionStatus,
)

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
    throttled: int = 0


def due_rows(edition_id: int, now: datetime, limit: int) -> Select[int]:
    """The next `limit` queued rows of the edition, in id order, that no one else holds.
    ix_deliveries_edition_status ends with id, so this reads those rows and no others,
    however many of the edition's rows were sent before them."""
    return (select(Delivery.id).where(Delivery.edition_id == edition_id,
                                      Delivery.status == DeliveryStatus.QUEUED,
                                      Delivery.due_at <= now)
            .order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True))


def claim_batch(db: Database, edition_id: int, limit: int) -> tuple[str, list[Claimed]]:
    token, now = uuid.uuid4().hex, utcnow()
    with db.session() as session:
        due = due_rows(edition_id, now, limit)
        rows = session.execute(
            update(Delivery).where(Delivery.id.in_(due.scalar_subquery()))
            .values(status=DeliveryStatus.SENDING, claim=token, claimed_at=now,
                    attempts=Delivery.attempts + 1)
            .returning(Delivery.id, Delivery.email, Delivery.name, Delivery.subscriber_id,
                       Delivery.subscription_id, Delivery.attempts, Delivery.throttled)).all()
    return token, sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def drop_departed(db: Database, token: str, claimed: list[Claimed]) -> list[Claimed]:
    """Drop readers who left after the edition was queued: they must not get it."""
    ids = [c.subscription_id for c in claimed if c.subscription_id is not None]
    with db.session() as session:
        active = set(session.scalars(select(Subscription.id).where(
            Subscription.id.in_(ids), Subscription.status == SubscriptionStatus.ACTIVE)))
        gone = [c.id for c in claimed if c.subscription_id not in active]
        if gone:
            # Skipped, not failed: nothing went wrong, and an edition's failures should
            # only count mail that could not be delivered.
            session.execute(update(Delivery).where(Delivery.id.in_(gone),
                                                   Delivery.claim == token)
                            .values(status=DeliveryStatus.SKIPPED, claim=None,
                                    last_reply="not sent: the reader left before sending"))
    return [c for c in claimed if c.subscription_id in active]


def release(db: Database, rows: list[Claimed], token: str, reason: str,
            due_at: datetime | None = None, **values: Any) -> int:
    """Hand rows back unspent (their attempt does not count), due at `due_at` or shortly;
    `values` are further columns to set."""
    with db.session() as session:
        release_in(session, rows, token, reason, due_at, **values)
    return len(rows)


def release_in(session: Session, rows: list[Claimed], token: str, reason: str,
               due_at: datetime | None = None, **values: Any) -> int:
    """`release` in the caller's transaction; returns how many rows were still ours."""
    result = session.execute(update(Delivery).where(
        Delivery.id.in_([r.id for r in rows]), Delivery.claim == token,
        Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.QUEUED, claim=None, attempts=Delivery.attempts - 1,
                last_reply=reason[:500],
                due_at=due_at or utcnow() + timedelta(seconds=30), **values))
    return int(getattr(result, "rowcount", 0) or 0)


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
