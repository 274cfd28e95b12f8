"""What an SMTP refusal says: about the reader's address (5xx), or about us (4xx throttling).

Counting every 5xx as a hard bounce punishes readers for our own problems: a message refused
as spam, a sender blocked by a DMARC policy or a message too large says nothing about the
reader's mailbox, and after a few editions good addresses would be marked `bounced` and
never mailed again. So the reply is read the way mail providers read it, by its enhanced
status code (RFC 3463, "5.1.1") where there is one, and by the reply code and the stage
otherwise:

* HARD: the address itself is bad (no such user or domain, mailbox disabled): counts a
  bounce, and enough of them stop all mail to the reader.
* SOFT: the mailbox exists but cannot take mail now (full, over quota): retried later like a
  4xx, up to the attempt limit; never counts a bounce.
* BLOCKED: the receiving system refused *this message* or *us* (policy, content, size,
  protocol): the delivery fails and the reason is kept, the reader's address is not blamed.

A temporary (4xx) refusal is either about one reader (greylisting, a busy mailbox: that row
is retried later) or about us: the server, usually the provider we relay through, says we
send too much or too fast. Retrying that row by row would spend every reader's attempts
against a server that refuses them all, and mail would be lost to throttling; see
`throttled`.
"""

from __future__ import annotations

import enum
import re

__all__ = ["Verdict", "classify", "throttled"]


class Verdict(enum.StrEnum):
    HARD = "hard"
    SOFT = "soft"
    BLOCKED = "blocked"


# class.subject.detail, e.g. "5.1.1", at the start of the reply text (after the code).
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")

# RFC 3463 subjects: 1 addressing, 2 mailbox, 3 mail system, 4 network and routing,
# 5 protocol, 6 content, 7 security and policy.
_MAILBOX_FULL = {(2, 2), (2, 3)}            # over quota; message too big for this mailbox
_BAD_ADDRESS = {(1, 0), (1, 1), (1, 2), (1, 3), (1, 6), (1, 10), (2, 1), (4, 4)}
# 4.4 (unable to route) is as good as "no such domain"; 1.6 is "mailbox has moved".


def classify(code: int | None, reply: str, stage: str) -> Verdict:
    """The verdict on a 5xx reply given at `stage` ("rcpt" or "data")."""
    enhanced = _ENHANCED.match(_text_after_code(reply))
    if enhanced is not None:
        subject, detail = int(enhanced.group(2)), int(enhanced.group(3))
        if (subject, detail) in _BAD_ADDRESS:
            return Verdict.HARD
        if (subject, detail) in _MAILBOX_FULL:
            return Verdict.SOFT
        if subject == 1 and stage == "rcpt":  # other addressing trouble with this recipient
            return Verdict.HARD
        return Verdict.BLOCKED
    # No enhanced code: the reply code and where it came. Refusing a recipient at RCPT with
    # 550/551/553 is the classic "no such user"; 552 is "mailbox full". Refusals of the
    # message itself (after DATA) concern its content, not the address.
    if stage == "rcpt" and code in (550, 551, 553):
        return Verdict.HARD
    if code == 552:
        return Verdict.SOFT
    return Verdict.BLOCKED


def _text_after_code(reply: str) -> str:
    """'550 5.1.1 No such user' -> '5.1.1 No such user' (replies may arrive with the code)."""
    match = re.match(r"^\s*\d{3}[ -]?", reply)
    return reply[match.end():] if match else reply


# Temporary trouble on the server's side rather than the reader's: 4.3.x mail system (busy,
# out of resources), 4.4.5 congestion, 4.5.3 too many recipients, 4.7.x policy and rate.
_ABOUT_US = {3, 5, 7}
_ABOUT_US_DETAILED = {(4, 5)}
_SLOW_DOWN = re.compile(
    r"rate|throttl|too many|too fast|limit|quota exceeded|busy|congest|resources|"
    r"try again later|slow down|exceeded", re.IGNORECASE)
# Greylisting, and a lookup that failed for this recipient (Postfix: "451 4.3.0
# <ann@example.com>: Temporary lookup failure", its table or DNS lookup for that address).
_ONE_READER = re.compile(r"greylist|graylist|lookup fail|lookup error|failed lookup",
                         re.IGNORECASE)
# The reply is about the recipient it names: Postfix puts the address first
# ("<ann@example.com>: Recipient address rejected: ...").
_NAMES_RECIPIENT = re.compile(r"^\s*<[^<>@\s]+@[^<>\s]+>\s*:|recipient address",
                              re.IGNORECASE)


def throttled(code: int | None, reply: str, stage: str) -> bool:
    """Whether a temporary refusal asks us to slow down, for every reader, not just this one.

    421 always does: the server is closing the connection on us. So does any 4xx to MAIL
    FROM or to the greeting, which concern the sender. At RCPT or after DATA it is read by
    the wording and the enhanced status code. Greylisting (often sent as 4.7.1 "try again
    later") and a failed lookup of the recipient are about that reader; so is a refusal that
    names the recipient, unless it speaks of rate or load (a policy server's "Recipient
    address rejected: rate limit exceeded" is about us)."""
    if code is None or not 400 <= code < 500:
        return False
    if code == 421 or stage in ("connect", "mail"):
        return True
    text = _text_after_code(reply)
    if _ONE_READER.search(text):
        return False
    enhanced = _ENHANCED.match(text)
    subject = int(enhanced.group(2)) if enhanced is not None else None
    if subject in (1, 2):  # this address or this mailbox
        return False
    if _SLOW_DOWN.search(text):
        return True
    if _NAMES_RECIPIENT.search(_ENHANCED.sub("", text)):
        return False
    if enhanced is not None:
        detail = int(enhanced.group(3))
        return subject in _ABOUT_US or (subject, detail) in _ABOUT_US_DETAILED
    return False
