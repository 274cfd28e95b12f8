"""Delivering an edition against SMTP servers that misbehave: every reader gets exactly one
copy, hard bounces stop, and nothing is lost to a dropped line, an outage or a dead worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.delivery import claims, outcomes
from briefing.delivery import send_edition as deliver
from briefing.editions import schedule
from briefing.editions.compose import build_edition
from briefing.editions.service import edition_info, ensure_edition
from briefing.mail import verp
from briefing.server import create_app
from briefing.subscribers.subscriptions import add_subscriber, unsubscribe_token
from briefing.subscribers.subscriptions import unsubscribe as unsubscribe_with
from tests.support.briefing_data import (
    add_news,
    add_readers,
    deliveries,
    list_database,
    make_list,
)
from tests.support.databases import make_settings
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401
from tests.support.threads import run_together
from tests.support.worker import wait_for

NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
STUCK_AFTER = 120


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mail_settings(tmp_path: Path, faulty_smtp: FaultySMTPServer) -> Settings:  # noqa: F811
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL="https://news.example.org",
                         BRIEFING_BOUNCE_LIMIT="2", BRIEFING_SEND_BATCH="20",
                         BRIEFING_STUCK_AFTER_SECONDS=str(STUCK_AFTER), **faulty_smtp.env())


@pytest.fixture
def mail_db(mail_settings: Settings, clock: time_machine.Coordinates) -> Iterator[Database]:
    with list_database(mail_settings) as db:
        yield db


@pytest.fixture
def shared_db(any_db: Database, clock: time_machine.Coordinates) -> Database:
    """SQLite and PostgreSQL alike, with the list in place."""
    make_list(any_db)
    return any_db


def queued_edition(db: Database, settings: Settings, day: date | None = None) -> int:
    edition_id, _ = ensure_edition(db, "daily", day)
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    return edition_id


def edition_status(db: Database, edition_id: int) -> EditionStatus:
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None
        return edition.status


def counts(db: Database, edition_id: int) -> dict[str, int]:
    return {k: v for k, v in claims.edition_counts(db, edition_id).items() if v}


def assert_everyone_has_it(db: Database, edition_id: int, smtp: FaultySMTPServer,
                           readers: list[str]) -> None:
    """The edition is sent, each reader has exactly one copy, and nobody else got one."""
    assert counts(db, edition_id) == {"sent": len(readers)}
    assert edition_status(db, edition_id) == EditionStatus.SENT
    assert_one_copy_each(smtp, readers)


def assert_one_copy_each(smtp: FaultySMTPServer, readers: list[str]) -> None:
    assert smtp.accepted == dict.fromkeys(readers, 1)
    message_ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(set(message_ids)) == len(readers)


def test_a_server_saying_slow_down_pauses_the_account_and_spends_no_attempts(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(mail_db, "daily", 30)
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    faulty_smtp.throttle("451 4.7.0 Rate limit exceeded, try again later", times=1)

    first = deliver.send_some(mail_db, edition_id, mail_settings)
    # One refusal stops the batch: the other 19 claimed rows are not thrown at the server.
    assert (first.sent, first.retrying, first.failed, first.released) == (0, 0, 0, 20)
    assert first.stopped is not None and "throttled" in first.stopped
    assert faulty_smtp.handler.throttled == 1 and not faulty_smtp.accepted
    assert counts(mail_db, edition_id) == {"queued": 30}
    assert {d.attempts for d in deliveries(mail_db, edition_id)} == {0}
    pause_ends = NOW + timedelta(seconds=mail_settings.smtp_throttle_pause)
    assert deliver.next_attempt(mail_db, edition_id, mail_settings) == pause_ends

    during = deliver.send_some(mail_db, edition_id, mail_settings)  # another sender, paused
    assert during.sent == 0 and during.stopped is not None and "paused until" in during.stopped
    assert faulty_smtp.handler.throttled == 1 and not faulty_smtp.accepted
    with TestClient(create_app(mail_settings)) as client:
        shown = client.get(f"/api/editions/{edition_id}",
                           headers={"Authorization": "Bearer test-token"}).json()
    assert shown["status"] == "sending"
    assert datetime.fromisoformat(shown["paused_until"]) == pause_ends
    assert "Rate limit exceeded" in shown["pause_reply"]

    clock.shift(timedelta(seconds=mail_settings.smtp_throttle_pause + 1))
    assert deliver.send_some(mail_db, edition_id, mail_settings).sent == 30
    assert_everyone_has_it(mail_db, edition_id, faulty_smtp, readers)


def test_throttling_longer_than_the_attempt_limit_loses_no_mail(
        shared_db: Database, tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_DELIVERY_MAX_ATTEMPTS="2",
                             BRIEFING_SEND_BATCH="10", **faulty_smtp.env())
    # Refused more times than there are readers: every reader meets it more often than the
    # attempt limit allows, which used to fail them all. A 421 also hangs up, as Gmail does.
    faulty_smtp.throttle("421 4.7.0 Try again later, closing connection.", times=30)
    readers = add_readers(shared_db, "daily", 25)
    add_news(shared_db, settings, 1)
    edition_id = queued_edition(shared_db, settings)
    for _ in range(40):
        deliver.send_some(shared_db, edition_id, settings)
        clock.shift(timedelta(hours=1, seconds=1))
    assert counts(shared_db, edition_id) == {"sent": 25}
    assert faulty_smtp.handler.throttled == 30
    assert edition_status(shared_db, edition_id) == EditionStatus.SENT
    assert_one_copy_each(faulty_smtp, readers)


def test_a_reader_the_server_alone_keeps_throttling_does_not_stall_the_edition(
        tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    # A relay rule for one recipient that reads like "slow down": pausing the account for
    # it again and again would hold back this edition, and every list, for good.
    settings = make_settings(tmp_path / "var", BRIEFING_DELIVERY_MAX_ATTEMPTS="3",
                             BRIEFING_SEND_BATCH="10", **faulty_smtp.env())
    with list_database(settings) as db:
        readers = add_readers(db, "daily", 12)
        odd_one = readers[4]
        faulty_smtp.reject(odd_one, "451 4.7.1 Service unavailable, try again later")
        add_news(db, settings, 1)
        edition_id = queued_edition(db, settings)

        first = deliver.send_some(db, edition_id, settings)  # looks like the account's fault
        assert first.sent == 4 and first.stopped is not None and "throttled" in first.stopped
        clock.shift(timedelta(seconds=settings.smtp_throttle_pause + 1))

        second = deliver.send_some(db, edition_id, settings)  # refused again: the next decides
        assert second.sent == 7 and second.stopped is None
        assert deliver.paused(db, settings) is None  # the account was not paused again
        assert counts(db, edition_id) == {"sent": 11, "queued": 1}
        (odd,) = [d for d in deliveries(db, edition_id) if d.email == odd_one]
        assert odd.attempts == 1  # its own fault now: the attempt is spent
        assert odd.last_reply is not None and "for this reader alone" in odd.last_reply

        for _ in range(4):  # alone in its batch from now on: retried like any 4xx, then failed
            clock.shift(timedelta(hours=2))
            assert deliver.send_some(db, edition_id, settings).stopped is None
        assert counts(db, edition_id) == {"sent": 11, "failed": 1}
        assert edition_status(db, edition_id) == EditionStatus.SENT
    assert_one_copy_each(faulty_smtp, [r for r in readers if r != odd_one])


def test_greylisted_readers_are_retried_after_the_backoff_and_get_one_copy(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(mail_db, "daily", 30)
    greylisted = readers[3:6]
    for address in greylisted:
        faulty_smtp.tempfail(address, times=2)
    add_news(mail_db, mail_settings, 2)
    edition_id = queued_edition(mail_db, mail_settings)

    first = deliver.send_some(mail_db, edition_id, mail_settings)
    assert (first.sent, first.retrying, first.failed) == (27, 3, 0)
    assert counts(mail_db, edition_id) == {"sent": 27, "queued": 3}
    assert edition_status(mail_db, edition_id) == EditionStatus.SENDING
    waiting = [d for d in deliveries(mail_db, edition_id) if d.email in greylisted]
    assert all(d.last_reply and d.last_reply.startswith("451") for d in waiting)

    assert deliver.send_some(mail_db, edition_id, mail_settings).sent == 0  # still backing off
    clock.shift(outcomes.backoff(1) + timedelta(seconds=1))
    assert deliver.send_some(mail_db, edition_id, mail_settings).retrying == 3  # 451 again
    assert edition_status(mail_db, edition_id) == EditionStatus.SENDING
    clock.shift(outcomes.backoff(2) + timedelta(seconds=1))
    assert deliver.send_some(mail_db, edition_id, mail_settings).sent == 3

    assert_everyone_has_it(mail_db, edition_id, faulty_smtp, readers)


@pytest.mark.parametrize(("in_data", "readers_count"), [(False, 2000), (True, 300)],
                         ids=["between-messages", "during-data"])
def test_a_dropped_connection_mid_batch_loses_and_doubles_nothing(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates, in_data: bool, readers_count: int) -> None:
    readers = add_readers(mail_db, "daily", readers_count)
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    faulty_smtp.drop_after(177, in_data=in_data)

    first = deliver.send_some(mail_db, edition_id, mail_settings, max_batches=1000)
    assert faulty_smtp.handler.drops == 1
    assert (first.sent, first.retrying) == (readers_count - 1, 1)
    (waiting,) = [d for d in deliveries(mail_db, edition_id)
                  if d.status == DeliveryStatus.QUEUED]
    assert waiting.email == readers[177]
    if in_data:  # the body went out before the line died: resent with the same Message-ID
        assert waiting.last_reply and "same Message-ID" in waiting.last_reply

    clock.shift(outcomes.backoff(1) + timedelta(seconds=1))
    assert deliver.send_some(mail_db, edition_id, mail_settings).sent == 1
    assert counts(mail_db, edition_id) == {"sent": readers_count}
    assert edition_status(mail_db, edition_id) == EditionStatus.SENT
    assert_one_copy_each(faulty_smtp, readers)


def test_while_the_server_is_down_rows_wait_and_nothing_is_sent_twice(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(mail_db, "daily", 50)
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    assert deliver.send_some(mail_db, edition_id, mail_settings, max_batches=1).sent == 20

    faulty_smtp.go_down()
    for _ in range(3):
        down = deliver.send_some(mail_db, edition_id, mail_settings)
        assert down.stopped and "cannot reach" in down.stopped
        assert (down.sent, down.failed, down.retrying, down.released) == (0, 0, 0, 20)
        assert counts(mail_db, edition_id) == {"sent": 20, "queued": 30}
        assert all(d.attempts == 0 for d in deliveries(mail_db, edition_id)
                   if d.status == DeliveryStatus.QUEUED)  # an outage is not the reader's try
        clock.shift(timedelta(minutes=5))
    assert edition_status(mail_db, edition_id) == EditionStatus.SENDING

    faulty_smtp.come_back()
    assert deliver.send_some(mail_db, edition_id, mail_settings).sent == 30
    assert_everyone_has_it(mail_db, edition_id, faulty_smtp, readers)


def subscriber_state(db: Database, email: str) -> tuple[int, set[SubscriptionStatus]]:
    with db.session() as session:
        person = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        statuses = set(session.scalars(select(Subscription.status).where(
            Subscription.subscriber_id == person.id)))
        return person.bounce_count, statuses


def test_hard_bounces_fail_the_row_and_repeated_ones_stop_all_mail_to_the_reader(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    make_list(mail_db, "weekly", name="Weekly")
    readers = add_readers(mail_db, "daily", 5)
    gone = "gone@example.com"
    add_subscriber(mail_db, "daily", gone)
    add_subscriber(mail_db, "weekly", gone)
    faulty_smtp.reject(gone)

    add_news(mail_db, mail_settings, 1, prefix="Monday")
    monday = queued_edition(mail_db, mail_settings, NOW.date())
    result = deliver.send_some(mail_db, monday, mail_settings)
    assert (result.sent, result.failed, result.retrying) == (5, 1, 0)
    (row,) = [d for d in deliveries(mail_db, monday) if d.email == gone]
    assert row.status == DeliveryStatus.FAILED
    assert row.last_reply and row.last_reply.startswith("550 5.1.1")
    assert subscriber_state(mail_db, gone) == (1, {SubscriptionStatus.ACTIVE})
    assert counts(mail_db, monday) == {"sent": 5, "failed": 1}
    assert edition_status(mail_db, monday) == EditionStatus.SENT  # a failure is final too

    clock.shift(timedelta(days=1))
    add_news(mail_db, mail_settings, 1, prefix="Tuesday", start=1)
    tuesday = queued_edition(mail_db, mail_settings, NOW.date() + timedelta(days=1))
    deliver.send_some(mail_db, tuesday, mail_settings)
    assert counts(mail_db, tuesday) == {"sent": 5, "bounced": 1}
    assert subscriber_state(mail_db, gone) == (2, {SubscriptionStatus.BOUNCED})

    clock.shift(timedelta(days=1))
    add_news(mail_db, mail_settings, 1, prefix="Wednesday", start=2)
    wednesday = queued_edition(mail_db, mail_settings, NOW.date() + timedelta(days=2))
    assert gone not in {d.email for d in deliveries(mail_db, wednesday)}
    deliver.send_some(mail_db, wednesday, mail_settings)
    assert counts(mail_db, wednesday) == {"sent": 5}
    assert faulty_smtp.accepted == dict.fromkeys(readers, 3)


def test_scheduling_and_building_twice_never_doubles_an_edition_or_a_copy(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(mail_db, "daily", 40)
    add_news(mail_db, mail_settings, 3)

    created = schedule.create_due_editions(mail_db)
    assert len(created) == 1 and schedule.create_due_editions(mail_db) == []
    (edition_id,) = created
    statuses = run_together(lambda: build_edition(mail_db, edition_id, mail_settings), 3)
    assert statuses == [EditionStatus.SENDING] * 3
    assert build_edition(mail_db, edition_id, mail_settings) == EditionStatus.SENDING
    assert counts(mail_db, edition_id) == {"queued": 40}

    deliver.send_some(mail_db, edition_id, mail_settings)
    assert build_edition(mail_db, edition_id, mail_settings) == EditionStatus.SENT
    assert schedule.create_due_editions(mail_db) == []
    with mail_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Edition)) == 1
        assert session.scalar(select(func.count()).select_from(Delivery)) == 40
    assert_one_copy_each(faulty_smtp, readers)


def test_a_reader_who_leaves_after_the_edition_was_queued_does_not_get_it(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        ) -> None:
    readers = add_readers(mail_db, "daily", 10)
    leaving = add_subscriber(mail_db, "daily", "leaving@example.com")
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    assert len(deliveries(mail_db, edition_id)) == 11

    unsubscribe_with(mail_db, unsubscribe_token(mail_settings, leaving.id), mail_settings)
    deliver.send_some(mail_db, edition_id, mail_settings)

    assert "leaving@example.com" not in faulty_smtp.accepted
    (row,) = [d for d in deliveries(mail_db, edition_id) if d.email == "leaving@example.com"]
    assert row.status == DeliveryStatus.SKIPPED and row.sent_at is None
    assert row.last_reply == "not sent: the reader left before sending"
    assert edition_status(mail_db, edition_id) == EditionStatus.SENT
    assert_one_copy_each(faulty_smtp, readers)


def test_readers_who_left_are_counted_as_skipped_not_failed(
        shared_db: Database, tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        ) -> None:
    settings = make_settings(tmp_path / "var", **faulty_smtp.env())
    staying = add_readers(shared_db, "daily", 6)
    leaving = add_readers(shared_db, "daily", 4, prefix="leaving")
    add_news(shared_db, settings, 1)
    edition_id = queued_edition(shared_db, settings)
    with shared_db.session() as session:  # they leave after the edition was queued
        session.execute(update(Subscription).where(Subscription.subscriber_id.in_(
            select(Subscriber.id).where(Subscriber.email_key.in_(leaving))))
            .values(status=SubscriptionStatus.UNSUBSCRIBED))

    result = deliver.send_some(shared_db, edition_id, settings)

    assert (result.sent, result.failed, result.skipped) == (6, 0, 4)
    assert not any(faulty_smtp.accepted[address] for address in leaving)
    assert_one_copy_each(faulty_smtp, staying)
    info = edition_info(shared_db, edition_id)
    assert info.status == EditionStatus.SENT
    assert info.counts == {"queued": 0, "sending": 0, "sent": 6, "skipped": 4, "failed": 0,
                           "bounced": 0}
    api = create_app(make_settings(tmp_path / "api", BRIEFING_DATABASE_URL=shared_db.url))
    with TestClient(api) as client:
        shown = client.get(f"/api/editions/{edition_id}",
                           headers={"Authorization": "Bearer test-token"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["counts"] == info.counts


def test_rows_claimed_by_a_dead_worker_are_recovered_and_sent_once(
        shared_db: Database, tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_STUCK_AFTER_SECONDS=str(STUCK_AFTER),
                             **faulty_smtp.env())
    readers = add_readers(shared_db, "daily", 25)
    add_news(shared_db, settings, 1)
    edition_id = queued_edition(shared_db, settings)

    _, claimed = claims.claim_batch(shared_db, edition_id, 10)  # … and the worker dies
    assert len(claimed) == 10
    assert deliver.send_some(shared_db, edition_id, settings).sent == 15
    assert claims.recover_stale_claims(shared_db, settings) == []  # not stale yet
    assert edition_status(shared_db, edition_id) == EditionStatus.SENDING

    clock.shift(timedelta(seconds=STUCK_AFTER + 1))
    assert claims.recover_stale_claims(shared_db, settings) == [edition_id]
    rows = {d.id: d for d in deliveries(shared_db, edition_id)}
    first, *rest = sorted(c.id for c in claimed)
    assert rows[first].status == DeliveryStatus.QUEUED and rows[first].attempts == 1
    assert rows[first].last_reply and "same Message-ID" in rows[first].last_reply
    assert all(rows[i].status == DeliveryStatus.QUEUED and rows[i].attempts == 0
               and rows[i].last_reply is None for i in rest)

    assert deliver.send_some(shared_db, edition_id, settings).sent == 10
    assert_everyone_has_it(shared_db, edition_id, faulty_smtp, readers)
    resent = next(m for m in faulty_smtp.messages if m.recipients == [rows[first].email])
    assert resent.message["Message-ID"] == verp.message_id(settings.secret_key, edition_id, first,
                                                          "example.org")


def test_parallel_senders_deliver_each_copy_exactly_once(
        shared_db: Database, tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        ) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_SEND_BATCH="25", **faulty_smtp.env())
    readers = add_readers(shared_db, "daily", 400)
    add_news(shared_db, settings, 1)
    edition_id = queued_edition(shared_db, settings)

    results = run_together(lambda: deliver.send_some(shared_db, edition_id, settings), 4)

    assert sum(r.sent for r in results) == 400
    assert_everyone_has_it(shared_db, edition_id, faulty_smtp, readers)


def test_a_slow_live_sender_keeps_its_claim_and_nobody_sends_its_rows_twice(
        mail_db: Database, mail_settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(mail_db, "daily", 20)
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    faulty_smtp.handler.data_delay = 0.05
    slow = threading.Thread(target=deliver.send_some, args=(mail_db, edition_id, mail_settings),
                            daemon=True)
    slow.start()
    try:
        wait_for(lambda: sum(faulty_smtp.accepted.values()) >= 1, 20, interval=0.01,
                 what="the slow sender to claim its batch and start")
        # The batch takes longer than stuck-after (by the clock), with the sender alive.
        for _ in range(2):
            done = sum(faulty_smtp.accepted.values())
            clock.shift(timedelta(seconds=STUCK_AFTER * 0.6))
            wait_for(lambda done=done: sum(faulty_smtp.accepted.values()) >= done + 2, 20,
                     interval=0.01, what="the slow sender to go on")
        assert claims.recover_stale_claims(mail_db, mail_settings) == []
        deliver.send_some(mail_db, edition_id, mail_settings)  # a second sender finds nothing
    finally:
        slow.join(timeout=120)
    assert not slow.is_alive(), "the slow sender never finished"
    assert counts(mail_db, edition_id) == {"sent": 20}
    assert_one_copy_each(faulty_smtp, readers)


def test_grouped_commits_deliver_once_and_widen_only_the_recovered_doubt(
        mail_db: Database, tmp_path: Path, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_STUCK_AFTER_SECONDS=str(STUCK_AFTER),
                             BRIEFING_SEND_COMMIT_EVERY="4", BRIEFING_SEND_BATCH="7",
                             **faulty_smtp.env())
    readers = add_readers(mail_db, "daily", 30)
    add_news(mail_db, settings, 1)
    edition_id = queued_edition(mail_db, settings)

    _, claimed = claims.claim_batch(mail_db, edition_id, 7)  # … and the worker dies
    clock.shift(timedelta(seconds=STUCK_AFTER + 1))
    claims.recover_stale_claims(mail_db, settings)
    rows = {d.id: d for d in deliveries(mail_db, edition_id)}
    ids = sorted(c.id for c in claimed)
    # Up to four accepted-but-unrecorded messages could precede the one in flight.
    assert all("same Message-ID" in (rows[i].last_reply or "") for i in ids[:4])
    assert all(rows[i].last_reply is None and rows[i].attempts == 0 for i in ids[4:])

    assert deliver.send_some(mail_db, edition_id, settings).sent == 30
    assert counts(mail_db, edition_id) == {"sent": 30}
    assert_one_copy_each(faulty_smtp, readers)


def test_the_sweep_leaves_an_edition_with_a_live_sender_alone(
        mail_db: Database, mail_settings: Settings, clock: time_machine.Coordinates) -> None:
    add_readers(mail_db, "daily", 30)
    add_news(mail_db, mail_settings, 1)
    edition_id = queued_edition(mail_db, mail_settings)
    assert claims.editions_needing_work(mail_db, mail_settings)[1] == [edition_id]
    claims.claim_batch(mail_db, edition_id, 10)  # a sender is at work on these
    assert claims.editions_needing_work(mail_db, mail_settings)[1] == []
    clock.shift(timedelta(seconds=STUCK_AFTER + 1))  # … until its claim goes stale
    assert claims.editions_needing_work(mail_db, mail_settings)[1] == [edition_id]
