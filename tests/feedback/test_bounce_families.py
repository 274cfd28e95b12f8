"""Rule families that decide between close reasons: a dead mailbox or a filter, a missing
domain or a broken resolver, and which SMTP command a refusal answered.

Every message is written here in the shape the named servers use; expectations follow
sisimai's conventions, as in test_bounce_rules.
"""

from __future__ import annotations

import json

import pytest

from briefing.feedback import Kind, read_report
from tests.feedback.test_bounce_rules import dsn, exim, one

# --- "user unknown" is a dead mailbox only where the address itself was refused -----------


@pytest.mark.parametrize("answer", [
    "550 User unknown in virtual mailbox table",  # no code, no command, no address quoted
    "550 : unknown user",
])
def test_user_unknown_without_proof_the_address_was_refused_is_a_filter(answer: str) -> None:
    got = one(exim(answer))
    assert (got.kind, got.reason, got.status) == (Kind.SOFT, "filtered", "5.0.910")


@pytest.mark.parametrize("answer", [
    "550 <reader@mail.example>: User unknown",        # Postfix quotes the refused address
    "550 reader@mail.example... No such user",        # Sendmail's RCPT reply
    "550 Unknown user reader@mail.example",
    "550 5.1.1 User unknown",                         # RFC 3463: bad destination mailbox
    "550 User unknown (in reply to RCPT TO command)",
])
def test_user_unknown_with_the_address_refused_is_a_dead_mailbox(answer: str) -> None:
    got = one(exim(answer))
    assert (got.kind, got.reason) == (Kind.HARD, "userunknown")


def test_a_vendor_code_past_rfc_3463s_registry_does_not_prove_the_address_was_refused() -> None:
    vendor = "550 5.1.351 Remote server returned unknown recipient -> 550 : User unknown"
    quoted = "550 5.1.351 Remote server returned unknown recipient -> 550 <reader@mail.example>:" \
             " User unknown"
    assert one(dsn("5.1.351", vendor)).kind is Kind.SOFT
    assert one(dsn("5.1.351", quoted)).kind is Kind.HARD


def test_a_notice_that_says_the_address_was_not_found_is_still_believed() -> None:
    # The words are the provider's own notice, not a server's reply: nothing to doubt.
    got = one(dsn("5.0.0", None, text="** Address not found **\n\nYour message "
                                      "wasn't delivered to reader@mail.example."))
    assert (got.kind, got.reason) == (Kind.HARD, "userunknown")


# --- the SMTP command a refusal answered, from the wording that implies it ----------------

@pytest.mark.parametrize(("answer", "reason"), [
    # qmail: "<host> does not like recipient." is its RCPT TO refusal
    ("192.0.2.1 does not like recipient. Remote host said: 550 5.2.1 No such user", "userunknown"),
    # Exchange's technical details name the command as "SMTP:RCPT"
    ("Technical details: SMTP:RCPT host 192.0.2.1: 553 5.3.0 No such user here", "userunknown"),
    # qmail: the sender was refused, so "unknown" is about our address
    ("Connected to 192.0.2.1 but sender was rejected. 550 unknown user", "rejected"),
])
def test_wording_that_implies_the_command_places_the_refusal(answer: str, reason: str) -> None:
    assert one(exim(answer)).reason == reason


def test_a_command_the_transcript_names_beats_the_one_the_wording_implies() -> None:
    text = ("... while talking to mx.mail.example.:\n>>> DATA\n"
            "<<< 550 5.7.1 <reader@mail.example>: Recipient address rejected: User unknown\n")
    got = one(dsn("5.7.1", "550 5.7.1 <reader@mail.example>: Recipient address rejected: "
                           "User unknown", text=text))
    assert (got.kind, got.reason) == (Kind.SOFT, "filtered")


# --- phrase families that sit close to others --------------------------------------------

@pytest.mark.parametrize(("status", "answer", "reason"), [
    ("5.4.4", "Name service error for name=mail.example type=MX: Host not found", "hostunknown"),
    ("5.4.4", "Name service error for name=mail.example type=MX: Malformed or unexpected name "
              "server reply", "networkerror"),
    ("4.4.3", "Name service error for name=mail.example type=A: Host not found, try again",
     "networkerror"),
])
def test_a_resolver_failing_is_not_a_missing_domain(status: str, answer: str,
                                                    reason: str) -> None:
    assert one(dsn(status, answer)).reason == reason


