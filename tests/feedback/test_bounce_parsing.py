"""Reading bounces, complaints and auto-replies, and surviving whatever else arrives.

The messages are written here in the shapes the common servers produce (Postfix and Exim
DSNs, Exim's and qmail's plain text, an ARF complaint, a vacation reply, a success DSN);
the evaluation set is only read by the benchmark.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.feedback import Kind, Limits, ReportError, read_report
from tests.support.cli import run

OUR_VERP = "bounces+d42.Xy7kQ@news.example.org"
ORIGINAL_ID = "<edition-17.reader-42@news.example.org>"

POSTFIX_DSN = f"""\
Return-Path: <>
Delivered-To: {OUR_VERP}
From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
To: {OUR_VERP}
Subject: Undelivered Mail Returned to Sender
Message-Id: <20250101.ABC@relay.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

This is the mail system at host relay.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@reader.example>: host mx.reader.example[192.0.2.7] said: 550 5.1.1
    <gone@reader.example>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)

<full@reader.example>: host mx.reader.example[192.0.2.7] said: 552 5.2.2
    <full@reader.example>: Mailbox full (in reply to RCPT TO command)

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net
Arrival-Date: Wed,  1 Jan 2025 07:00:01 +0000 (UTC)

Final-Recipient: rfc822; gone@reader.example
Original-Recipient: rfc822;gone@reader.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.reader.example
Diagnostic-Code: smtp; 550 5.1.1 <gone@reader.example>: Recipient address
    rejected: User unknown in local recipient table

Final-Recipient: rfc822; full@reader.example
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 <full@reader.example>: Mailbox full

--B1
Content-Type: text/rfc822-headers

From: Morning Briefing <briefing@news.example.org>
To: gone@reader.example
Subject: Your briefing for 1 January
Message-ID: {ORIGINAL_ID}

--B1--
"""

EXIM_DSN = """\
From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: briefing@news.example.org
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="E1"

--E1
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  reader@blocked.example
    host mx.blocked.example [198.51.100.3]
    SMTP error from remote mail server after end of data:
    550 5.7.1 Message rejected: sending IP listed at zen.spamhaus.org

--E1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Action: failed
Final-Recipient: rfc822;reader@blocked.example
Status: 5.7.1
Remote-MTA: dns; mx.blocked.example
Diagnostic-Code: smtp; 550 5.7.1 Message rejected: sending IP listed at zen.spamhaus.org

--E1--
"""

EXIM_TEXT = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mail.example.com>
To: briefing@news.example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: nobody-here@example.com
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  nobody-here@example.com
    host mx.example.com [203.0.113.9]
    SMTP error from remote mail server after RCPT TO:<nobody-here@example.com>:
    550 No such user here

------ This is a copy of the message, including all the headers. ------

Return-path: <briefing@news.example.org>
Message-Id: <exim-copy-1@news.example.org>
Subject: Your briefing
"""

QMAIL = """\
From: MAILER-DAEMON@mail.example.net
To: briefing@news.example.org
Subject: failure notice

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<left-long-ago@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <briefing@news.example.org>
Message-ID: <qmail-copy-7@news.example.org>
To: left-long-ago@example.net
"""

ARF = """\
From: Feedback Loop <fbl@isp.example>
To: abuse@news.example.org
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F1"

--F1
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.1.

--F1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <bounces+d7.Ab@news.example.org>
Original-Rcpt-To: <annoyed@isp.example>
Arrival-Date: Wed, 1 Jan 2025 07:00:05 +0000

--F1
Content-Type: message/rfc822

From: Morning Briefing <briefing@news.example.org>
To: annoyed@isp.example
Subject: Your briefing
Message-ID: <edition-17.reader-7@news.example.org>

Today's news.
--F1--
"""

VACATION = f"""\
From: Holiday Reader <away@reader.example>
To: briefing@news.example.org
Subject: Out of Office: Your briefing for 1 January
Auto-Submitted: auto-replied
In-Reply-To: {ORIGINAL_ID}

I am away until 10 January with no access to email.
"""

SUCCESS_DSN = """\
From: MAILER-DAEMON@relay.example.net
To: briefing@news.example.org
Subject: Successful Mail Delivery Report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S1"

--S1
Content-Type: text/plain

Your message was successfully delivered to the destination(s) listed below.

<happy@reader.example>: delivery via mx.reader.example[192.0.2.7]:25: 250 2.0.0 Ok

--S1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; happy@reader.example
Action: delivered
Status: 2.0.0
Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4AB

--S1--
"""

DELAYED_DSN = SUCCESS_DSN.replace("Action: delivered", "Action: delayed").replace(
    "Status: 2.0.0", "Status: 4.4.1").replace("250 2.0.0 Ok: queued as 4AB",
                                              "421 4.4.1 connection timed out")

PLAIN_LETTER = """\
From: A Reader <someone@reader.example>
To: briefing@news.example.org
Subject: Thanks for the briefing

I liked today's story about the harbour. Keep it up!
"""


