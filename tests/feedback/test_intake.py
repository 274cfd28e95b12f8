"""Bounces and complaints that arrive after the session, through `briefing bounces receive`:
each copy goes out with its own signed return path, and the report that comes back to it
suppresses the right reader on every list — once, reversibly, and never on a forgery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import FeedbackReport, Subscriber, Subscription
from briefing.delivery.send_edition import send_some
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import add_news, add_readers, list_database, make_list
from tests.support.cli import cli, run  # noqa: F401
from tests.support.databases import make_settings
from tests.support.smtp import Received, SMTPServer, smtp_server  # noqa: F401

BOUNCES = "bounces@news.example.org"
SECRET = "s" * 40


@dataclass
class Sent:
    settings: Settings
    db: Database
    copies: dict[str, Received]  # by reader address


@pytest.fixture
def sent(tmp_path: Path, smtp_server: SMTPServer, cli: CliRunner,  # noqa: F811
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """Three readers on two lists; today's "daily" edition sent through a real SMTP server."""
    env = {**smtp_server.env(), "BRIEFING_BOUNCE_ADDRESS": BOUNCES,
           "BRIEFING_SECRET_KEY": SECRET}
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the CLI sees what the test's own settings see
    settings = make_settings(tmp_path / "var", **env)
    with list_database(settings) as db:
        readers = add_readers(db, "daily", 3)
        make_list(db, "weekly")
        for email in readers:
            add_subscriber(db, "weekly", email)
        add_news(db, settings, 3)
        edition_id, _ = ensure_edition(db, "daily", date(2026, 12, 2))
        build_edition(db, edition_id, settings)
        assert send_some(db, edition_id, settings).sent == 3
        yield Sent(settings, db, {m.recipients[0]: m for m in smtp_server.messages})


def statuses(db: Database, email: str) -> list[str]:
    with db.session() as session:
        return sorted(s.value for s in session.scalars(
            select(Subscription.status).join(Subscriber).where(Subscriber.email == email)))


def dsn(copy: Received, *, to: str | None = None, status: str = "5.1.1",
        action: str = "failed", diagnostic: str = "550 5.1.1 <{rcpt}>: Recipient address "
        "rejected: User unknown in local recipient table") -> bytes:
    """A delivery status notification as Postfix writes one for a copy it could not deliver:
    sent to the copy's envelope sender, with the copy's headers returned."""
    rcpt = copy.recipients[0]
    headers = copy.data.split(b"\r\n\r\n", 1)[0].decode()
    return (f"From: MAILER-DAEMON@relay.example.net (Mail Delivery System)\r\n"
            f"To: {to or copy.sender}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            f"Message-ID: <dsn-{rcpt}-{status}@relay.example.net>\r\n"
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            f"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
            f"message could not be delivered to one or more recipients.\r\n\r\n"
            f"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; relay.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nOriginal-Recipient: rfc822;{rcpt}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; {diagnostic.format(rcpt=rcpt)}\r\n\r\n"
            f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--B--\r\n"
            ).encode()


def arf(copy: Received) -> bytes:
    """A spam complaint (ARF, RFC 5965) as a mailbox provider's feedback loop sends one."""
    headers = copy.data.split(b"\r\n\r\n", 1)[0].decode()
    return (f"From: fbl@isp.example\r\nTo: {copy.sender}\r\nSubject: complaint\r\n"
            f"MIME-Version: 1.0\r\nMessage-ID: <fbl-1@isp.example>\r\n"
            f'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\r\n\r\n'
            f"--F\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n"
            f"--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
            f"User-Agent: isp-fbl/1.0\r\nVersion: 1\r\n"
            f"Original-Rcpt-To: {copy.recipients[0]}\r\n\r\n"
            f"--F\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--F--\r\n"
            ).encode()


def receive(cli: CliRunner, raw: bytes, *args: str, code: int = 0  # noqa: F811
            ) -> dict[str, object]:
    result = cli.invoke(_app(), ["bounces", "receive", *args], input=raw)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return json.loads(result.stdout) if code == 0 else {}


def _app() -> object:
    from briefing.cli import app

    return app


def reports(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(FeedbackReport)) or 0)


def test_each_copy_goes_out_from_its_own_signed_return_path_and_the_from_is_unchanged(
        sent: Sent) -> None:
    senders = {copy.sender for copy in sent.copies.values()}
    assert len(senders) == 3 and all(s.startswith("bounces+d") and s.endswith(
        "@news.example.org") for s in senders)
    for copy in sent.copies.values():
        assert copy.message["From"].addresses[0].addr_spec == "news@example.org"
        assert copy.message["Message-ID"].startswith("<briefing.")


