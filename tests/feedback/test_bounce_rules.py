"""The general rules that decide a bounce's status code and reason, one message per rule.

Every message is written here, in the shape the named servers use; the expected codes and
reasons are sisimai's conventions (its reason names and its 5.0.9xx stand-in codes), which
the evaluation set follows. The set itself is only read by the benchmark.
"""

from __future__ import annotations

import json

import pytest

from briefing.feedback import Kind, RecipientReport, read_report
from tests.support.threads import run_together


def one(raw: str) -> RecipientReport:
    [recipient] = read_report(raw.encode()).recipients
    return recipient


def dsn(status: str, diagnostic: str | None, *, text: str = "", action: str = "failed",
        container: str = "report; report-type=delivery-status",
        recipient: str = "reader@mail.example") -> str:
    """A DSN with one recipient block, and the people-oriented text before it."""
    code = f"Diagnostic-Code: smtp; {diagnostic}\n" if diagnostic is not None else ""
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@relay.example.net>
To: bounces+d1.Tk@news.example.org
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/{container}; boundary="XX"

--XX
Content-Type: text/plain

{text}

--XX
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
{code}
--XX--
"""


def exim(answer: str, recipient: str = "reader@mail.example") -> str:
    """Exim's plain-text bounce: the failed address, then the remote server's answer."""
    return f"""\
From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: briefing@news.example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {recipient}

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    {answer}

------ This is a copy of the message, including all the headers. ------

Subject: Your briefing
"""


# --- which code a report stands for ---------------------------------------------------------

def test_the_actual_problem_beats_delivery_time_expired_in_one_answer() -> None:
    got = one(dsn("4.4.7", "554 4.4.7 Message expired: unable to deliver in 840 minutes."
                           "<421 4.4.2 Connection timed out>"))
    assert (got.status, got.reason, got.kind) == ("4.4.2", "expired", Kind.SOFT)


def test_exchange_expired_in_the_status_part_takes_the_code_its_text_gives() -> None:
    text = """Delivery has failed to these recipients or groups:

reader@mail.example
Remote Server at mail.example (10.0.0.3) returned '550 4.4.7 QUEUE.Expired; message expired'
Remote Server at mail.example (10.0.0.3) returned '441 4.4.1 Error encountered while
communicating with primary target IP address: "Failed to connect."'
"""
    got = one(dsn("4.4.7", "550 4.4.7 QUEUE.Expired; message expired", text=text))
    assert got.status == "4.4.1"


def test_a_status_part_outside_a_report_yields_to_the_text_beside_it() -> None:
    text = """This is the MAILER-DAEMON, please DO NOT REPLY to this email.

An error has occurred while attempting to deliver a message for
the following list of recipients:

reader@gone.example: Domain does not exist
"""
    got = one(dsn("5.0.0", None, text=text, container="mixed", recipient="reader@gone.example"))
    assert (got.status, got.reason, got.kind) == ("5.0.912", "hostunknown", Kind.HARD)


def test_an_expired_envelope_without_a_code_gets_the_permanent_stand_in() -> None:
    text = """A message is delayed for more than 0 seconds for the following
list of recipients:

