"""What the dashboard shows: each list's editions for today and tomorrow (its own local
dates) with their delivery counts, the scheduler's heartbeat and the queue
(briefing.operations.status), work waiting, a throttling pause, feeds in error. What nobody
measures yet is None."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionKind,
    Feed,
    MailingList,
)
from briefing.delivery.pacing import Pause
from briefing.delivery.send_edition import paused
from briefing.editions.feedback_rates import recent_rates
from briefing.editions.schedule import local_now
from briefing.editions.service import EditionInfo, edition_info
from briefing.operations.status import QueueStatus, SchedulerStatus, queue_status, scheduler_status
from briefing.subscribers.lists import all_lists


@dataclass(frozen=True)
class DayPlan:
    day: date
    send_at: str                # "07:00 Europe/Berlin"
    edition: EditionInfo | None  # None: not created yet


@dataclass(frozen=True)
class ListDays:
    slug: str
    name: str
    today: DayPlan
    tomorrow: DayPlan


@dataclass(frozen=True)
class Dashboard:
    lists: list[ListDays]
    scheduler: SchedulerStatus
    queue: QueueStatus
    articles_waiting: int      # new or being summarized
    deliveries_waiting: int    # queued or being sent
    pause: Pause | None
    feeds_in_error: list[Feed]
    bounce_rate: float | None  # last 7 days; None while no copy was accepted
    complaint_rate: float | None


def _day(db: Database, mailing_list: MailingList, day: date) -> DayPlan:
    with db.session() as session:
        edition_id = session.scalar(select(Edition.id).where(
            Edition.list_id == mailing_list.id, Edition.edition_date == day,
            Edition.kind == EditionKind.DAILY))
    send_at = f"{mailing_list.send_time:%H:%M} {mailing_list.timezone}"
    return DayPlan(day, send_at, edition_info(db, edition_id) if edition_id else None)


def list_days(db: Database, mailing_list: MailingList, now: datetime) -> ListDays:
    today = local_now(mailing_list, now).date()
    return ListDays(mailing_list.slug, mailing_list.name, _day(db, mailing_list, today),
                    _day(db, mailing_list, today + timedelta(days=1)))


def _waiting(db: Database) -> tuple[int, int]:
    with db.session() as session:
        articles = session.scalar(select(func.count()).where(Article.status.in_(
            [ArticleStatus.NEW, ArticleStatus.SUMMARIZING]))) or 0
        deliveries = session.scalar(select(func.count()).where(Delivery.status.in_(
            [DeliveryStatus.QUEUED, DeliveryStatus.SENDING]))) or 0
    return int(articles), int(deliveries)


def feeds_in_error(db: Database) -> list[Feed]:
    with db.session() as session:
        return list(session.scalars(select(Feed).where(Feed.last_error.is_not(None))
                                    .order_by(Feed.id).limit(50)))


def dashboard(db: Database, settings: Settings,
              queue_depth: Callable[[], int] | None) -> Dashboard:
    """`queue_depth` asks the broker (the core does not speak to it); None: embedded."""
    now = utcnow()
    articles, deliveries = _waiting(db)
    return Dashboard(lists=[list_days(db, row, now) for row in all_lists(db)],
                     scheduler=scheduler_status(db, settings, now),
                     queue=queue_status(queue_depth), articles_waiting=articles,
                     deliveries_waiting=deliveries, pause=paused(db, settings),
                     feeds_in_error=feeds_in_error(db), **_feedback(db))


def _feedback(db: Database) -> dict[str, float | None]:
    with db.session() as session:
        rates = recent_rates(session)
    if not rates.accepted:
        return {"bounce_rate": None, "complaint_rate": None}
    return {"bounce_rate": rates.bounce_rate, "complaint_rate": rates.complaint_rate}
