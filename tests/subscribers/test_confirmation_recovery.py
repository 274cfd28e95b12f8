"""A confirmation email is never lost to a broker that was down at sign-up: the sweep mails
confirmations that were issued but never mailed, once, and only while their link is valid."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from briefing.core.clock import utcnow
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Subscriber, Subscription, SubscriptionStatus
from briefing.server import create_app
from briefing.subscribers import subscriptions as subs
from briefing.subscribers.confirmations import send_confirmation, unsent_confirmations
from briefing.subscribers.lists import ListChanges, create_list
from tests.support.cli import run
from tests.support.databases import make_settings
from tests.support.services import free_port
from tests.support.smtp import SMTPServer
from tests.support.worker import WorkerProcess, wait_for

BASE_URL = "https://news.example.org"
LINK = re.compile(re.escape(BASE_URL) + r"/confirm/([\w.\-]+)")
READER = "late@example.com"


def subscription(db: Database, email: str = READER) -> Subscription:
    with db.session() as session:
        return session.scalars(select(Subscription).join(Subscriber).where(
            Subscriber.email_key == email)).one()


def sign_up_while_the_broker_is_down(env: dict[str, str]) -> Database:
    """POST /api/subscribe with the broker on a closed port: the answer is the usual 202,
    the subscription is pending, and no email went out."""
    down = load_settings({**env, "BRIEFING_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
    db = Database(down.database_url)
    upgrade(db)
    create_list(db, "daily", ListChanges(name="Daily Brief", from_address="news@example.org"))
    with TestClient(create_app(down)) as client:
        answer = client.post("/api/subscribe", json={"list": "daily", "email": READER})
    assert answer.status_code == 202, answer.text
    row = subscription(db)
    assert row.status == SubscriptionStatus.PENDING and row.confirmation_mailed_at is None
    return db


def confirm_token(smtp: SMTPServer) -> str:
    (mail,) = smtp.recorder.to(READER)
    text = mail.message.get_body(preferencelist=("plain",))
    assert text is not None
    found = LINK.search(text.get_content())
    assert found, text.get_content()
    return found.group(1)


def test_a_confirmation_lost_to_a_broker_outage_is_mailed_once_by_a_real_worker(
        worker: WorkerProcess, worker_env: dict[str, str], smtp_server: SMTPServer) -> None:
    # The worker's beat runs the sweep every second; stuck-after is 4 s (see worker_env).
    worker_env.update(smtp_server.env(), BRIEFING_BASE_URL=BASE_URL)
    db = sign_up_while_the_broker_is_down(worker_env)
    assert smtp_server.messages == []

    worker.start()
    wait_for(lambda: smtp_server.recorder.to(READER), 60, what="the confirmation email")
    wait_for(lambda: subscription(db).confirmation_mailed_at is not None, 10,
             what="the mailing to be recorded")
    # Well past stuck-after, with many more sweeps: nothing is mailed again.
    sweeps = worker.log_text().count("Task briefing.sweep[")
    wait_for(lambda: worker.log_text().count("Task briefing.sweep[") >= sweeps + 6, 30,
             what="six more sweeps")
    worker.stop()
    assert len(smtp_server.messages) == 1

    settings = load_settings(worker_env)
    assert subs.confirm(db, confirm_token(smtp_server), settings).outcome == subs.Outcome.DONE
    assert subscription(db).status == SubscriptionStatus.ACTIVE


@pytest.fixture
def cli_env(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            smtp_server: SMTPServer) -> dict[str, str]:
    """Embedded mode (no broker) for `briefing sweep`, on the same database and mail server
    as the sign-up."""
    env = {"BRIEFING_DATA_DIR": str(tmp_path / "var"), "BRIEFING_BASE_URL": BASE_URL,
           "BRIEFING_SECRET_KEY": "s" * 40, "BRIEFING_API_TOKEN": "test-token",
           "BRIEFING_STUCK_AFTER_SECONDS": "600", **smtp_server.env()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_briefing_sweep_in_process_mails_a_lost_confirmation_once_and_its_link_activates(
        cli: CliRunner, cli_env: dict[str, str], smtp_server: SMTPServer) -> None:
    db = sign_up_while_the_broker_is_down(cli_env)
    assert "0 confirmation emails" in run(cli, "sweep")  # not stuck yet: it may be on its way
    assert smtp_server.messages == []

    with time_machine.travel(utcnow() + timedelta(seconds=601), tick=False) as clock:
        assert run(cli, "sweep").rstrip().endswith(" 1 confirmation email")
        assert len(smtp_server.recorder.to(READER)) == 1
        clock.shift(timedelta(hours=1))
        assert "0 confirmation emails" in run(cli, "sweep")
        assert "0 confirmation emails" in run(cli, "sweep")
        assert len(smtp_server.messages) == 1

        # At the https base URL, so the client sends back the Secure CSRF cookie.
        with TestClient(create_app(load_settings(cli_env)), base_url=BASE_URL) as client:
            link = f"/confirm/{confirm_token(smtp_server)}"
            page = client.get(link)  # the page with the button; pressing it confirms
            field = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert field, page.text
            page = client.post(link, data={"csrf_token": field.group(1)})
        assert page.status_code == 200, page.text
    assert subscription(db).status == SubscriptionStatus.ACTIVE


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL=BASE_URL,
                         BRIEFING_STUCK_AFTER_SECONDS="600", **smtp_server.env())


def test_the_sweep_picks_only_confirmations_issued_but_never_mailed_and_still_valid(
        any_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    create_list(any_db, "daily", ListChanges(name="Daily Brief", from_address="news@example.org"))
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        lost = subs.sign_up(any_db, "daily", "lost@example.com", None, mail_settings)
        mailed = subs.sign_up(any_db, "daily", "mailed@example.com", None, mail_settings)
        assert send_confirmation(any_db, mailed.subscription_id, mail_settings) == "sent"
        assert unsent_confirmations(any_db, mail_settings) == []  # not stuck yet

        clock.shift(timedelta(seconds=601))
        assert unsent_confirmations(any_db, mail_settings) == [lost.subscription_id]
        assert unsent_confirmations(any_db, mail_settings) == []  # handed out: wait again
        # A second copy of a task for a nonce already mailed sends nothing.
        assert send_confirmation(any_db, mailed.subscription_id, mail_settings) == "already sent"
        assert len(smtp_server.recorder.to("mailed@example.com")) == 1

        # The reader asks again (past the resend interval): a new nonce, mailed as before.
        clock.shift(timedelta(minutes=mail_settings.confirm_resend_minutes))
        again = subs.sign_up(any_db, "daily", "mailed@example.com", None, mail_settings)
        assert again.send_confirmation
        assert send_confirmation(any_db, again.subscription_id, mail_settings) == "sent"
        assert len(smtp_server.recorder.to("mailed@example.com")) == 2

        # Once its link would have expired, a confirmation is left alone.
        clock.shift(timedelta(days=mail_settings.confirm_days))
        assert unsent_confirmations(any_db, mail_settings) == []
    assert len(smtp_server.recorder.to("lost@example.com")) == 0