def only(raw: str) -> tuple:
    report = read_report(raw.encode())
    return report, report.recipients


def test_postfix_dsn_reports_each_recipient_in_order_with_status_and_reason() -> None:
    report, (gone, full) = only(POSTFIX_DSN)
    assert report.format == "dsn"
    assert (gone.recipient, gone.kind, gone.status, gone.reason) == (
        "gone@reader.example", Kind.HARD, "5.1.1", "userunknown")
    assert "User unknown in local recipient table" in gone.diagnostic
    assert (full.recipient, full.kind, full.status, full.reason) == (
        "full@reader.example", Kind.SOFT, "5.2.2", "mailboxfull")


def test_dsn_yields_the_original_message_id_and_our_verp_address() -> None:
    report, _ = only(POSTFIX_DSN)
    assert report.message_id == ORIGINAL_ID
    assert report.envelope_addresses == (OUR_VERP,)


def test_a_blocklisted_sender_is_soft_not_a_dead_address() -> None:
    _, (entry,) = only(EXIM_DSN)
    assert (entry.recipient, entry.kind, entry.status, entry.reason) == (
        "reader@blocked.example", Kind.SOFT, "5.7.1", "blocked")


def test_exim_plain_text_bounce_is_hard_for_an_unknown_user() -> None:
    report, (entry,) = only(EXIM_TEXT)
    assert report.format == "text"
    assert (entry.recipient, entry.kind, entry.reason) == (
        "nobody-here@example.com", Kind.HARD, "userunknown")
    assert "550 No such user here" in entry.diagnostic
    assert report.message_id == "<exim-copy-1@news.example.org>"


def test_qmail_bounce_takes_the_code_from_the_text() -> None:
    report, (entry,) = only(QMAIL)
    assert (entry.recipient, entry.kind, entry.status) == (
        "left-long-ago@example.net", Kind.HARD, "5.1.1")
    assert report.message_id == "<qmail-copy-7@news.example.org>"


def test_arf_report_is_a_complaint_about_the_original_recipient() -> None:
    report, (entry,) = only(ARF)
    assert report.format == "arf"
    assert (entry.recipient, entry.kind, entry.feedback_type) == (
        "annoyed@isp.example", Kind.COMPLAINT, "abuse")
    assert report.message_id == "<edition-17.reader-7@news.example.org>"


def test_vacation_reply_is_an_auto_reply_not_a_bounce() -> None:
    report, (entry,) = only(VACATION)
    assert (entry.recipient, entry.kind, entry.reason) == (
        "away@reader.example", Kind.AUTO_REPLY, "vacation")
    assert report.message_id == ORIGINAL_ID


def test_success_notification_is_none() -> None:
    _, (entry,) = only(SUCCESS_DSN)
    assert (entry.recipient, entry.kind, entry.status) == ("happy@reader.example", Kind.NONE,
                                                           "2.0.0")


def test_a_delay_is_soft_even_when_the_words_could_mean_worse() -> None:
    _, (entry,) = only(DELAYED_DSN)
    assert entry.kind is Kind.SOFT and entry.status == "4.4.1"


def test_user_unknown_after_the_message_was_sent_is_a_filter_not_a_dead_address() -> None:
    raw = EXIM_TEXT.replace("after RCPT TO:<nobody-here@example.com>:", "after end of data:")
    _, (entry,) = only(raw)
    assert (entry.kind, entry.reason) == (Kind.SOFT, "filtered")


def test_an_ordinary_letter_is_not_a_report() -> None:
    report = read_report(PLAIN_LETTER.encode())
    assert not report.is_report and report.format == "none"


# Hostile input: each gives a result or a clear error, never a crash and never a "hard".


def never_hard(raw: bytes, limits: Limits | None = None) -> None:
    try:
        report = read_report(raw, limits) if limits else read_report(raw)
    except ReportError as exc:
        assert str(exc)
        return
    assert all(entry.kind is not Kind.HARD for entry in report.recipients)


def nested(depth: int) -> bytes:
    head = b"".join(b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (i, i)
                    for i in range(depth))
    tail = b"".join(b"\n--n%d--\n" % i for i in reversed(range(depth)))
    return b"From: x@example.com\nSubject: bomb\n" + head + b"Content-Type: text/plain\n\nhi" + tail


def test_a_deep_multipart_bomb_is_refused_with_a_reason() -> None:
    with pytest.raises(ReportError, match="nested"):
        read_report(nested(5000))


def test_a_wide_multipart_bomb_is_refused_with_a_reason() -> None:
    body = b"".join(b"--W\nContent-Type: text/plain\n\nx\n" for _ in range(100_000))
    raw = b"From: x@example.com\nContent-Type: multipart/mixed; boundary=W\n\n" + body + b"--W--\n"
    with pytest.raises(ReportError, match="parts"):
        read_report(raw)


