"""From what a report says about one recipient to a verdict: hard, soft or none.

Only a permanent failure that blames the address itself is hard — no such user, no such
domain, the mailbox has moved, the domain accepts no mail — because hard means the reader is
suppressed on every list. Everything else a server refuses is about us or this message
(spam filters, blocklists, authentication, size) or passes (full mailbox, timeouts, 4xx), and
only counts. That is sisimai's split too, whose reason names the `reason` field uses.
"""

from __future__ import annotations

import re

from briefing.feedback.model import Kind, RecipientReport
from briefing.feedback.providers import provider_code_reason
from briefing.feedback.reasons import AFTER_CODE, reason_from_text
from briefing.feedback.status import (
    find_reply_code,
    find_status,
    is_specific,
    names_address,
    prefer,
    pseudo_status,
    reason_of_status,
)

__all__ = ["HARD_REASONS", "judge"]

HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})
_DELIVERED_ACTIONS = ("delivered", "relayed", "expanded")
# What sisimai's codes only hint at, so that the words are asked again (its "retry" set).
_UNSURE_CODES = frozenset({"systemerror", "securityerror", "expired", "networkerror",
                           "hostunknown", "userunknown"})
_TEMPORARY_WORDS = re.compile(r"\btemporar|\bpersistent", re.IGNORECASE)
_VALID_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def judge(recipient: str | None, *, status: str | None = None, diagnostic: str = "",
          action: str = "", context: str = "", known: str | None = None) -> RecipientReport:
    """The verdict on one recipient.

    `context` is nearby prose, read when the diagnostic is mute; `known` is a reason the
    report's layout already established (a provider's fixed notice), which the words and
    the code then do not overrule.
    """
    reply = find_reply_code(diagnostic)
    code = prefer(_valid(status), find_status(diagnostic), reply)
    if action.startswith(_DELIVERED_ACTIONS) or (code or "").startswith("2"):
        return RecipientReport(recipient, Kind.NONE, code, "delivered", diagnostic)
    reason = known or _reason(code, diagnostic, context)
    # A failure reported without any code gets sisimai's stand-in for its reason, permanent
    # unless the server's answer itself says temporary (a 4xx reply, "temporarily").
    code = code or pseudo_status(reason, not _temporary(reply, diagnostic))
    permanent = not action.startswith("delayed") and (code or "5").startswith("5")
    kind = Kind.HARD if reason in HARD_REASONS and permanent else Kind.SOFT
    return RecipientReport(recipient, kind, code, reason, diagnostic)


def _valid(status: str | None) -> str | None:
    given = status.strip() if status else None
    return given if given and _VALID_STATUS.match(given) else None


def _temporary(reply: str | None, diagnostic: str) -> bool:
    if reply is not None:
        return reply.startswith("4")
    return bool(_TEMPORARY_WORDS.search(diagnostic))


# A multi-line SMTP reply repeats its codes on every line ("550-5.7.1 Messages with multiple
# 550-5.7.1 addresses in From: ..."); the words read as one sentence without them.
_CONTINUED_REPLY = re.compile(r"(?<=\S)\s+[245]\d\d[- ](?:#?[245]\.\d{1,3}\.\d{1,3}\s+)?")


def _reason(code: str | None, diagnostic: str, context: str) -> str:
    words = _CONTINUED_REPLY.sub(" ", diagnostic)
    by_provider = provider_code_reason(words)
    if by_provider is not None:  # a provider's own reference code says exactly what it meant
        return by_provider
    by_code = reason_of_status(code)
    if by_code == "rejected":  # X.1.7 / X.1.8: the code says it is our sender address
        return by_code
    reason = _explained(by_code, words, context) or ("undefined" if code else "onhold")
    stage = (_stage(diagnostic) or _stage(context) or _implied_stage(diagnostic)
             or _implied_stage(context))
    return _in_context(reason, code, stage, words, diagnostic)


def _explained(by_code: str | None, words: str, context: str) -> str | None:
    """The server's own words first, then its code, then the looser words and the prose
    around it; None when nothing explains the failure (sisimai's "onhold")."""
    said = reason_from_text(words)
    if said in AFTER_CODE and by_code is not None and by_code not in _UNSURE_CODES:
        said = None  # words about the path or the server yield to a code that is precise
    return (said or by_code or reason_from_text(words, loose=True)
            or reason_from_text(context) or reason_from_text(context, loose=True))


