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
from briefing.feedback.reasons import reason_from_text
from briefing.feedback.status import find_status, is_specific, pseudo_status, reason_of_status

__all__ = ["HARD_REASONS", "judge"]

HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})
_DELIVERED_ACTIONS = ("delivered", "relayed", "expanded")
_REPLY_CODE = re.compile(r"(?<![\d.])([245])\d\d(?=[ -])")
_VALID_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def judge(recipient: str | None, *, status: str | None = None, diagnostic: str = "",
          action: str = "", context: str = "") -> RecipientReport:
    """The verdict on one recipient; `context` is nearby prose used when the diagnostic is mute."""
    code = _status(status, diagnostic)
    if action.startswith(_DELIVERED_ACTIONS) or (code or "").startswith("2"):
        return RecipientReport(recipient, Kind.NONE, code, "delivered", diagnostic)
    permanent = _permanent(action, code, diagnostic or context)
    reason = _reason(code, diagnostic, context)
    if code is None or (not is_specific(code) and code.endswith(".0.0") and status is None):
        code = pseudo_status(reason, permanent) or code
    kind = Kind.HARD if reason in HARD_REASONS and permanent else Kind.SOFT
    return RecipientReport(recipient, kind, code, reason, diagnostic)


def _status(status: str | None, diagnostic: str) -> str | None:
    given = status.strip() if status else None
    given = given if given and _VALID_STATUS.match(given) else None
    found = find_status(diagnostic)
    if given is None or (not is_specific(given) and is_specific(found)
                         and found and found[0] == given[0]):
        return found or given
    return given


def _permanent(action: str, code: str | None, text: str) -> bool:
    if action.startswith("delayed"):
        return False
    if code is not None:
        return code.startswith("5")
    reply = _REPLY_CODE.search(text)
    if reply is not None:
        return reply.group(1) == "5"
    return not action or action.startswith(("failed", "fail", "error"))


def _reason(code: str | None, diagnostic: str, context: str) -> str:
    by_code = reason_of_status(code)
    if by_code == "rejected":  # X.1.7 / X.1.8: the code says it is our sender address
        return by_code
    # The server's own words first, then its code, then the looser words and the prose
    # around it; a failure nothing explains is "onhold" (sisimai's "can't tell yet").
    reason = (reason_from_text(diagnostic) or by_code
              or reason_from_text(diagnostic, loose=True) or reason_from_text(context)
              or reason_from_text(context, loose=True) or ("undefined" if code else "onhold"))
    return _in_context(reason, code, _stage(diagnostic) or _stage(context))


# The SMTP command a refusal answered: named outright ("in reply to RCPT TO command",
# "after end of data", "SMTP command: DATA"), or the last command a transcript shows before
# the first refusal (">>> RCPT To:<…>" then "<<< 550 …").
_NAMED_STAGE = re.compile(r"(?:in reply to|after|smtp command:?)\s+(?:the\s+)?"
                          r"(RCPT|MAIL|DATA|end of data)|\[(RCPT|MAIL|DATA)(?:_TO|_FROM)?\]",
                          re.IGNORECASE)
_COMMAND = re.compile(r"\b(RCPT|MAIL FROM|DATA)\b")
_REFUSAL = re.compile(r"(?:^|<<<\s*|Out:\s*)[45]\d\d[ -]", re.MULTILINE)
_STAGES = {"rcpt": "rcpt", "mail": "mail", "mail from": "mail", "data": "data",
           "end of data": "data"}


def _stage(text: str) -> str | None:
    """The SMTP command a refusal in `text` answered: "rcpt", "mail" or "data"."""
    named = _NAMED_STAGE.search(text)
    if named:
        return _STAGES[(named.group(1) or named.group(2)).lower()]
    refusal = _REFUSAL.search(text)
    commands = _COMMAND.findall(text[: refusal.start()] if refusal else "")
    return _STAGES[commands[-1].lower()] if commands else None


def _in_context(reason: str, code: str | None, stage: str | None) -> str:
    """"User unknown" is believed only where it can mean the mailbox is missing.

    A server that accepted the recipient and then says "user unknown" after the message
    (a content filter), or says it with a policy code (5.7.1), is refusing the message, not
    naming a dead mailbox; the same words about MAIL FROM are about our sender address.
    """
    if reason not in ("userunknown", "hostunknown"):
        return reason
    if stage == "mail":
        return "rejected"
    addressing = code is not None and code.split(".")[1] == "1"
    if reason == "hostunknown" or stage == "rcpt" or addressing:
        return reason
    if stage == "data" or (code is not None and is_specific(code)):
        return "filtered"
    return reason
