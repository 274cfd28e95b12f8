"""Which 5xx refusals blame the reader's address, end to end over a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    DeliveryStatus,
    EditionStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.delivery import claims
from briefing.delivery import send_edition as deliver
from briefing.delivery.smtp_replies import Verdict, classify, throttled
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, add_readers, deliveries, list_database
from tests.support.databases import make_settings
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401

NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(("code", "reply", "stage", "verdict"), [
    (550, "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown", "rcpt",
     Verdict.HARD),
    (550, "5.1.1 The email account that you tried to reach does not exist.", "rcpt",
     Verdict.HARD),
    (550, "550 5.2.1 The email account that you tried to reach is disabled.", "rcpt",
     Verdict.HARD),
    (554, "554 5.4.4 Unable to route: no such domain", "rcpt", Verdict.HARD),
    (552, "552 5.2.2 The recipient's mailbox is full", "rcpt", Verdict.SOFT),
    (552, "552 Requested mail action aborted: exceeded storage allocation", "data",
     Verdict.SOFT),
    (550, "550 5.7.1 Message rejected as spam", "data", Verdict.BLOCKED),
    (550, "550 5.7.26 Unauthenticated email is not accepted due to DMARC policy", "rcpt",
     Verdict.BLOCKED),
    (554, "554 5.7.1 Service unavailable; client host blocked", "rcpt", Verdict.BLOCKED),
    (552, "552 5.3.4 Message size exceeds fixed limit", "data", Verdict.BLOCKED),
    (554, "554 Transaction failed", "data", Verdict.BLOCKED),
    (550, "550 Requested action not taken: mailbox unavailable", "rcpt", Verdict.HARD),
    (553, "553 mailbox name not allowed", "rcpt", Verdict.HARD),
    (500, "garbled", "rcpt", Verdict.BLOCKED),
])
def test_replies_are_read_by_their_enhanced_status_code_first(
        code: int, reply: str, stage: str, verdict: Verdict) -> None:
    assert classify(code, reply, stage) == verdict


@pytest.mark.parametrize(("code", "reply", "stage", "slow_down"), [
    # Providers telling us to slow down: every reader would be refused alike.
    (421, "421 4.7.0 Try again later, closing connection.", "rcpt", True),
    (421, "421 4.7.28 Our system has detected an unusual rate of mail", "data", True),
    (454, "454 Throttling failure: Maximum sending rate exceeded.", "rcpt", True),
    (451, "451 4.7.500 Server busy. Please try again later from [203.0.113.9]", "rcpt", True),
    (452, "452 4.3.1 Insufficient system resources", "data", True),
    (451, "451 4.4.5 System congestion", "rcpt", True),
    (450, "450 Too many messages from your account, slow down", "rcpt", True),
    (451, "451 Temporary local problem", "mail", True),  # about the sender
    (421, "cannot reach SMTP server: (421, b'Too many connections')", "connect", True),
    (451, "451 4.3.0 Error: queue file write error", "data", True),  # the server's own trouble
    (450, "450 4.7.1 <ann@example.com>: Recipient address rejected: Rate limit exceeded",
     "rcpt", True),  # a policy server's rate limit, though it names the recipient
    # About one reader: retried for that reader alone.
    (451, "451 4.7.1 Greylisted, try again later", "rcpt", False),
    (450, "450 4.2.0 <ann@example.com>: Recipient address rejected: Greylisted", "rcpt", False),
    (450, "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
          "prevents additional messages from being delivered", "rcpt", False),
    (452, "452 4.2.2 Mailbox full, quota exceeded", "rcpt", False),
    (450, "450 Requested mail action not taken: mailbox unavailable", "rcpt", False),
    # Postfix could not look this recipient up for now (a table or DNS lookup failed).
    (451, "451 4.3.0 <ann@example.com>: Temporary lookup failure", "rcpt", False),
    (451, "451 4.3.0 Temporary lookup failure", "rcpt", False),
    (450, "450 4.7.1 <ann@example.com>: Recipient address rejected: Access denied", "rcpt",
     False),
    (None, "cannot reach SMTP server: Connection refused", "connect", False),
    (550, "550 5.7.1 Rate limit exceeded for good", "rcpt", False),  # permanent: not a pause
])
def test_a_temporary_refusal_is_read_as_slow_down_or_as_about_one_reader(
        code: int | None, reply: str, stage: str, slow_down: bool) -> None:
    assert throttled(code, reply, stage) is slow_down


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def settings(tmp_path: Path, faulty_smtp: FaultySMTPServer) -> Settings:  # noqa: F811
    return make_settings(tmp_path / "var", BRIEFING_BOUNCE_LIMIT="2",
                         BRIEFING_DELIVERY_MAX_ATTEMPTS="3", **faulty_smtp.env())


@pytest.fixture
def db(settings: Settings, clock: time_machine.Coordinates) -> Iterator[Database]:
    with list_database(settings) as database:
        yield database


def send_day(db: Database, settings: Settings, day: date) -> int:
    add_news(db, settings, 1, prefix=day.isoformat(), start=day.toordinal())
    edition_id, _ = ensure_edition(db, "daily", day)
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    deliver.send_some(db, edition_id, settings)
    return edition_id


def reader_state(db: Database, email: str) -> tuple[int, set[SubscriptionStatus]]:
    with db.session() as session:
        person = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        return person.bounce_count, set(session.scalars(select(Subscription.status).where(
            Subscription.subscriber_id == person.id)))


def test_a_message_refused_as_spam_fails_but_never_marks_the_reader_bounced(
        db: Database, settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    readers = add_readers(db, "daily", 3)
    add_subscriber(db, "daily", "strict@example.com")
    faulty_smtp.refuse_body("strict@example.com", "554 5.7.1 Message refused as spam")

    for day in range(3):  # more editions than the bounce limit
        edition_id = send_day(db, settings, NOW.date() + timedelta(days=day))
        (row,) = [d for d in deliveries(db, edition_id) if d.email == "strict@example.com"]
        assert row.status == DeliveryStatus.FAILED
        assert row.last_reply and "5.7.1" in row.last_reply
        assert "not counted as a bounce" in row.last_reply
        clock.shift(timedelta(days=1))

    assert reader_state(db, "strict@example.com") == (0, {SubscriptionStatus.ACTIVE})
    assert faulty_smtp.accepted == dict.fromkeys(readers, 3)


def test_a_full_mailbox_is_retried_later_not_counted_as_a_bounce(
        db: Database, settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    add_readers(db, "daily", 2)
    add_subscriber(db, "daily", "full@example.com")
    faulty_smtp.reject("full@example.com", "552 5.2.2 Mailbox full")
    edition_id = send_day(db, settings, NOW.date())

    (row,) = [d for d in deliveries(db, edition_id) if d.email == "full@example.com"]
    assert row.status == DeliveryStatus.QUEUED and row.due_at > NOW
    assert reader_state(db, "full@example.com") == (0, {SubscriptionStatus.ACTIVE})

    del faulty_smtp.handler.rejected["full@example.com"]  # they made room
    clock.shift(timedelta(hours=1))
    deliver.send_some(db, edition_id, settings)
    assert faulty_smtp.accepted["full@example.com"] == 1
    assert claims.edition_counts(db, edition_id)["sent"] == 3


def test_no_such_user_still_counts_and_stops_mail_at_the_limit(
        db: Database, settings: Settings, faulty_smtp: FaultySMTPServer,  # noqa: F811
        clock: time_machine.Coordinates) -> None:
    add_readers(db, "daily", 1)
    add_subscriber(db, "daily", "gone@example.com")
    faulty_smtp.reject("gone@example.com")  # 550 5.1.1
    send_day(db, settings, NOW.date())
    clock.shift(timedelta(days=1))
    send_day(db, settings, NOW.date() + timedelta(days=1))
    assert reader_state(db, "gone@example.com") == (2, {SubscriptionStatus.BOUNCED})
