"""Spam complaints: RFC 5965 feedback reports (ARF) and the looser forms providers send.

A mailbox provider's feedback loop returns the message a reader marked as spam with a
machine-readable part ("Feedback-Type: abuse"). Some send it as plain text, or without the
multipart/report wrapper, so the fields are also looked for in any text part. The reader is
Original-Rcpt-To when the provider keeps it (many redact it), else the To of the returned
message; a later step can still match the complaint through the returned Message-ID.
Apple Mail's unsubscribe button, which mails the list's unsubscribe address on the reader's
behalf, is read as the "opt-out" report it amounts to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from briefing.feedback.addressing import addresses_in, normalize
from briefing.feedback.mime import Limits, header, parts, text_of

__all__ = ["Complaint", "read_complaint"]

_FEEDBACK_TYPE = re.compile(r"^Feedback-Type:\s*([\w-]+)", re.IGNORECASE | re.MULTILINE)
_RCPT = re.compile(r"^(?:Original-Rcpt-To|Removal-Recipient):\s*(.+)$",
                   re.IGNORECASE | re.MULTILINE)
_RETURNED_TO = re.compile(r"^To:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Complaint:
    feedback_type: str
    recipients: tuple[str | None, ...]


def read_complaint(message: Message, limits: Limits) -> Complaint | None:
    """The complaint a message carries, or None when it is not a feedback report."""
    fields = _feedback_fields(message, limits)
    if fields is None:
        return _microsoft_jmrp(message, limits) or _mailed_unsubscribe(message)
    kind = _FEEDBACK_TYPE.search(fields)
    recipients = [normalize(m.group(1)) for m in _RCPT.finditer(fields)]
    found = tuple(r for r in recipients if r) or (_returned_recipient(message, limits),)
    return Complaint(kind.group(1).lower() if kind else "abuse", found)


def _feedback_fields(message: Message, limits: Limits) -> str | None:
    for _, part in parts(message, limits):
        if part.get_content_type() == "message/feedback-report":
            return _as_text(part, limits)
    for _, part in parts(message, limits):
        if part.get_content_maintype() == "text":
            text = text_of(part, limits)
            if _FEEDBACK_TYPE.search(text) and re.search(r"^User-Agent:", text, re.I | re.M):
                return text
    return None


def _as_text(part: Message, limits: Limits) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed into header blocks
        return "\n".join(f"{k}: {v}" for block in payload if isinstance(block, Message)
                         for k, v in block.items())
    return text_of(part, limits)


def _returned_recipient(message: Message, limits: Limits) -> str | None:
    for _, part in parts(message, limits):
        ctype = part.get_content_type()
        inner = part.get_payload()
        if ctype == "message/rfc822" and isinstance(inner, list) and inner:
            original = inner[0]
            if isinstance(original, Message):
                found = addresses_in(header(original, "To"))
                if found:
                    return found[0]
        if ctype in ("text/rfc822-headers", "text/plain") and part is not message:
            match = _RETURNED_TO.search(text_of(part, limits))
            if match and normalize(match.group(1)):
                return normalize(match.group(1))
    return None


def _microsoft_jmrp(message: Message, limits: Limits) -> Complaint | None:
    # Outlook.com's junk-mail reports carry the reader in a header of the returned message.
    for _, part in parts(message, limits):
        value = part.get("X-HmXmrOriginalRecipient")
        if value:
            return Complaint("abuse", (normalize(str(value)),))
    return None


def _mailed_unsubscribe(message: Message) -> Complaint | None:
    # Apple Mail's "Unsubscribe" button mails the List-Unsubscribe address on the reader's
    # behalf and marks it so: the reader asked to stop, which ARF calls an "opt-out" report.
    if header(message, "X-Apple-Unsubscribe").lower() != "true":
        return None
    readers = addresses_in(header(message, "From"))
    return Complaint("opt-out", (readers[0] if readers else None,))
