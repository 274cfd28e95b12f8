"""Sending at each reader's local time: when a reader's copy of an edition is due.

An edition for local date D of a list with `reader_time` is composed and rendered once, as
soon as the list's send time on D has come in any of its readers' zones (see
`schedule.first_due_date`); each delivery then gets its own due time, the list's send time
on D in the reader's zone (the list's zone for readers without one).  The send loop only
claims rows that are due, so nothing else changes: a copy due in eleven hours waits in the
queue, and the sweep starts the sender when it is due.

Wall-clock rules as for the list's own schedule: on the spring-forward day a send time inside
the missing hour falls on the first minute that exists after it; on the fall-back day a
repeated time means its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from briefing.core.models import (
    Delivery,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)

# The longest gap a DST change (or a zone changing its offset) leaves in local time.
_LONGEST_GAP_MINUTES = 24 * 60


def send_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC moment the wall clock in *zone* shows *at* on *day* (see the module doc)."""
    where = ZoneInfo(zone)
    wall = datetime.combine(day, at)
    for minutes in range(_LONGEST_GAP_MINUTES + 1):
        candidate = wall + timedelta(minutes=minutes)
        moment = candidate.replace(tzinfo=where, fold=0)
        if moment.astimezone(UTC).astimezone(where).replace(tzinfo=None) == candidate:
            return moment.astimezone(UTC)
    raise ValueError(f"{zone} has no wall-clock time after {wall}")  # no real zone does this


def reader_zones(session: Session, list_id: int) -> set[str]:
    """The distinct time zones of a list's active readers (those who gave one)."""
    return set(session.scalars(
        select(Subscriber.timezone).distinct()
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == list_id,
               Subscription.status == SubscriptionStatus.ACTIVE,
               Subscriber.timezone.is_not(None))))


def set_due_times(session: Session, edition_id: int, mailing_list: MailingList,
                  day: date) -> None:
    """Give each queued delivery of the edition its reader's due time: one UPDATE per
    distinct zone among the readers, never one per reader."""
    zones = reader_zones(session, mailing_list.id)
    default = send_instant(day, mailing_list.send_time, mailing_list.timezone)
    session.execute(update(Delivery).where(Delivery.edition_id == edition_id)
                    .values(due_at=default))
    for zone in sorted(zones - {mailing_list.timezone}):
        try:
            due = send_instant(day, mailing_list.send_time, zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a zone removed from the tz database: the list's time
        readers = select(Subscriber.id).where(Subscriber.timezone == zone)
        session.execute(update(Delivery).where(
            Delivery.edition_id == edition_id, Delivery.subscriber_id.in_(readers))
            .values(due_at=due))
