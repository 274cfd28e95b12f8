"""What a permanent (5xx) refusal says about the reader's address.

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
"""

from __future__ import annotations

import enum
import re

__all__ = ["Verdict", "classify"]


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