reader@mail.example: Envelope expired
"""
    got = one(dsn("4.4.7", None, text=text, action="delayed", container="mixed"))
    assert (got.status, got.reason, got.kind) == ("5.0.947", "expired", Kind.SOFT)


def test_a_class_only_code_in_the_answer_is_kept_rather_than_replaced() -> None:
    got = one(exim("SMTP error from remote mail server after end of data:\n"
                   "    554 5.0.0 Service unavailable"))
    assert got.status == "5.0.0"


def test_stand_in_codes_are_sisimais_for_the_newer_reasons() -> None:
    got = one(exim("SMTP error from remote mail server after MAIL FROM:"
                   "<briefing@news.example.org>:\n"
                   "    550 Client host rejected: cannot find your reverse hostname"))
    assert (got.reason, got.status) == ("requireptr", "5.0.973")


def test_a_temporary_reply_without_a_code_gets_a_temporary_stand_in() -> None:
    got = one(exim("SMTP error from remote mail server after RCPT TO:<reader@mail.example>:\n"
                   "    ERROR_CODE :452, Mailbox full"))
    assert (got.reason, got.status, got.kind) == ("mailboxfull", "4.0.922", Kind.SOFT)


# --- which reason -----------------------------------------------------------------------------

GOOGLE_GROUPS = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: briefing@news.example.org
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: readers@googlegroups.com
Content-Type: text/plain; charset=UTF-8

Hallo briefing@news.example.org,

die Gruppe, die Sie erreichen wollten (readers), existiert möglicherweise nicht, oder Sie
dürfen in ihr keine Beiträge veröffentlichen. Mögliche Gründe:

* Der Name der Gruppe ist falsch geschrieben.
* Der Inhaber hat die Gruppe entfernt.
* Sie müssen der Gruppe beitreten, bevor Sie posten dürfen.
* Die Gruppe ist nicht für Beiträge geöffnet.

Hilfe finden Sie unter https://groups.google.com/support/.

Google Groups

----- Original message -----

Subject: Your briefing
"""


def test_google_groups_refusing_a_post_is_about_the_sender_in_any_language() -> None:
    got = one(GOOGLE_GROUPS)
    assert (got.recipient, got.reason, got.status, got.kind) == (
        "readers@googlegroups.com", "rejected", "5.0.918", Kind.SOFT)


def test_orange_reference_codes_name_the_reason_whatever_the_enhanced_code() -> None:
    unknown = one(dsn("5.5.0", "550 5.5.0 Destinataire inconnu. Unknown recipient. "
                               "OFR004_416 [416]"))
    spam = one(dsn("5.2.0", "550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]"))
    assert (unknown.reason, unknown.kind) == ("userunknown", Kind.HARD)
    assert (spam.reason, spam.status, spam.kind) == ("spamdetected", "5.2.0", Kind.SOFT)


def test_a_listed_link_in_the_message_is_spam_not_a_blocked_sender() -> None:
    got = one(exim("SMTP error from remote mail server after end of data:\n"
                   "    550 Rejected: URL in message listed at black.uribl.example"))
    assert (got.reason, got.status) == ("spamdetected", "5.0.980")


def test_a_server_that_never_took_the_connection_is_expired() -> None:
    got = one(exim("The recipient server did not accept our requests to connect.\n"
                   "    [mail.example. [192.0.2.9]:25: socket error]"))
    assert (got.reason, got.status, got.kind) == ("expired", "5.0.947", Kind.SOFT)


def test_a_malformed_address_is_a_syntax_error_not_a_dead_mailbox() -> None:
    got = one(exim("malformed address: <reader@mail.example> may not follow someone"))
    assert (got.reason, got.status, got.kind) == ("syntaxerror", "5.0.902", Kind.SOFT)


def test_a_refusal_at_the_greeting_that_says_nothing_more_is_a_blocked_sender() -> None:
    got = one(exim("SMTP error from remote mail server after initial connection:\n"
                   "    host mx.mail.example [192.0.2.4]:\n"
                   "    554 mx.mail.example : go away - 203.0.113.9"))
    assert (got.reason, got.status) == ("blocked", "5.0.971")


def test_the_address_type_of_a_pasted_status_field_is_not_an_rfc_complaint() -> None:
    got = one(exim("Technical report:\n    Final-Recipient: rfc822; reader@mail.example\n"
                   "    Diagnostic-Code: smtp; 554 4.4.7 Message expired"))
    assert got.reason == "expired"


# --- what reports arrive as -------------------------------------------------------------------

