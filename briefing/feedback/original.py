"""What ties a report to the message we sent: its Message-ID and the VERP address it came to.

The returned message is attached whole (message/rfc822), as headers only
(text/rfc822-headers), or pasted below the explanation as text; an auto-reply names it in
In-Reply-To. The report itself was sent to our envelope sender, whose token names the
delivery; relays keep that address in To, Delivered-To or X-Original-To.
"""

from __future__ import annotations

import re
from email.message import Message

from briefing.feedback.addressing import addresses_in, verp_like
from briefing.feedback.mime import Limits, header, parts, text_of

__all__ = ["envelope_addresses", "original_message_id"]

_MESSAGE_ID_LINE = re.compile(r"^\s*Message-I[Dd]\s*:\s*(<[^<>\s]{3,250}>)",
                              re.IGNORECASE | re.MULTILINE)
_ANGLE_ID = re.compile(r"<[^<>\s]{3,250}>")
_ENVELOPE_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


def original_message_id(message: Message, limits: Limits) -> str | None:
    """The Message-ID of the message a report is about, if the report carries it."""
    own = header(message, "Message-ID")
    for _, part in parts(message, limits):
        found = _id_in_part(part, limits)
        if found and found != own:
            return found
    for name in ("In-Reply-To", "References"):
        match = _ANGLE_ID.search(header(message, name))
        if match:
            return match.group(0)
    return None


def _id_in_part(part: Message, limits: Limits) -> str | None:
    if part.get_content_type() in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            match = _ANGLE_ID.search(header(inner[0], "Message-ID"))
            return match.group(0) if match else None
        return None
    if part.get_content_maintype() == "text" or part.get_content_type() == "message/rfc822-headers":
        match = _MESSAGE_ID_LINE.search(text_of(part, limits))
        return match.group(1) if match else None
    return None


def envelope_addresses(message: Message) -> tuple[str, ...]:
    """Addresses with a token in the local part that the report was delivered to."""
    found: list[str] = []
    for name in _ENVELOPE_HEADERS:
        for value in message.get_all(name) or ():
            found += [a for a in addresses_in(str(value)) if verp_like(a) and a not in found]
    return tuple(found)
