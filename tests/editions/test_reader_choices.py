"""Each reader's own briefing: their zone, their frequency and their topics, over two weeks.

A list sent at 07:00 in each reader's time offers two topics (markets, science). Its readers
are in Tokyo, Kolkata, Berlin and New York; some read daily, one on weekdays only, three
weekly (each on their own day), and two chose a topic. A frozen clock walks from Thursday
26 February 2026 to Wednesday 11 March, across New York's change to summer time on Sunday
8 March; every quarter of an hour the scheduler ticks, due editions are built and what is due
is sent over real SMTP. Each day at 12:30 UTC brings one markets and one science article.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionKind,
    EditionVariant,
)
from briefing.editions.service import list_editions
from briefing.subscribers.list_rules import RulesChange
from briefing.subscribers.lists import ListChanges, update_list
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, list_database
from tests.support.databases import make_settings
from tests.support.service_clock import run_service
from tests.support.smtp import Received, SMTPServer

LIST_ZONE = "Europe/London"
STEP = timedelta(minutes=15)
START = datetime(2026, 2, 26, 12, 30, tzinfo=UTC)  # a Thursday, after 07:00 everywhere
END = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 2, 27)  # the list's first daily edition, in every zone
MONDAYS = (date(2026, 3, 2), date(2026, 3, 9))  # the weekly editions' weeks


@dataclass(frozen=True)
class Reader:
    zone: str
    frequency: str = "daily"
    topics: tuple[str, ...] = ()


READERS = {
    "tokyo@example.com": Reader("Asia/Tokyo"),
    "kolkata@example.com": Reader("Asia/Kolkata", topics=("science",)),
    "berlin@example.com": Reader("Europe/Berlin", "weekly:friday", ("markets",)),
    "newyork@example.com": Reader("America/New_York", "weekdays"),
    "ny-weekly@example.com": Reader("America/New_York", "weekly:sunday"),
    "tokyo-weekly@example.com": Reader("Asia/Tokyo", "weekly:monday"),
}
WEEKDAY = {"friday": 4, "sunday": 6, "monday": 0}


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", **smtp_server.env())


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    with time_machine.travel(START, tick=False), list_database(settings) as database:
        update_list(database, "daily", ListChanges(
            timezone=LIST_ZONE, reader_time=True,
            rules=RulesChange(tags=["markets", "science"])))
        for email, reader in READERS.items():
            add_subscriber(database, "daily", email, timezone=reader.zone,
                           frequency=reader.frequency, topics=list(reader.topics))
        yield database


def walk(db: Database, settings: Settings, start: datetime, end: datetime) -> None:
    def news(day: int) -> None:
        add_news(db, settings, 1, prefix=f"Markets{day}", start=4 * day, tags=("markets",))
        add_news(db, settings, 1, prefix=f"Science{day}", start=4 * day + 1,
                 tags=("science",))

    # A second walk goes on with fresh news: one article of each topic a day so far.
    run_service(db, settings, start, end, step=STEP, news=news,
                first_day=math.ceil((start - START) / timedelta(days=1)))


def expected(email: str) -> set[tuple[EditionKind, date]]:
    """The editions a reader should have had by END: (kind, edition date)."""
    reader = READERS[email]
    days = [FIRST_DAY + timedelta(days=n) for n in range(14)]  # 27 Feb … 12 Mar
    if reader.frequency.startswith("weekly"):
        weekday = WEEKDAY[reader.frequency.partition(":")[2]]
        return {(EditionKind.WEEKLY, monday) for monday in MONDAYS
                if _instant(monday + timedelta(days=weekday), reader.zone) < END}
    if reader.frequency == "weekdays":
        days = [day for day in days if day.weekday() < 5]
    return {(EditionKind.DAILY, day) for day in days if _instant(day, reader.zone) < END}


def _instant(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(7, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_day(kind: EditionKind, edition_date: date, email: str) -> date:
    """The reader's own date their copy of the edition is due on."""
    frequency = READERS[email].frequency
    if kind == EditionKind.DAILY:
        return edition_date
    return edition_date + timedelta(days=WEEKDAY[frequency.partition(":")[2]])


