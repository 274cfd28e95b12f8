"""Sending at each reader's local time: a frozen clock walks a week across a DST change.

Readers in Tokyo, Kolkata, Berlin and New York (and one without a zone) are on a list sent at
07:00 in each reader's time. Every quarter of an hour the scheduler ticks, due editions are
built and what is due is sent over real SMTP; each reader must get each day's edition once,
within the quarter hour after 07:00 on their own wall clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Delivery, DeliveryStatus, Edition
from briefing.editions.reader_time import send_instant
from briefing.subscribers.lists import ListChanges, update_list
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, list_database
from tests.support.databases import make_settings
from tests.support.service_clock import run_service
from tests.support.smtp import SMTPServer

READERS = {"tokyo@example.com": "Asia/Tokyo", "kolkata@example.com": "Asia/Kolkata",
           "berlin@example.com": "Europe/Berlin", "newyork@example.com": "America/New_York",
           "nozone@example.com": None}
LIST_ZONE = "Europe/London"
STEP = timedelta(minutes=15)
# The list is made when 07:00 has passed everywhere today (New York last, at 12:00 UTC), so
# its first edition is tomorrow's in every zone and no reader's first copy comes late.
START = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)
WEEKDAY_READER = "weekdays@example.com"  # New York, Monday to Friday only


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", **smtp_server.env())


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    with time_machine.travel(START, tick=False), list_database(settings) as database:
        update_list(database, "daily", ListChanges(timezone=LIST_ZONE, reader_time=True))
        for email, zone in READERS.items():
            add_subscriber(database, "daily", email, timezone=zone or "")
        add_subscriber(database, "daily", WEEKDAY_READER, timezone="America/New_York",
                       frequency="weekdays")
        yield database


def walk(db: Database, settings: Settings, start: datetime, end: datetime) -> None:
    """Tick, build and send every quarter hour; a day's news arrives at 12:30 UTC."""
    run_service(db, settings, start, end, step=STEP,
                news=lambda day: add_news(db, settings, 2, prefix=f"Day{day}", start=2 * day))


def test_each_reader_gets_each_edition_once_at_seven_on_their_own_clock_across_dst(
        db: Database, settings: Settings, smtp_server: SMTPServer) -> None:
    # New York springs forward on 8 March 2026, Europe on 29 March: the week holds the
    # weeks when New York is four hours from London instead of five.
    end = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
    walk(db, settings, START, end)
    with db.session() as session:
        editions = {e.id: e.edition_date for e in session.scalars(select(Edition))}
        everything = list(session.scalars(select(Delivery)))
    weekday_days = {editions[d.edition_id] for d in everything if d.email == WEEKDAY_READER}
    assert weekday_days == {date(2026, 3, 5) + timedelta(days=n) for n in range(8)} - {
        date(2026, 3, 7), date(2026, 3, 8)}  # no Saturday, no Sunday (12 March: queued)
    everything = [d for d in everything if d.email != WEEKDAY_READER]
    deliveries = [d for d in everything if d.status == DeliveryStatus.SENT]
    waiting = [d for d in everything if d.status != DeliveryStatus.SENT]
    # What is not sent yet is 12 March's edition for readers still before 07:00 then.
    assert all(d.status == DeliveryStatus.QUEUED and d.due_at >= end for d in waiting)
    assert {editions[d.edition_id] for d in waiting} <= {date(2026, 3, 12)}
    copies = Counter((d.email, editions[d.edition_id]) for d in deliveries)
    assert max(copies.values()) == 1  # nobody gets one edition twice
    for delivery in deliveries:
        zone = ZoneInfo(READERS[delivery.email] or LIST_ZONE)
        assert delivery.sent_at is not None
        local = delivery.sent_at.astimezone(zone)
        assert local.date() == editions[delivery.edition_id], delivery.email
        assert time(7, 0) <= local.time() < time(7, 15), (delivery.email, local)
    received = Counter(r for m in smtp_server.messages for r in m.recipients)
    got = {email: {day for (who, day) in copies if who == email} for email in READERS}
    # Every reader has a copy of each day's edition, 5 to 11 March, none missing.
    week = {date(2026, 3, 5) + timedelta(days=n) for n in range(7)}
    for email, days in got.items():
        assert days >= week, (email, sorted(week - days))
        assert received[email] == len(days)


def test_a_send_time_inside_the_missing_hour_falls_on_the_first_minute_that_exists() -> None:
    # 02:30 does not exist in New York on 8 March 2026: 03:00 EDT is the first minute after.
    assert send_instant(date(2026, 3, 8), time(2, 30), "America/New_York") == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC)
    # 01:30 happens twice on 1 November 2026: the first one counts (still EDT).
    assert send_instant(date(2026, 11, 1), time(1, 30), "America/New_York") == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)
    assert send_instant(date(2026, 3, 5), time(7, 0), "Asia/Kolkata") == datetime(
        2026, 3, 5, 1, 30, tzinfo=UTC)


def test_a_list_sent_at_its_own_time_is_untouched_by_readers_zones(
        db: Database, settings: Settings) -> None:
    update_list(db, "daily", ListChanges(reader_time=False))
    walk(db, settings, START, datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    with db.session() as session:
        sent = [d.sent_at for d in session.scalars(select(Delivery))]
    london = {s.astimezone(ZoneInfo(LIST_ZONE)).replace(second=0, microsecond=0).time()
              for s in sent if s is not None}
    assert london == {time(7, 0)} and len(sent) == 2 * (len(READERS) + 1)


def test_a_bad_time_zone_is_refused(db: Database) -> None:
    from briefing.core.errors import InputError

    with pytest.raises(InputError, match="not an IANA time zone"):
        add_subscriber(db, "daily", "mars@example.com", timezone="Mars/Olympus_Mons")
