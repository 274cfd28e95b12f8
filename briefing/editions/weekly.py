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
from functools import partial

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from briefing.core.models import (
    Delivery,
    Frequency,
    MailingList,
    Subscription,
    SubscriptionStatus,
)
from briefing.editions.reader_time import due_by_zone, reader_zones, send_instant, zone_instants
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
    in their zone when the list sends at reader time: one UPDATE per weekday, picking the
    time by zone (computed once per distinct zone and day, never per reader)."""
    zones = reader_zones(session, mailing_list.id) if mailing_list.reader_time else set()
    for weekday in range(7):
        day = monday + timedelta(days=weekday)
        default = send_instant(day, mailing_list.send_time, mailing_list.timezone)
        dues = zone_instants(zones - {mailing_list.timezone},
                             partial(send_instant, day, mailing_list.send_time))
        on_day = select(Subscription.id).where(Subscription.list_id == mailing_list.id,
                                               Subscription.weekly_day == weekday)
        session.execute(update(Delivery).where(
            Delivery.edition_id == edition_id, Delivery.subscription_id.in_(on_day))
            .values(due_at=due_by_zone(dues, default))
            .execution_options(synchronize_session=False))