def test_a_hard_bounce_suppresses_the_reader_on_every_list_once_and_can_be_undone(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    gone, kept, _ = sorted(sent.copies)
    first = receive(cli, dsn(sent.copies[gone]))
    assert first["kind"] == "hard" and first["matched_by"] == "verp"
    assert statuses(sent.db, gone) == ["bounced", "bounced"]
    assert statuses(sent.db, kept) == ["active", "active"]
    again = receive(cli, dsn(sent.copies[gone]))
    assert again["duplicate"] is True and reports(sent.db) == 1
    listed = run(cli, "bounces", "list")
    assert gone in listed and "suppressed on 2 list(s)" in listed
    shown = json.loads(run(cli, "bounces", "show", str(first["report"])))
    assert shown["status"] == "5.1.1" and shown["reader"] == gone and shown["raw_bytes"] > 500
    assert "undone" in run(cli, "bounces", "undo", str(first["report"]))
    assert statuses(sent.db, gone) == ["active", "active"]
    run(cli, "bounces", "undo", str(first["report"]), code=1)  # nothing left to undo


def test_a_report_that_lost_the_return_path_is_matched_by_the_quoted_message_id(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    reader = sorted(sent.copies)[1]
    done = receive(cli, dsn(sent.copies[reader], to=BOUNCES))
    assert done["matched_by"] == "message_id" and done["kind"] == "hard"
    assert statuses(sent.db, reader) == ["bounced", "bounced"]


def test_a_complaint_marks_the_reader_complained_on_every_list(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    reader = sorted(sent.copies)[2]
    done = receive(cli, arf(sent.copies[reader]))
    assert done["kind"] == "complaint"
    assert statuses(sent.db, reader) == ["complained", "complained"]


def test_a_temporary_bounce_is_counted_and_suppresses_no_one(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    reader = sorted(sent.copies)[0]
    done = receive(cli, dsn(sent.copies[reader], status="4.2.2", action="delayed",
                            diagnostic="452 4.2.2 Mailbox full"))
    assert done["kind"] == "soft" and done["action"] == "soft bounce 1 of 3"
    assert statuses(sent.db, reader) == ["active", "active"]
    with sent.db.session() as session:
        person = session.scalars(select(Subscriber).where(Subscriber.email == reader)).one()
        assert person.soft_bounces == 1


def test_forged_and_foreign_reports_are_kept_unmatched_and_change_nothing(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    reader = sorted(sent.copies)[0]
    copy = sent.copies[reader]
    forged_sender = copy.sender.replace(copy.sender.split("-")[1][:10], "0123456789")
    foreign = Received(copy.sender, copy.recipients, copy.data.replace(
        b"Message-ID: <briefing.", b"Message-ID: <other."))
    for raw in (dsn(foreign, to=forged_sender), dsn(foreign, to="bounces@elsewhere.example")):
        done = receive(cli, raw)
        assert done["matched_by"] is None and done["action"] == "none"
    assert statuses(sent.db, reader) == ["active", "active"] and reports(sent.db) == 2


def test_hostile_messages_are_stored_or_refused_never_a_crash_never_a_suppression(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    reader = sorted(sent.copies)[0]
    huge = dsn(Received(BOUNCES, [reader], b"Subject: x\r\n\r\n")) + b"x" * (20 << 20)
    bomb = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"".join(
        b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" for _ in range(5000))
    latin = (b"From: \xe9t\xe9@example.net\r\nSubject: \xff\xfe r\xe9ponse\r\n"
             b"To: " + sent.copies[reader].sender.encode() + b"\r\n\r\nbody \xe9\r\n")
    for raw in (huge, bomb, latin, b"", b"\x00\x01\x02 not mail"):
        done = receive(cli, raw)
        assert done["action"] in ("none", "nothing to change")
    assert all(statuses(sent.db, r) == ["active", "active"] for r in sent.copies)
    with sent.db.session() as session:
        biggest = max(len(r or b"") for r in session.scalars(select(FeedbackReport.raw)))
    assert biggest <= 1 << 20  # a 20 MB message is kept as its first MB


def test_receive_says_try_again_later_when_the_database_is_down(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("BRIEFING_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1:1/none")
    result = cli.invoke(_app(), ["bounces", "receive"], input=b"Subject: x\r\n\r\nbody\r\n")
    assert result.exit_code == 75, result.output


def test_a_report_handed_over_by_lmtp_is_recorded_before_it_is_accepted(sent: Sent) -> None:
    import smtplib

    from briefing.feedback.lmtp import start
    from tests.support.services import free_port

    port = free_port()
    controller = start(sent.db, sent.settings, "127.0.0.1", port)
    try:
        gone = sorted(sent.copies)[0]
        copy = sent.copies[gone]
        with smtplib.LMTP("127.0.0.1", port) as client:
            refused = client.sendmail("", [copy.sender], dsn(copy))
        assert refused == {}
    finally:
        controller.stop()
    assert statuses(sent.db, gone) == ["bounced", "bounced"] and reports(sent.db) == 1
    with sent.db.session() as session:
        stored = session.scalars(select(FeedbackReport)).one()
        assert stored.source == "lmtp" and stored.matched_by == "verp"


def test_a_bounce_rate_past_the_guard_rail_pauses_the_list_until_resumed(
        tmp_path: Path, smtp_server: SMTPServer, cli: CliRunner,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**smtp_server.env(), "BRIEFING_BOUNCE_ADDRESS": BOUNCES,
           "BRIEFING_SECRET_KEY": SECRET}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = make_settings(tmp_path / "var", **env)
    with list_database(settings) as db:
        add_readers(db, "daily", 120)
        add_news(db, settings, 3)
        first, _ = ensure_edition(db, "daily", date(2026, 12, 1))
        build_edition(db, first, settings)
        assert send_some(db, first, settings).sent == 120
        copies = {m.recipients[0]: m for m in smtp_server.messages}
        for reader in sorted(copies)[:5]:  # 4.2 %: under the 5 % rail
            receive(cli, dsn(copies[reader]))
        shown = run(cli, "editions", "show", str(first))
        assert "5 hard bounces (4.17%)" in shown and "paused" not in shown
        done = receive(cli, dsn(copies[sorted(copies)[5]]))  # 5.0 %: still not past it
        done = receive(cli, dsn(copies[sorted(copies)[6]]))  # 5.8 %
        assert "list paused" in str(done["action"])
        shown = run(cli, "editions", "show", str(first))
        assert "sending paused for the list" in shown and "BRIEFING_PAUSE_BOUNCE_RATE" in shown
        add_news(db, settings, 2, prefix="Later", start=100)
        next_day, _ = ensure_edition(db, "daily", date(2026, 12, 2))
        build_edition(db, next_day, settings)
        held = send_some(db, next_day, settings)
        assert held.sent == 0 and held.stopped and "paused" in held.stopped
        assert "sending goes on" in run(cli, "editions", "resume", str(next_day))
        # Embedded mode: resuming sent it at once, to all but the 7 bounced readers.
        assert len(smtp_server.messages) == 120 + 113


def test_a_bounce_mailbox_on_a_real_imap_server_loses_nothing_and_touches_only_reports(
        sent: Sent) -> None:
    import imaplib

    from briefing.feedback.imap import poll_mailbox
    from tests.support.dovecot import PASSWORD, USER, private_dovecot

    gone = sorted(sent.copies)[0]
    reply = b"From: reader@example.com\r\nSubject: Re: your briefing\r\n\r\nThanks!\r\n"
    with private_dovecot() as dovecot:
        client = imaplib.IMAP4("127.0.0.1", dovecot.port)
        client.login(USER, PASSWORD)
        for raw in (dsn(sent.copies[gone]), reply, arf(sent.copies[sorted(sent.copies)[1]])):
            client.append("INBOX", None, None, raw)
        polled = poll_mailbox(sent.db, sent.settings, dovecot.url)
        assert (polled.seen, polled.recorded, polled.left) == (3, 2, 1)
        client.select("INBOX")
        _, left = client.search(None, "ALL")
        _, data = client.fetch(left[0], "(FLAGS BODY.PEEK[])")
        client.logout()
    assert len(left[0].split()) == 1 and b"Thanks!" in data[0][1]
    assert b"\\Seen" not in data[0][0]  # the reader's reply was not even marked read
    assert statuses(sent.db, gone) == ["bounced", "bounced"]
    assert statuses(sent.db, sorted(sent.copies)[1]) == ["complained", "complained"]
    assert reports(sent.db) == 2


def test_the_admin_dashboard_shows_the_week_s_bounce_and_complaint_rates(
        sent: Sent, cli: CliRunner) -> None:  # noqa: F811
    from briefing.backoffice.dashboard import dashboard

    gone, complained, _ = sorted(sent.copies)
    assert dashboard(sent.db, sent.settings, None).bounce_rate == 0.0
    receive(cli, dsn(sent.copies[gone]))
    receive(cli, arf(sent.copies[complained]))
    board = dashboard(sent.db, sent.settings, None)
    assert board.bounce_rate == pytest.approx(1 / 3)
    assert board.complaint_rate == pytest.approx(1 / 3)