def test_a_list_of_possible_causes_is_read_by_its_first() -> None:
    got = one(exim("The mail server could not deliver mail to reader@mail.example. The account "
                   "or domain may not exist, they may be blacklisted, or missing dns entries."))
    assert (got.kind, got.reason) == (Kind.HARD, "hostunknown")


@pytest.mark.parametrize("answer", [
    "554 delivery error: dd This user doesn't have a mail.example account "
    "(reader@mail.example) [0] - mta1.mail.example (in reply to RCPT TO command)",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [host.mail.example]",
])
def test_provider_wordings_for_a_missing_mailbox(answer: str) -> None:
    got = one(exim(answer))
    assert (got.kind, got.reason) == (Kind.HARD, "userunknown")


# --- SES notifications mailed through an SNS email subscription ---------------------------

def test_a_mailed_ses_delivery_notification_with_its_footer_reports_a_delivery() -> None:
    notice = {"notificationType": "Delivery", "mail": {"messageId": "m1"},
              "delivery": {"recipients": ["reader@mail.example"],
                           "smtpResponse": "250 2.6.0 Message received"}}
    raw = ("From: SES <no-reply@sns.amazonaws.com>\nTo: briefing@news.example.org\n"
           f"Subject: AWS Notification Message\n\n{json.dumps(notice)}\n\n--\n"
           "If you wish to stop receiving notifications from this topic, please click below\n")
    got = one(raw)
    assert (got.recipient, got.kind, got.status, got.reason) == (
        "reader@mail.example", Kind.NONE, "2.6.0", "delivered")


# --- bounces known by their subject --------------------------------------------------------

@pytest.mark.parametrize("subject", [
    "mail failed, returning to sender",
    "=?utf-8?b?44Oh44OD44K744O844K444KS6YWN5L+h44Gn44GN44G+44Gb44KT?=",  # "could not deliver"
])
def test_a_mailer_notice_known_by_its_subject_is_a_bounce(subject: str) -> None:
    raw = (f"From: MAILER-DAEMON@mx.mail.example\nTo: briefing@news.example.org\n"
           f"Subject: {subject}\n\n"
           "Failed addresses follow:\n reader@gone.example ... unknown host\n")
    got = one(raw)
    assert (got.recipient, got.kind, got.reason) == ("reader@gone.example", Kind.HARD,
                                                     "hostunknown")


# --- provider reference codes -------------------------------------------------------------

EXCHANGE_IMS = """\
From: System Administrator <postmaster@corp.example>
To: briefing@news.example.org
Subject: Undeliverable: Your briefing

Your message

  To:      reader@corp.example
  Subject: Your briefing

did not reach the following recipient(s):

reader@corp.example on Mon, 1 Dec 2003 08:00:00 -0000
    {words}
    MSEXCH:IMS:CORP:SITE:MAIL1 0 ({code}) {label}
"""


@pytest.mark.parametrize(("code", "label", "kind", "reason"), [
    ("000C05A6", "Unknown Recipient", Kind.HARD, "userunknown"),
    ("000C0595", "Ambiguous Recipient", Kind.SOFT, "filtered"),
    ("00120270", "Too Many Hops", Kind.SOFT, "networkerror"),
])
def test_exchange_ims_codes_name_the_reason(code: str, label: str, kind: Kind,
                                            reason: str) -> None:
    got = one(EXCHANGE_IMS.format(words="The recipient name is not recognized", code=code,
                                  label=label))
    assert (got.recipient, got.kind, got.reason) == ("reader@corp.example", kind, reason)


# --- status fields a damaged boundary left inside the text --------------------------------

SWALLOWED_STATUS = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: briefing@news.example.org
Subject: Returned mail: see transcript for details
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

   ----- The following addresses had delivery problems -----
<first@one.example> (unrecoverable error)

 --B1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; first@one.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <first@one.example>... User unknown

Final-Recipient: rfc822; second@two.example
Action: delayed
Status: 4.0.0

--B1--
"""


def test_status_fields_swallowed_by_the_text_before_them_are_still_read() -> None:
    report = read_report(SWALLOWED_STATUS.encode())
    got = [(r.recipient, r.kind, r.status, r.diagnostic) for r in report.recipients]
    assert report.format == "dsn"
    assert got == [("first@one.example", Kind.HARD, "5.1.1",
                    "550 5.1.1 <first@one.example>... User unknown"),
                   ("second@two.example", Kind.SOFT, "4.0.0", "")]
