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

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, case, literal, select, update
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
    """Give each queued delivery of the edition its reader's due time, in one UPDATE that
    picks the time by the reader's zone (computed once per distinct zone, never per reader)."""
    default = send_instant(day, mailing_list.send_time, mailing_list.timezone)
    dues = zone_instants(reader_zones(session, mailing_list.id) - {mailing_list.timezone},
                         lambda zone: send_instant(day, mailing_list.send_time, zone))
    session.execute(update(Delivery).where(Delivery.edition_id == edition_id)
                    .values(due_at=due_by_zone(dues, default))
                    .execution_options(synchronize_session=False))


def zone_instants(zones: Iterable[str], instant: Callable[[str], datetime]
                  ) -> dict[str, datetime]:
    """*instant* for each zone the tz database still has (a removed one: the list's time)."""
    found: dict[str, datetime] = {}
    for zone in sorted(zones):
        try:
            found[zone] = instant(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return found


def due_by_zone(dues: dict[str, datetime], default: datetime) -> ColumnElement[datetime]:
    """A SQL expression for a delivery's due time: its reader's zone's, else *default*."""
    column_type = Delivery.__table__.c.due_at.type
    if not dues:
        return literal(default, column_type)
    zone = (select(Subscriber.timezone).where(Subscriber.id == Delivery.subscriber_id)
            .scalar_subquery())
    return case({name: literal(due, column_type) for name, due in dues.items()},
                value=zone, else_=literal(default, column_type))