# The SMTP command a refusal answered: named outright ("in reply to RCPT TO command",
# "after end of data", "SMTP command: DATA", "after initial connection"), or the last command
# a transcript shows before the first refusal (">>> RCPT To:<…>" then "<<< 550 …").
_NAMED_STAGE = re.compile(r"(?:in reply to|after|smtp command:?)\s+(?:the\s+)?(?:initial\s+)?"
                          r"(RCPT|MAIL|DATA|end of data|connection|greeting|HELO|EHLO)"
                          r"|\[(RCPT|MAIL|DATA)(?:_TO|_FROM)?\]",
                          re.IGNORECASE)
# Wordings that imply the command: qmail's "does not like recipient" and "sender was
# rejected", Exchange's "SMTP:RCPT host …", Postfix's "Recipient/Sender address rejected"
# (its smtpd checks at RCPT TO and MAIL FROM), "failed after I sent the message".
_IMPLIED_STAGE = (
    ("rcpt", re.compile(r"does not like recipient|\bSMTP:RCPT\b|recipient address rejected",
                        re.IGNORECASE)),
    ("mail", re.compile(r"sender was rejected|\bSMTP:MAIL\b|sender address rejected",
                        re.IGNORECASE)),
    ("data", re.compile(r"failed after I sent the message|\bSMTP:DATA\b", re.IGNORECASE)),
)
_COMMAND = re.compile(r"\b(RCPT|MAIL FROM|DATA|HELO|EHLO)\b")
_REFUSAL = re.compile(r"(?:^|<<<\s*|Out:\s*)[45]\d\d[ -]", re.MULTILINE)
_STAGES = {"rcpt": "rcpt", "mail": "mail", "mail from": "mail", "data": "data",
           "end of data": "data", "connection": "connect", "greeting": "connect",
           "helo": "connect", "ehlo": "connect"}


def _stage(text: str) -> str | None:
    """The SMTP command a refusal in `text` answered: "connect", "rcpt", "mail" or "data"."""
    named = _NAMED_STAGE.search(text)
    if named:
        return _STAGES[(named.group(1) or named.group(2)).lower()]
    refusal = _REFUSAL.search(text)
    commands = _COMMAND.findall(text[: refusal.start()] if refusal else "")
    return _STAGES[commands[-1].lower()] if commands else None


def _implied_stage(text: str) -> str | None:
    """The command a refusal's wording implies; asked after any command a text names."""
    return next((stage for stage, words in _IMPLIED_STAGE if words.search(text)), None)


def _in_context(reason: str, code: str | None, stage: str | None, words: str,
                diagnostic: str) -> str:
    """"User unknown" is believed only where it can mean the mailbox is missing.

    A server that accepted the recipient and then says "user unknown" after the message
    (a content filter), or says it with a policy code (5.7.1), is refusing the message, not
    naming a dead mailbox; the same words about MAIL FROM are about our sender address.
    A refusal nothing else explains that came at the greeting is about our sending host.
    `words` is the server's answer as one sentence, `diagnostic` as it was written.
    """
    if reason in ("onhold", "undefined") and stage == "connect":
        return "blocked"  # refused before any address was given: it is our sending host
    if reason not in ("userunknown", "hostunknown"):
        return reason
    if stage == "mail":
        return "rejected"
    if reason == "hostunknown" or stage == "rcpt" or names_address(code):
        return reason
    if stage == "data" or (is_specific(code) and reason_of_status(code) is not None):
        return "filtered"
    said = reason_from_text(words) or reason_from_text(words, loose=True)
    if said == reason and not _NAMES_ADDRESS.search(diagnostic):
        # The server said "user unknown" but nothing shows it answered RCPT TO: no code
        # about the address, no command, not even the address in its reply. Filters on
        # Japanese carriers and appliances answer so after DATA; sisimai calls it filtered.
        return "filtered"
    return reason


# A reply that names the refused address ("550 <a@b>: User unknown", Sendmail's "550 a@b...
# No such user", "550 Unknown user a@b") is how servers answer RCPT TO.
_NAMES_ADDRESS = re.compile(r"(?<![\d.])[45]\d\d[ -][^@\n]{0,80}?[^\s<>@:]@[^\s<>@]")
