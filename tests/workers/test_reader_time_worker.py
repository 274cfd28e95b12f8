"""A real worker over Redis sends a reader-time list by each reader's own clock.

The list's send time is set two minutes ago in a zone three hours east of UTC: that reader's
copy is due now, the copies of readers in UTC and three hours west are due three and six
hours from now. The worker's scheduler builds the edition, its sender mails the one copy that
is due and leaves the others queued with their own due times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from briefing.core.db import Database, upgrade
from briefing.core.models import Delivery, DeliveryStatus, MailingList
from briefing.subscribers.frequency import DAYS
from briefing.subscribers.list_rules import RulesChange
from briefing.subscribers.lists import ListChanges, update_list
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, make_list
from tests.support.databases import make_settings
from tests.support.smtp import SMTPServer
from tests.support.worker import WorkerProcess, wait_for

EAST, WEST = "Etc/GMT-3", "Etc/GMT+3"  # POSIX signs: GMT-3 is three hours *ahead* of UTC


def reader_time_list(tmp_path: Path, smtp_server: SMTPServer, made_ago: timedelta,
                     rules: RulesChange | None = None) -> tuple[Database, Any, datetime]:
    """A list sent at each reader's 07:00-like time, two minutes ago three hours east of UTC,
    made *made_ago*: (database, settings, now to the minute)."""
    settings = make_settings(tmp_path / "var", **smtp_server.env())
    db = Database(settings.database_url)
    upgrade(db)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    send_at = (now + timedelta(hours=3) - timedelta(minutes=2)).time()  # 2 min ago, east
    make_list(db, timezone="UTC", send_time=send_at.strftime("%H:%M"))
    update_list(db, "daily", ListChanges(reader_time=True, rules=rules))
    with db.session() as session:
        session.execute(update(MailingList).values(created_at=now - made_ago))
    return db, settings, now


def test_the_worker_sends_each_copy_when_its_readers_clock_says_so(
        worker: WorkerProcess, worker_env: dict[str, str], smtp_server: SMTPServer,
        tmp_path: Path) -> None:
    env = {**worker_env, **smtp_server.env(), "BRIEFING_TICK_SECONDS": "1"}
    # Made yesterday, so today's send time counts.
    db, settings, now = reader_time_list(tmp_path, smtp_server, timedelta(days=1))
    for email, zone in (("east@example.com", EAST), ("utc@example.com", ""),
                        ("west@example.com", WEST)):
        add_subscriber(db, "daily", email, timezone=zone)
    add_news(db, settings, 2)

    worker.env = env
    worker.start(concurrency=1)
    wait_for(lambda: bool(smtp_server.recorder.to("east@example.com")), timeout=120,
             what=f"the east reader's copy; log:\n{worker.log_text()}")
    with db.session() as session:
        rows = {d.email: d for d in session.scalars(select(Delivery))}
    assert rows["east@example.com"].status == DeliveryStatus.SENT
    for email, hours in (("utc@example.com", 3), ("west@example.com", 6)):
        assert rows[email].status == DeliveryStatus.QUEUED, email
        assert rows[email].due_at == now - timedelta(minutes=2) + timedelta(hours=hours)
    assert [r for m in smtp_server.messages for r in m.recipients] == ["east@example.com"]
    db.dispose()


def test_the_worker_sends_weekly_and_topic_readers_their_own_copies(
        worker: WorkerProcess, worker_env: dict[str, str], smtp_server: SMTPServer,
        tmp_path: Path) -> None:
    env = {**worker_env, **smtp_server.env(), "BRIEFING_TICK_SECONDS": "1"}
    # Made over a week ago: this week's weekly is due too.
    db, settings, now = reader_time_list(tmp_path, smtp_server, timedelta(days=8),
                                         RulesChange(tags=["markets", "science"]))
    east_now = now + timedelta(hours=3)
    today = DAYS[(east_now - timedelta(minutes=2)).weekday()]
    tomorrow = DAYS[(east_now - timedelta(minutes=2) + timedelta(days=1)).weekday()]
    readers = {"all@example.com": ("daily", []), "science@example.com": ("daily", ["science"]),
               "weekly@example.com": (f"weekly:{today}", []),
               "weekly-later@example.com": (f"weekly:{tomorrow}", [])}
    for email, (frequency, topics) in readers.items():
        add_subscriber(db, "daily", email, timezone=EAST, frequency=frequency, topics=topics)
    add_news(db, settings, 1, prefix="Markets", tags=("markets",))
    add_news(db, settings, 1, prefix="Science", start=1, tags=("science",))

    worker.env = env
    worker.start(concurrency=1)
    due_now = ("all@example.com", "science@example.com", "weekly@example.com")
    wait_for(lambda: all(smtp_server.recorder.to(email) for email in due_now), timeout=120,
             what=f"the copies due now; log:\n{worker.log_text()}")
    text = {email: [m.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                    for m in smtp_server.recorder.to(email)] for email in readers}
    assert len(text["all@example.com"]) == 1 and "Markets" in text["all@example.com"][0]
    assert "Science" in text["all@example.com"][0]
    assert len(text["science@example.com"]) == 1
    assert "Markets" not in text["science@example.com"][0]
    assert len(text["weekly@example.com"]) == 1 and "Week of" in text["weekly@example.com"][0]
    assert text["weekly-later@example.com"] == []
    with db.session() as session:
        later = session.scalar(select(Delivery).where(
            Delivery.email == "weekly-later@example.com"))
    assert later is not None and later.status == DeliveryStatus.QUEUED
    assert later.due_at == now - timedelta(minutes=2) + timedelta(days=1)
    db.dispose()
