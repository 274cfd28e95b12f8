"""Pages of subscribers, deliveries and one person's history, by keyset: each page starts
after the last key of the one before, so page 2,000 of a 100,000-reader list costs what
page 1 does (an OFFSET would read and throw away every row before it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from briefing.core.db import Database
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    Frequency,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.subscribers.frequency import Cadence
from briefing.subscribers.topics import topics_of

PAGE = 50


@dataclass(frozen=True)
class ReaderRow:
    subscriber_id: int
    email: str
    email_key: str
    name: str
    status: SubscriptionStatus
    consent_source: str
    consent_at: datetime
    gets: str = "daily"  # how often, and the topics chosen ("weekly:friday · science")


@dataclass(frozen=True)
class ReaderPage:
    rows: list[ReaderRow]
    next_after: str | None  # the key to start the next page after; None on the last page


def _literal_pattern(search: str) -> str:
    # The user's text is matched literally: % and _ are not wildcards here.
    literal = search.strip().casefold()
    for char in ("\\", "%", "_"):
        literal = literal.replace(char, "\\" + char)
    return f"%{literal}%"


def readers(db: Database, list_id: int, *, status: SubscriptionStatus | None = None,
            search: str = "", after: str = "", limit: int = PAGE) -> ReaderPage:
    """One page of a list's readers by address, starting after the address `after`.

    The addresses are walked in the order of their unique index and each is checked for a
    subscription (EXISTS on the list's unique pair), so no database sorts the whole list to
    show 50 of its readers; the page's subscriptions are then read by id."""
    member = select(Subscription.id).where(Subscription.list_id == list_id,
                                           Subscription.subscriber_id == Subscriber.id)
    if status is not None:
        member = member.where(Subscription.status == status)
    query = (select(Subscriber.id, Subscriber.email, Subscriber.email_key, Subscriber.name)
             .where(Subscriber.email_key > after, exists(member)))
    if search.strip():
        pattern = _literal_pattern(search)
        query = query.where(or_(Subscriber.email_key.like(pattern, escape="\\"),
                                func.lower(Subscriber.name).like(pattern, escape="\\")))
    with db.session() as session:
        people = session.execute(query.order_by(Subscriber.email_key).limit(limit + 1)).all()
        ids = [person.id for person in people[:limit]]
        subscriptions = {row.subscriber_id: row for row in session.execute(
            select(Subscription.subscriber_id, Subscription.status, Subscription.consent_source,
                   Subscription.consent_at, Subscription.frequency, Subscription.weekly_day,
                   Subscription.topics)
            .where(Subscription.list_id == list_id, Subscription.subscriber_id.in_(ids)))}
    rows = [ReaderRow(p.id, p.email, p.email_key, p.name,
                      SubscriptionStatus(subscriptions[p.id].status),
                      str(subscriptions[p.id].consent_source), subscriptions[p.id].consent_at,
                      _gets(subscriptions[p.id]))
            for p in people[:limit] if p.id in subscriptions]
    return ReaderPage(rows, people[limit - 1].email_key if len(people) > limit else None)


def _gets(row: Any) -> str:
    topics = topics_of(row.topics)
    cadence = str(Cadence(Frequency(row.frequency), row.weekly_day))
    return " · ".join([cadence, ", ".join(topics)]) if topics else cadence


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    edition_id: int
    list_slug: str
    edition_date: object
    email: str
    status: DeliveryStatus
    attempts: int
    last_reply: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class DeliveryPage:
    rows: list[DeliveryRow]
    next_after: int | None


def _deliveries_query() -> Select[*tuple[Any, ...]]:  # rows of DeliveryRow's fields
    return (select(Delivery.id, Delivery.edition_id, MailingList.slug, Edition.edition_date,
                   Delivery.email, Delivery.status, Delivery.attempts, Delivery.last_reply,
                   Delivery.sent_at)
            .join(Edition, Edition.id == Delivery.edition_id)
            .join(MailingList, MailingList.id == Edition.list_id))


def _delivery_rows(found: list[tuple[Any, ...]]) -> list[DeliveryRow]:
    return [DeliveryRow(*row) for row in found]


def edition_deliveries(db: Database, edition_id: int, *, status: DeliveryStatus | None = None,
                       after: int = 0, limit: int = PAGE) -> DeliveryPage:
    query = _deliveries_query().where(Delivery.edition_id == edition_id, Delivery.id > after)
    if status is not None:
        query = query.where(Delivery.status == status)
    with db.session() as session:
        found = [tuple(r) for r in session.execute(query.order_by(Delivery.id).limit(limit + 1))]
    rows = _delivery_rows(found[:limit])
    return DeliveryPage(rows, rows[-1].id if len(found) > limit else None)


def person_deliveries(db: Database, subscriber_id: int, limit: int = PAGE) -> list[DeliveryRow]:
    """A person's latest deliveries, newest first."""
    query = _deliveries_query().where(Delivery.subscriber_id == subscriber_id)
    with db.session() as session:
        found = [tuple(r) for r in session.execute(
            query.order_by(Delivery.id.desc()).limit(limit))]
    return _delivery_rows(found)


def person(db: Database, subscriber_id: int) -> Subscriber | None:
    with db.session() as session:
        return session.get(Subscriber, subscriber_id) if 0 < subscriber_id < 2**31 else None
