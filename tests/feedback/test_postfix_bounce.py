"""End to end with a real mail server: briefing sends an edition through a private Postfix
to a local user who does not exist; Postfix accepts it, fails to deliver it, and writes its
own bounce (DSN) to the copy's VERP return path, which it hands to `briefing bounces serve`
over LMTP. The reader ends up bounced on every list, with Postfix's report stored."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from briefing.core.models import FeedbackReport, Subscriber, Subscription, SubscriptionStatus
from briefing.delivery.send_edition import send_some
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.feedback.lmtp import start
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, list_database, make_list
from tests.support.databases import make_settings
from tests.support.postfix import private_postfix
from tests.support.services import free_port

pytestmark = pytest.mark.slow
GONE = "nobody-here@mail.example.net"  # mail.example.net is Postfix's local domain; no such user


def test_postfix_bounces_an_unknown_user_and_the_reader_is_bounced_on_every_list(
        tmp_path: Path) -> None:
    lmtp_port = free_port()
    with private_postfix("news.example.org", lmtp_port) as postfix:
        settings = make_settings(
            tmp_path / "var", BRIEFING_SMTP_HOST="127.0.0.1",
            BRIEFING_SMTP_PORT=str(postfix.smtp_port), BRIEFING_SMTP_SECURITY="none",
            BRIEFING_BOUNCE_ADDRESS="bounces@news.example.org")
        with list_database(settings) as db:
            make_list(db, "weekly")
            for slug in ("daily", "weekly"):
                add_subscriber(db, slug, GONE)
            add_news(db, settings, 3)
            intake = start(db, settings, "127.0.0.1", lmtp_port)
            try:
                edition_id, _ = ensure_edition(db, "daily", date(2026, 12, 2))
                build_edition(db, edition_id, settings)
                assert send_some(db, edition_id, settings).sent == 1  # Postfix took it
                report = _wait_for_report(db, postfix.log)
            finally:
                intake.stop()
            assert report.kind == "hard" and report.matched_by == "verp"
            assert report.status and report.status.startswith("5.1.")
            assert report.raw and b"MAILER-DAEMON" in report.raw
            with db.session() as session:
                assert set(session.scalars(select(Subscription.status).join(Subscriber).where(
                    Subscriber.email == GONE))) == {SubscriptionStatus.BOUNCED}


def _wait_for_report(db: object, log: object) -> FeedbackReport:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with db.session() as session:  # type: ignore[attr-defined]
            found = session.scalars(select(FeedbackReport)).first()
            if found is not None:
                session.expunge(found)
                return found
        time.sleep(0.5)
    raise AssertionError(f"no report from Postfix within 90 s:\n{log()[-3000:]}")  # type: ignore[operator]
