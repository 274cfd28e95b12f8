"""The weekly edition: the week's top stories for readers who asked for a weekly digest.

One weekly edition per list and week, composed and rendered once, as soon as the week's
first daily send time has come (Monday's, in the easternmost zone for a list sent at each
reader's local time). Its `edition_date` is that Monday; it holds what the list's articles
brought since the previous weekly (the past seven days for the first), ranked as the daily is
but with a week's half-life, so Monday's big story is not buried by Sunday's small one.
Each weekly reader's copy is due on the day they chose in that week, at the list's send time
in their zone (or the list's).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from briefing.core.models import (
    Delivery,
    Frequency,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.editions.reader_time import send_instant
from briefing.stories.ranking import HALF_LIFE_HOURS

WEEK = timedelta(days=7)
WEEKLY_HALF_LIFE_HOURS = HALF_LIFE_HOURS * 7


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def has_weekly_readers(session: Session, list_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        Subscription.list_id == list_id, Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.frequency == Frequency.WEEKLY))))


def weekly_window(previous_cutoff: datetime | None, now: datetime) -> datetime:
    """Where the weekly's news starts: the previous weekly's cutoff, else a week ago."""
    return previous_cutoff or now - WEEK


def set_weekly_due_times(session: Session, edition_id: int, mailing_list: MailingList,
                         monday: date) -> None:
    """Each weekly reader's copy is due on their day of the week at the list's send time,
    in their zone when the list sends at reader time: one UPDATE per (zone, day) pair."""
    pairs = session.execute(
        select(Subscriber.timezone, Subscription.weekly_day).distinct()
        .join(Delivery, Delivery.subscriber_id == Subscriber.id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.edition_id == edition_id)).all()
    for zone, weekday in pairs:
        where = zone if mailing_list.reader_time and zone else mailing_list.timezone
        try:
            due = send_instant(monday + timedelta(days=weekday % 7), mailing_list.send_time,
                               where)
        except (LookupError, ValueError):
            due = send_instant(monday + timedelta(days=weekday % 7), mailing_list.send_time,
                               mailing_list.timezone)
        readers = select(Subscriber.id).where(
            Subscriber.timezone.is_(None) if zone is None else Subscriber.timezone == zone)
        on_day = select(Subscription.id).where(Subscription.list_id == mailing_list.id,
                                               Subscription.weekly_day == weekday)
        session.execute(update(Delivery).where(
            Delivery.edition_id == edition_id, Delivery.subscriber_id.in_(readers),
            Delivery.subscription_id.in_(on_day)).values(due_at=due))