def test_each_reader_gets_exactly_their_editions_at_seven_their_time_each_once(
        db: Database, settings: Settings, smtp_server: SMTPServer) -> None:
    walk(db, settings, START, END)
    with db.session() as session:
        editions = {e.id: (e.kind, e.edition_date) for e in session.scalars(select(Edition))}
        sent = [d for d in session.scalars(select(Delivery))
                if d.status == DeliveryStatus.SENT]
    copies = Counter((d.email, editions[d.edition_id]) for d in sent)
    assert max(copies.values()) == 1  # nobody gets one edition twice
    for email in READERS:
        got = {edition for (who, edition) in copies if who == email}
        assert got == expected(email), (email, sorted(got ^ expected(email)))
        assert len(smtp_server.recorder.to(email)) == len(got)
    for delivery in sent:
        kind, edition_date = editions[delivery.edition_id]
        assert delivery.sent_at is not None
        local = delivery.sent_at.astimezone(ZoneInfo(READERS[delivery.email].zone))
        assert local.date() == local_day(kind, edition_date, delivery.email), delivery.email
        assert time(7, 0) <= local.time() < time(7, 15), (delivery.email, local)
    # New York's weekly reader got the first weekly on the Sunday New York changed clocks.
    assert {d.sent_at.astimezone(ZoneInfo("America/New_York")).date() for d in sent
            if d.email == "ny-weekly@example.com" and d.sent_at} == {date(2026, 3, 8)}


def headlines(messages: list[Received]) -> list[str]:
    found = []
    for received in messages:
        text = received.message.get_body(("plain",))
        assert text is not None
        found.append(text.get_content())
    return found


def test_topic_readers_get_only_their_topics_and_the_rest_get_everything(
        db: Database, settings: Settings, smtp_server: SMTPServer) -> None:
    walk(db, settings, START, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    kolkata = headlines(smtp_server.recorder.to("kolkata@example.com"))
    tokyo = headlines(smtp_server.recorder.to("tokyo@example.com"))
    berlin = headlines(smtp_server.recorder.to("berlin@example.com"))
    assert kolkata and all("Science" in t and "Markets" not in t for t in kolkata)
    assert tokyo and all("Science" in t and "Markets" in t for t in tokyo)
    # Berlin's weekly (Friday 6 March): the week's markets stories, not one science story.
    assert len(berlin) == 1 and "Markets" in berlin[0] and "Science" not in berlin[0]
    assert "Week of" in berlin[0]
    assert "Markets0" in berlin[0] or "Markets1" in berlin[0]  # from days before the Monday


def test_renders_follow_the_distinct_choices_of_topics_not_the_readers(
        db: Database, settings: Settings) -> None:
    for n in range(30):  # thirty more daily readers, with the same two choices between them
        add_subscriber(db, "daily", f"more{n}@example.com", timezone="Asia/Tokyo",
                       topics=["science"] if n % 2 else [])
    walk(db, settings, START, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    with db.session() as session:
        per_edition = session.execute(
            select(Edition.kind, func.count(EditionVariant.id))
            .outerjoin(EditionVariant, EditionVariant.edition_id == Edition.id)
            .group_by(Edition.id, Edition.kind)).all()
    # Dailies: the edition itself and one science rendering (Kolkata's and 15 others').
    # The weekly: the edition itself and one markets rendering (Berlin's).
    assert {(kind, count) for kind, count in per_edition} == {
        (EditionKind.DAILY, 1), (EditionKind.WEEKLY, 1)}
    assert len(per_edition) == 6  # dailies of 27 February to 3 March, and one weekly
    shown = list_editions(db, "daily")  # what `briefing editions list` and the API show
    assert [(e.kind, e.edition_date) for e in shown if e.kind == EditionKind.WEEKLY] == [
        (EditionKind.WEEKLY, date(2026, 3, 2))]


def test_switching_from_weekly_to_daily_skips_the_queued_weekly_and_sends_dailies(
        db: Database, settings: Settings, smtp_server: SMTPServer) -> None:
    walk(db, settings, START, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # weekly queued
    add_subscriber(db, "daily", "berlin@example.com", frequency="daily")
    walk(db, settings, datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
         datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    with db.session() as session:
        rows = session.execute(select(Edition.kind, Delivery.status, Delivery.last_reply)
                               .join(Edition, Edition.id == Delivery.edition_id)
                               .where(Delivery.email == "berlin@example.com")).all()
    weekly = [row for row in rows if row.kind == EditionKind.WEEKLY]
    daily = [row for row in rows if row.kind == EditionKind.DAILY]
    assert [(row.status, row.last_reply) for row in weekly] == [
        (DeliveryStatus.SKIPPED, "not sent: the reader changed frequency before sending")]
    # From the next edition built after the change: 4, 5 and 6 March sent (3 March's was
    # queued before it, while she was a weekly reader), 7 March's queued for her 07:00.
    assert sorted(row.status for row in daily) == [DeliveryStatus.QUEUED] + [
        DeliveryStatus.SENT] * 3
    assert len(smtp_server.recorder.to("berlin@example.com")) == 3