def test_an_ses_notification_mailed_with_wrapped_lines_is_still_read() -> None:
    inner = {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "reader@mail.example", "action": "failed",
                               "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"messageId": "abc", "commonHeaders": {"subject": "A long subject line"}}}
    body = json.dumps({"Type": "Notification", "MessageId": "m1",
                       "Message": json.dumps(inner)}, indent=2)
    cut = body.index("long subject")
    wrapped = f"{body[:cut]}\n {body[cut:]}"  # a relay broke the long line here
    raw = ("From: SES <no-reply@sns.amazonaws.com>\nTo: briefing@news.example.org\n"
           f"Subject: AWS Notification Message\n\n{wrapped}\n")
    got = one(raw)
    assert (got.recipient, got.status, got.kind) == ("reader@mail.example", "5.1.1", Kind.HARD)


APPLE_UNSUBSCRIBE = """\
From: reader@icloud.example
To: unsubscribe+list7@news.example.org
Subject: unsubscribe
Auto-Submitted: auto-replied
X-Apple-Unsubscribe: true

Apple Mail sent this email to unsubscribe from the message "Your briefing".
"""


def test_apple_mails_unsubscribe_button_is_an_opt_out_not_a_vacation_reply() -> None:
    got = one(APPLE_UNSUBSCRIBE)
    assert (got.recipient, got.kind, got.feedback_type) == (
        "reader@icloud.example", Kind.COMPLAINT, "opt-out")


# --- reading the layout -----------------------------------------------------------------------

def test_a_domain_without_a_mail_exchanger_does_not_accept_mail() -> None:
    got = one(exim("Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)"))
    assert (got.reason, got.status, got.kind) == ("notaccept", "5.4.4", Kind.HARD)


def test_postmaster_can_be_the_address_that_failed() -> None:
    text = """An error has occurred while attempting to deliver a message for
the following list of recipients:

postmaster@gone.example: Domain does not exist
"""
    got = one(dsn("5.0.0", None, text=text, container="mixed",
                  recipient="postmaster@gone.example"))
    assert (got.recipient, got.status, got.kind) == (
        "postmaster@gone.example", "5.0.912", Kind.HARD)


def test_a_text_part_whose_type_lost_its_semicolon_is_still_read() -> None:
    raw = """\
From: "Mail Delivery System" <MAILER-DAEMON>
To: briefing@news.example.org
Subject: Returned Mail: User unknown
Content-Type: multipart/mixed; boundary="=B="

--=B=
Content-Type: text/plain
   charset="iso-2022-jp"

---The following addresses had delivery errors---

reader@mail.example [Mailbox full]

--=B=--
"""
    got = one(raw)
    assert (got.recipient, got.reason) == ("reader@mail.example", "mailboxfull")


def test_a_failed_address_that_is_also_the_reports_addressee_keeps_its_diagnostic() -> None:
    raw = exim("SMTP error from remote server for TEXT command, host: mx.mail.example\n"
               "    reason: 552 5.2.2 Mailbox full", recipient="self@mail.example")
    raw = raw.replace("To: briefing@news.example.org", "To: self@mail.example")
    got = one(raw)
    assert (got.recipient, got.status, got.reason) == ("self@mail.example", "5.2.2",
                                                       "mailboxfull")


POSTMASTER_NOTICE = """\
From: MAILER-DAEMON@mx.mail.example (Mail Delivery System)
To: postmaster@mx.mail.example (Postmaster)
Subject: Postfix SMTP server: errors from relay.example.net[192.0.2.1]

Transcript of session follows.

 Out: 220 mx.mail.example ESMTP
 In:  EHLO relay.example.net
 Out: 250 mx.mail.example
 In:  MAIL FROM:<bounces+d1.Tk@news.example.org>
 Out: 250 2.1.0 Ok
 In:  RCPT TO:<reader@mail.example>
 Out: 250 2.1.5 Ok
 In:  DATA
 Out: 354 End data with <CR><LF>.<CR><LF>
 Out: 451 4.3.0 Error: queue file write error
 In:  QUIT
 Out: 221 2.0.0 Bye
"""


def test_a_session_transcript_names_the_recipient_and_its_refusal() -> None:
    got = one(POSTMASTER_NOTICE)
    assert (got.recipient, got.status, got.reason, got.kind) == (
        "reader@mail.example", "4.3.0", "systemerror", Kind.SOFT)


SMS_GATEWAY = """\
From: post_master@sms.example
To: briefing@news.example.org
Subject: Re: Your briefing
Content-Type: multipart/mixed; boundary="=outer="

--=outer=
Content-Type: multipart/alternative;
boundary="=inner="

--=inner=
Content-Type: text/plain; charset=us-ascii

Error: Invalid user address

Error message below:
550 - Requested action not taken: no such user here

Message details:
  Subject: Your briefing
  MAIL FROM: briefing@news.example.org
  RCPT TO: reader@sms.example

--=inner=--

--=outer=--
"""


def test_a_gateway_refusal_with_a_broken_inner_boundary_is_a_bounce() -> None:
    got = one(SMS_GATEWAY)
    assert (got.recipient, got.reason, got.status, got.kind) == (
        "reader@sms.example", "userunknown", "5.0.911", Kind.HARD)


SENDMAIL_V5 = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: briefing@news.example.org
Subject: Returned mail: User unknown

   ----- Transcript of session follows -----
554 <first@one.example>... Remote protocol error: Connection reset by peer
550 two.example (smtp)... 550 Host unknown
554 <second@two.example>... 550 Host unknown (Authoritative answer from name server)

   ----- Unsent message follows -----
Subject: Your briefing
"""


def test_a_sendmail_line_that_starts_with_its_code_is_that_addresss_whole_answer() -> None:
    first, second = read_report(SENDMAIL_V5.encode()).recipients
    assert (first.recipient, first.kind) == ("first@one.example", Kind.SOFT)
    assert (second.recipient, second.reason, second.kind) == (
        "second@two.example", "hostunknown", Kind.HARD)


# --- the wording of many servers, as sisimai's reason lists know it --------------------------

@pytest.mark.parametrize(("answer", "reason"), [
    ("554 5.7.1 Sender address has been blacklisted", "rejected"),
    ("550 Rejected: header size exceeds the maximum permitted", "contenterror"),
    ("421 Throttling failure: daily message quota exceeded", "toomanyconn"),
    ("554 Remote protocol error: connection reset by peer", "blocked"),
    ("550 The account that you tried to reach is disabled", "suspend"),
    ("550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: header are not accepted",
     "notcompliantrfc"),
    ("451 4.7.1 Client host rejected: Please try again slower", "speeding"),
    ("552 Max message size exceeded", "mesgtoobig"),
    ("550 Unknown virtual user (in reply to RCPT TO command)", "userunknown"),
    ("554 This recipient has been replaced by someone@else.example", "hasmoved"),
])
def test_common_wordings_read_as_sisimais_reason(answer: str, reason: str) -> None:
    assert one(dsn("5.0.0", answer)).reason == reason


def test_a_precise_code_overrules_words_about_the_server() -> None:
    got = one(dsn("4.2.2", "452 Temporary failure, please try again later"))
    assert (got.reason, got.status) == ("mailboxfull", "4.2.2")


@pytest.mark.parametrize("filler", ["<", "mailbox", "user ", "RCPT TO:<"])
def test_a_megabyte_wall_of_one_word_is_read_without_stalling(filler: str) -> None:
    wall = filler * (900_000 // len(filler))
    raw = exim(f"550 {wall}").encode()
    # A deadline, not a timing: a phrase that backtracks over the wall would take hours.
    [report] = run_together(lambda: read_report(raw), copies=1, timeout=120)
    assert all(entry.kind is not Kind.HARD for entry in report.recipients)
