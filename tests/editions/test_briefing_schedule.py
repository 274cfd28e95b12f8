"""When briefings go out: at the list's local send time, by the wall clock, across DST changes,
once per local date; and through a real worker whose beat does the ticking."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Article, Delivery, Edition, EditionStatus, MailingList
from briefing.delivery import send_edition as deliver
from briefing.editions import schedule
from briefing.editions.compose import build_edition
from tests.support.briefing_data import add_news, add_readers, make_list
from tests.support.databases import make_settings
from tests.support.smtp import SMTPServer
from tests.support.worker import WorkerProcess, wait_for

ZONES = {"berlin": "Europe/Berlin", "new-york": "America/New_York", "kolkata": "Asia/Kolkata"}
Firings = dict[str, list[tuple[datetime, date]]]


@pytest.fixture
def sched_db(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url)
    upgrade(db)
    yield db
    db.dispose()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def lists_created_at(db: Database, when: datetime, send_time: str,
                     zones: dict[str, str]) -> None:
    with time_machine.travel(when, tick=False):
        for slug, zone in zones.items():
            make_list(db, slug, timezone=zone, send_time=send_time)


def tick_every_minute(db: Database, start: datetime, end: datetime) -> Firings:
    """What the beat would do: ask once a minute; record which edition appeared when."""
    fired: Firings = defaultdict(list)
    with time_machine.travel(start, tick=False) as clock:
        now = start
        while now <= end:
            clock.move_to(now)
            for edition_id in schedule.create_due_editions(db):
                with db.session() as session:
                    edition = session.get(Edition, edition_id)
                    assert edition is not None
                    mailing_list = session.get(MailingList, edition.list_id)
                    assert mailing_list is not None
                fired[mailing_list.slug].append((now, edition.edition_date))
            now += timedelta(minutes=1)
    return fired


def on(fired: Firings, slug: str, day: date) -> list[datetime]:
    return [when for when, edition_date in fired[slug] if edition_date == day]


@pytest.mark.parametrize("day", [
    date(2026, 6, 15),
    date(2026, 3, 8),    # New York springs forward
    date(2026, 3, 29),   # Berlin springs forward
    date(2026, 10, 25),  # Berlin falls back
    date(2026, 11, 1),   # New York falls back
], ids=str)
def test_each_list_gets_its_edition_at_seven_local_time_and_not_a_minute_before(
        sched_db: Database, day: date) -> None:
    lists_created_at(sched_db, utc(2026, 1, 1, 12, 0), "07:00", ZONES)
    start = datetime.combine(day - timedelta(days=1), time(18, 0), tzinfo=UTC)
    fired = tick_every_minute(sched_db, start, start + timedelta(hours=20))
    for slug, zone in ZONES.items():
        assert on(fired, slug, day) == [local(zone, day, time(7, 0))], slug
    # Sanity: the New York edition is not an hour off on its DST days.
    expected_ny = {date(2026, 3, 8): 11, date(2026, 11, 1): 12}.get(day)
    if expected_ny is not None:
        assert on(fired, "new-york", day)[0].hour == expected_ny


@pytest.mark.parametrize(("zone", "day", "send_time", "fires_at"), [
    # 02:30 does not exist on spring-forward day: the first minute after it, 03:00 local.
    ("Europe/Berlin", date(2026, 3, 29), "02:30", utc(2026, 3, 29, 1, 0)),
    ("America/New_York", date(2026, 3, 8), "02:30", utc(2026, 3, 8, 7, 0)),
    # The clock shows this time twice on fall-back day: the first one, and only once.
    ("Europe/Berlin", date(2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30)),
    ("America/New_York", date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30)),
], ids=["berlin-gap", "new-york-gap", "berlin-twice", "new-york-twice"])
def test_send_times_the_dst_change_skips_or_repeats_fire_once(
        sched_db: Database, zone: str, day: date, send_time: str, fires_at: datetime) -> None:
    lists_created_at(sched_db, utc(2026, 1, 1, 12, 0), send_time, {"night": zone})
    start = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    fired = tick_every_minute(sched_db, start, start + timedelta(hours=6))
    assert fired["night"] == [(fires_at, day)]


def test_a_list_created_after_todays_send_time_starts_tomorrow(sched_db: Database) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    today = date(2026, 6, 15)
    lists_created_at(sched_db, datetime(2026, 6, 15, 10, 0, tzinfo=berlin), "07:00",
                     {"late": "Europe/Berlin"})
    lists_created_at(sched_db, datetime(2026, 6, 15, 6, 30, tzinfo=berlin), "07:00",
                     {"early": "Europe/Berlin"})
    fired = tick_every_minute(sched_db, utc(2026, 6, 15, 4, 0), utc(2026, 6, 16, 6, 0))
    tomorrow = today + timedelta(days=1)
    assert fired["late"] == [(local("Europe/Berlin", tomorrow, time(7, 0)), tomorrow)]
    assert fired["early"] == [(local("Europe/Berlin", today, time(7, 0)), today),
                              (local("Europe/Berlin", tomorrow, time(7, 0)), tomorrow)]


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL="https://news.example.org",
                         **smtp_server.env())


def tick_and_build(db: Database, settings: Settings) -> tuple[int, EditionStatus | None]:
    (edition_id,) = schedule.create_due_editions(db)
    return edition_id, build_edition(db, edition_id, settings)


def test_a_day_without_news_makes_an_empty_edition_and_sends_nothing(
        mail_settings: Settings, smtp_server: SMTPServer) -> None:
    db = Database(mail_settings.database_url)
    upgrade(db)
    with time_machine.travel(utc(2026, 6, 14, 12, 0), tick=False) as clock:
        make_list(db)
        add_readers(db, "daily", 5)
        clock.move_to(utc(2026, 6, 15, 7, 0))
        edition_id, status = tick_and_build(db, mail_settings)
        assert status == EditionStatus.EMPTY
        assert deliver.send_some(db, edition_id, mail_settings).sent == 0
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None and edition.note and "no new articles" in edition.note
        assert session.scalars(select(Delivery)).first() is None
    assert smtp_server.messages == []


def test_after_an_empty_day_the_next_edition_has_all_news_since_the_last_cutoff(
        mail_settings: Settings, smtp_server: SMTPServer) -> None:
    db = Database(mail_settings.database_url)
    upgrade(db)
    with time_machine.travel(utc(2026, 6, 14, 12, 0), tick=False) as clock:
        make_list(db)
        readers = add_readers(db, "daily", 2)
        clock.move_to(utc(2026, 6, 15, 6, 0))
        monday_news = add_news(db, mail_settings, 1, prefix="Monday")
        clock.move_to(utc(2026, 6, 15, 7, 0))
        monday, status = tick_and_build(db, mail_settings)
        assert status == EditionStatus.SENDING
        deliver.send_some(db, monday, mail_settings)

        clock.move_to(utc(2026, 6, 16, 7, 0))
        tuesday, status = tick_and_build(db, mail_settings)
        assert status == EditionStatus.EMPTY
        clock.move_to(utc(2026, 6, 16, 7, 30))
        late_news = add_news(db, mail_settings, 2, prefix="Tuesday", start=1)

        # Nobody ticks on Wednesday (the scheduler was down); Thursday's edition, more than
        # a day after that news, must still carry it.
        clock.move_to(utc(2026, 6, 18, 7, 0))
        thursday, status = tick_and_build(db, mail_settings)
        assert status == EditionStatus.SENDING
        deliver.send_some(db, thursday, mail_settings)

    with db.session() as session:
        editions = {e.id: e for e in session.scalars(select(Edition))}
        titles = {a.id: a.title for a in session.scalars(select(Article))}
    assert editions[monday].article_ids == monday_news
    assert editions[tuesday].status == EditionStatus.EMPTY
    assert editions[thursday].since == editions[tuesday].cutoff
    assert sorted(editions[thursday].article_ids or []) == sorted(late_news)
    assert len(smtp_server.messages) == 2 * len(readers)
    thursday_mail = smtp_server.messages[-1].message.get_body(preferencelist=("plain",))
    assert thursday_mail is not None
    content = thursday_mail.get_content()
    assert all(titles[i] in content for i in late_news)
    assert titles[monday_news[0]] not in content


def ticks_done(worker: WorkerProcess) -> int:
    return len(re.findall(r"Task briefing\.tick\[[^\]]+\] succeeded", worker.log_text()))


def test_the_worker_beat_builds_and_sends_the_due_edition_once(
        worker: WorkerProcess, worker_env: dict[str, str], smtp_server: SMTPServer) -> None:
    worker_env.update({**smtp_server.env(), "BRIEFING_TICK_SECONDS": "1",
                       "BRIEFING_BASE_URL": "https://news.example.org"})
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=2), tick=False):
        make_list(db, send_time="00:00")  # in UTC, so today's send time has passed
    readers = add_readers(db, "daily", 12)
    add_news(db, settings, 3)

    worker.start()
    try:
        wait_for(lambda: len(smtp_server.messages) >= len(readers), 90,
                 what=f"{len(readers)} briefings at the SMTP server")

        def sent() -> bool:
            with db.session() as session:
                return session.scalars(select(Edition.status)).all() == [EditionStatus.SENT]

        wait_for(sent, 30, what="the edition to be marked sent")
        # A few more beat ticks and sweeps run: none may create or send anything again.
        ticks_so_far = ticks_done(worker)
        wait_for(lambda: ticks_done(worker) >= ticks_so_far + 3
                 and "Task briefing.sweep" in worker.log_text(), 30, what="more beat ticks")
    finally:
        worker.stop()
    assert sorted(a for m in smtp_server.messages for a in m.recipients) == sorted(readers)
    with db.session() as session:
        assert len(session.scalars(select(Edition)).all()) == 1
