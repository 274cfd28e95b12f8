"""Double opt-in over real SMTP, confirmation and unsubscribe tokens, admin adds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database, upgrade
from briefing.core.errors import InputError
from briefing.core.models import ConsentSource, Subscription, SubscriptionStatus
from briefing.subscribers import subscriptions as subs
from briefing.subscribers.confirmations import send_confirmation
from briefing.subscribers.lists import ListChanges, create_list
from briefing.subscribers.signed_links import TokenError
from tests.support.databases import make_settings
from tests.support.smtp import SMTPServer

LINK = re.compile(r"https?://\S+/confirm/[\w.\-]+")


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL="https://news.example.org",
                         **smtp_server.env())


@pytest.fixture
def mail_db(mail_settings: Settings) -> Database:
    db = Database(mail_settings.database_url)
    upgrade(db)
    create_list(db, "daily", ListChanges(name="Daily Brief", from_address="news@example.org",
                                         postal_address="1 Main St, Springfield"))
    create_list(db, "weekly", ListChanges(name="Weekly", from_address="news@example.org"))
    return db


def status(db: Database, subscription_id: int) -> SubscriptionStatus:
    with db.session() as session:
        row = session.get(Subscription, subscription_id)
        assert row is not None
        return row.status


def sign_up_and_get_link(db: Database, settings: Settings, smtp: SMTPServer,
                         email: str = "Reader@Example.com") -> tuple[int, str]:
    result = subs.sign_up(db, "daily", email, "Rea Der", settings, ip="203.0.113.9")
    assert result.send_confirmation
    assert send_confirmation(db, result.subscription_id, settings) == "sent"
    text = smtp.messages[-1].message.get_body(preferencelist=("plain",))
    assert text is not None
    link = LINK.search(text.get_content())
    assert link, text.get_content()
    return result.subscription_id, link.group(0)


def test_confirmation_email_travels_over_smtp_and_its_link_activates(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    subscription_id, link = sign_up_and_get_link(mail_db, mail_settings, smtp_server)
    received = smtp_server.messages[-1]
    assert received.recipients == ["Reader@example.com"]
    assert "Daily Brief" in received.message["Subject"]
    assert received.message.get_body(preferencelist=("html",)) is not None
    assert status(mail_db, subscription_id) == SubscriptionStatus.PENDING
    outcome = subs.confirm(mail_db, link.rsplit("/", 1)[1], mail_settings)
    assert outcome.outcome == subs.Outcome.DONE
    assert status(mail_db, subscription_id) == SubscriptionStatus.ACTIVE
    again = subs.confirm(mail_db, link.rsplit("/", 1)[1], mail_settings)
    assert again.outcome == subs.Outcome.ALREADY


def test_signing_up_again_soon_sends_no_second_email(
        mail_db: Database, mail_settings: Settings) -> None:
    first = subs.sign_up(mail_db, "daily", "a@example.com", None, mail_settings)
    second = subs.sign_up(mail_db, "daily", "A@EXAMPLE.COM", None, mail_settings)
    assert first.send_confirmation and not second.send_confirmation
    assert first.subscription_id == second.subscription_id
    later = utcnow() + timedelta(minutes=mail_settings.confirm_resend_minutes + 1)
    with time_machine.travel(later, tick=False):
        assert subs.sign_up(mail_db, "daily", "a@example.com", None,
                            mail_settings).send_confirmation


def test_an_old_confirmation_link_cannot_bring_back_someone_who_left(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    subscription_id, link = sign_up_and_get_link(mail_db, mail_settings, smtp_server)
    token = link.rsplit("/", 1)[1]
    subs.confirm(mail_db, token, mail_settings)
    subs.unsubscribe(mail_db, subs.unsubscribe_token(mail_settings, subscription_id),
                     mail_settings)
    with pytest.raises(TokenError):
        subs.confirm(mail_db, token, mail_settings)
    assert status(mail_db, subscription_id) == SubscriptionStatus.UNSUBSCRIBED


@pytest.mark.parametrize("mangle", ["tamper", "truncate", "foreign-key", "other-purpose",
                                    "empty"])
def test_bad_confirmation_tokens_are_refused(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer, mangle: str,
        tmp_path: Path) -> None:
    subscription_id, link = sign_up_and_get_link(mail_db, mail_settings, smtp_server)
    token = link.rsplit("/", 1)[1]
    bad = {
        "tamper": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "truncate": token[: len(token) // 2],
        "foreign-key": subs.confirm_token(
            make_settings(tmp_path / "other", BRIEFING_SECRET_KEY="x" * 40),
            _row(mail_db, subscription_id)),
        "other-purpose": subs.unsubscribe_token(mail_settings, subscription_id),
        "empty": "",
    }[mangle]
    with pytest.raises(TokenError):
        subs.confirm(mail_db, bad, mail_settings)
    assert status(mail_db, subscription_id) == SubscriptionStatus.PENDING


def _row(db: Database, subscription_id: int) -> Subscription:
    with db.session() as session:
        row = session.get(Subscription, subscription_id)
        assert row is not None
        return row


def test_expired_tokens_are_refused(mail_db: Database, mail_settings: Settings,
                                    smtp_server: SMTPServer) -> None:
    _, link = sign_up_and_get_link(mail_db, mail_settings, smtp_server)
    later = utcnow() + timedelta(days=mail_settings.confirm_days + 1)
    with time_machine.travel(later, tick=False), pytest.raises(TokenError) as error:
        subs.confirm(mail_db, link.rsplit("/", 1)[1], mail_settings)
    assert error.value.expired


def test_unsubscribe_from_one_list_or_from_all(mail_db: Database, mail_settings: Settings
                                               ) -> None:
    daily = subs.add_subscriber(mail_db, "daily", "r@example.com")
    weekly = subs.add_subscriber(mail_db, "weekly", "r@example.com")
    token = subs.unsubscribe_token(mail_settings, daily.id)
    assert subs.peek_unsubscribe(mail_db, token, mail_settings).outcome == subs.Outcome.DONE
    assert status(mail_db, daily.id) == SubscriptionStatus.ACTIVE  # looking changes nothing
    done = subs.unsubscribe(mail_db, token, mail_settings)
    assert done.outcome == subs.Outcome.DONE and done.lists_left == 1
    assert status(mail_db, weekly.id) == SubscriptionStatus.ACTIVE
    everywhere = subs.unsubscribe(mail_db, token, mail_settings, everywhere=True)
    assert everywhere.lists_left == 0
    assert status(mail_db, weekly.id) == SubscriptionStatus.UNSUBSCRIBED
    again = subs.unsubscribe(mail_db, token, mail_settings)
    assert again.outcome == subs.Outcome.ALREADY


def test_admin_add_records_consent_and_never_revives_the_unsubscribed(
        mail_db: Database, mail_settings: Settings) -> None:
    row = subs.add_subscriber(mail_db, "daily", "x@example.com", "X",
                              source=ConsentSource.API)
    assert row.status == SubscriptionStatus.ACTIVE and row.consent_source == ConsentSource.API
    assert subs.remove_subscriber(mail_db, "daily", "X@example.com")
    with pytest.raises(InputError, match="sign up again"):
        subs.add_subscriber(mail_db, "daily", "x@example.com")
    # A fresh opt-in through the form is the way back.
    assert subs.sign_up(mail_db, "daily", "x@example.com", None, mail_settings).send_confirmation
    assert status(mail_db, row.id) == SubscriptionStatus.PENDING


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 400 + "@example.com",
                                   "a@example.com\r\nBcc: victim@example.com"])
def test_invalid_addresses_are_refused(mail_db: Database, mail_settings: Settings,
                                       email: str) -> None:
    with pytest.raises(InputError):
        subs.sign_up(mail_db, "daily", email, None, mail_settings)


def test_a_ten_thousand_character_name_is_refused(mail_db: Database, mail_settings: Settings
                                                  ) -> None:
    with pytest.raises(InputError, match="name"):
        subs.sign_up(mail_db, "daily", "n@example.com", "N" * 10_000, mail_settings)


def test_internationalized_address_gets_its_confirmation(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    sign_up_and_get_link(mail_db, mail_settings, smtp_server, email="josé@exämple.org")
    assert smtp_server.messages[-1].recipients == ["josé@exämple.org"]