def test_a_20_mb_bounce_is_read_from_its_beginning_in_bounded_memory() -> None:
    raw = POSTFIX_DSN.replace("--B1--", "--B1\nContent-Type: text/plain\n\n") + "x" * (20 << 20)
    tracemalloc.start()
    try:
        report = read_report(raw.encode())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.truncated and report.recipients[0].kind is Kind.HARD
    assert peak < 64 << 20  # the parsed prefix is 1 MiB; the rest is never copied around


def test_a_20_mb_message_of_one_header_line_is_not_a_report() -> None:
    never_hard(b"Subject: " + b"A" * (20 << 20))


@pytest.mark.parametrize("raw", [
    b"",
    b"   \n\n",
    bytes(range(256)) * 400,
    b"\xff\xfe\x00garbage\x00" * 1000,
    b"From: \xe9\xe8 <mailer-daemon@x.example>\nSubject: =?utf-8?B?!!!notbase64?=\n"
    b"Content-Type: multipart/report; boundary=\n\n\xff\xfe user@x.example: 550 5.1.1\n",
    b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail \xc3\x28\n"
    b"Content-Type: text/plain; charset=no-such-charset\n\n\xff\xfe\x00\x01" * 50,
    b"Content-Type: message/delivery-status\n\nFinal-Recipient: \nAction: \nStatus: 9.9.9.9\n",
    b"From: MAILER-DAEMON@x.example\nSubject: failure notice\nContent-Transfer-Encoding: base64"
    b"\n\n!!!!not base64 at all????\n",
], ids=["empty", "blank", "binary", "utf16-ish", "bad-headers", "bad-charset",
        "bad-status", "bad-base64"])
def test_garbage_gives_a_result_or_a_clear_error_and_never_a_hard_bounce(raw: bytes) -> None:
    never_hard(raw)


def test_non_utf8_headers_still_yield_a_printable_report() -> None:
    raw = QMAIL.encode().replace(b"Subject: failure notice",
                                 b"Subject: failure notice \xe9t\xe9 \xff")
    report = read_report(raw)
    json.dumps([entry.diagnostic for entry in report.recipients]).encode("utf-8")
    assert report.recipients[0].recipient == "left-long-ago@example.net"


def test_an_unknown_charset_does_not_hide_the_bounce() -> None:
    raw = (b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n"
           b"Content-Type: text/plain; charset=no-such-charset\n\n"
           b"<u@x.example>:\n550 5.1.1 no such user \xff\n")
    (entry,) = read_report(raw).recipients
    assert (entry.recipient, entry.kind) == ("u@x.example", Kind.HARD)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ReportError, match="empty"):
        read_report(b"")


# The command line.


def test_parse_prints_one_line_per_recipient_in_file_and_message_order(
        cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_text(POSTFIX_DSN)
    (tmp_path / "b.eml").write_text(PLAIN_LETTER)
    (tmp_path / "c.eml").write_text(ARF)
    lines = [json.loads(line) for line in
             run(cli, "bounces", "parse", "a.eml", "b.eml", "c.eml").splitlines()]
    assert lines == [
        {"file": "a.eml", "recipient": "gone@reader.example", "status": "5.1.1",
         "kind": "hard", "reason": "userunknown"},
        {"file": "a.eml", "recipient": "full@reader.example", "status": "5.2.2",
         "kind": "soft", "reason": "mailboxfull"},
        {"file": "c.eml", "recipient": "annoyed@isp.example", "status": None,
         "kind": "complaint", "reason": "feedback"},
    ]


def test_parse_reads_standard_input_for_a_dash(cli: CliRunner) -> None:
    (line,) = run(cli, "bounces", "parse", "-", input=QMAIL).splitlines()
    assert json.loads(line) | {} == {"file": "-", "recipient": "left-long-ago@example.net",
                                     "status": "5.1.1", "kind": "hard",
                                     "reason": "userunknown"}


def test_an_unreadable_or_broken_file_is_a_line_with_an_error_and_the_run_goes_on(
        cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bomb.eml").write_bytes(nested(3000))
    (tmp_path / "ok.eml").write_text(QMAIL)
    out = run(cli, "bounces", "parse", "missing.eml", "bomb.eml", "ok.eml")
    missing, bomb, ok = (json.loads(line) for line in out.splitlines())
    assert missing["kind"] == "none" and "cannot read" in missing["error"]
    assert bomb["kind"] == "none" and "nested" in bomb["error"]
    assert ok["kind"] == "hard" and "error" not in ok


def test_parse_details_add_the_matching_keys(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_text(POSTFIX_DSN)
    first = json.loads(run(cli, "bounces", "parse", "--details", "a.eml").splitlines()[0])
    assert first["message_id"] == ORIGINAL_ID and first["envelope"] == [OUR_VERP]
    assert first["format"] == "dsn" and "User unknown" in first["diagnostic"]
