"""BRIEFING_SMTP_MAX_RATE is one limit for every sender of the account, not one per sender."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from briefing.core.config import Settings
from briefing.core.db import Database, upgrade
from briefing.core.models import EditionStatus
from briefing.delivery import send_edition as deliver
from briefing.delivery.pacing import (
    SharedPacer,
    account_key,
    current_pause,
    pause,
    reserve,
    went_through,
)
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from tests.support.briefing_data import add_news, add_readers, list_database
from tests.support.databases import make_settings
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401
from tests.support.threads import run_together

RATE = 20


@pytest.fixture
def settings(tmp_path: Path, faulty_smtp: FaultySMTPServer) -> Settings:  # noqa: F811
    # Small batches, so that both senders get rows to send.
    return make_settings(tmp_path / "var", BRIEFING_SMTP_MAX_RATE=str(RATE),
                         BRIEFING_SEND_BATCH="5", BRIEFING_SEND_CONCURRENCY="2",
                         **faulty_smtp.env())


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    with list_database(settings) as database:
        yield database


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    first, most = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_senders_together_stay_under_the_accounts_rate(
        db: Database, settings: Settings, faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    readers = add_readers(db, "daily", 2 * RATE)
    add_news(db, settings, 1)
    edition_id, _ = ensure_edition(db, "daily")
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING

    run_together(lambda: deliver.send_some(db, edition_id, settings), 2)

    assert faulty_smtp.accepted == dict.fromkeys(readers, 1)
    # Each sender alone may send RATE a second; together they must too. Reservations are a
    # quarter of a second each, so a one-second window can touch five of them.
    assert most_in_one_second(faulty_smtp.handler.accepted_at) <= RATE * 5 // 4


def test_reservations_follow_each_other_and_never_overlap(any_db: Database,
                                                          settings: Settings) -> None:
    key = account_key(settings)
    starts = [reserve(any_db, key, 0.5) for _ in range(4)]
    assert all(later - earlier == pytest.approx(0.5)
               for earlier, later in itertools.pairwise(starts))
    assert reserve(any_db, "another:25:", 0.5) < starts[-1]  # accounts are paced apart


def test_slots_of_a_lapsed_reservation_are_not_used(db: Database, settings: Settings) -> None:
    pacer = SharedPacer(db, settings)
    pacer.wait()
    pacer.window_end = 0.0  # as if the sender had paused past the end of its reservation
    pacer.wait()
    # A fresh reservation was made after the first one: its slots start after it.
    assert len(pacer.slots) == pacer.per_grant - 1


def test_a_pause_doubles_when_throttled_again_and_is_forgotten_after_a_quiet_hour(
        any_db: Database, tmp_path: Path) -> None:
    upgrade(any_db)
    settings = make_settings(tmp_path / "var", BRIEFING_SMTP_HOST="smtp.example.org",
                             BRIEFING_SMTP_THROTTLE_PAUSE="60")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert current_pause(any_db, settings) is None
        lengths = []
        for _ in range(8):
            held = pause(any_db, settings, "421 4.7.0 slow down")
            lengths.append(held.until - time.time())
            assert pause(any_db, settings, "421 again").until == held.until  # kept, not stacked
            assert current_pause(any_db, settings) == held
            clock.shift(timedelta(seconds=held.until - time.time() + 1))
            assert current_pause(any_db, settings) is None
        assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600]

        clock.shift(timedelta(hours=1))  # a quiet hour: the next pause starts short again
        assert pause(any_db, settings, "421 4.7.0 slow down").until - time.time() == 60
        other = make_settings(tmp_path / "other", BRIEFING_SMTP_HOST="smtp.example.net")
        assert current_pause(any_db, other) is None  # one account's pause is its own


def test_mail_going_through_after_a_pause_makes_the_next_pause_short_again(
        any_db: Database, tmp_path: Path) -> None:
    upgrade(any_db)
    settings = make_settings(tmp_path / "var", BRIEFING_SMTP_HOST="smtp.example.org",
                             BRIEFING_SMTP_THROTTLE_PAUSE="60")
    with time_machine.travel(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), tick=False) as clock:
        lengths = []
        for sent_between in (False, True, False, True, True):
            held = pause(any_db, settings, "421 4.7.0 Try again later")
            lengths.append(held.seconds)
            went_through(any_db, settings)  # accepted while paused (in flight): not counted
            clock.shift(timedelta(seconds=held.seconds + 1))
            if sent_between:
                went_through(any_db, settings)
        assert lengths == [60, 120, 60, 120, 60]
