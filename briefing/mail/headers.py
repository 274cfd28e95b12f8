"""Building email messages whose headers cannot be injected into.

Every header value goes through `header_safe` first. The Python on our machines (3.11.7)
predates the fix for CVE-2024-6923 (newlines surviving into encoded words), so we do not
rely on the email package to refuse them: every line-break character Python knows is
removed before a value reaches a header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from briefing.core.clock import utcnow

# Everything str.splitlines() splits on, plus other C0/C1 controls.
_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_HEADER_CHARS = 900


def header_safe(value: str) -> str:
    """One line of text fit for a header: no line breaks, no controls, bounded, and no
    RFC 2047 encoded-word opener: the email package decodes `=?utf-8?q?=0A…?=` found in a
    value, which is how a newline sneaks back in (CVE-2024-6923)."""
    cleaned = " ".join(_BREAKS_AND_CONTROLS.sub(" ", value).split())
    return cleaned.replace("=?", "= ?")[:MAX_HEADER_CHARS]


def check_header_block(data: bytes, expected: set[str]) -> None:
    """Refuse a serialized message whose header block holds a header we did not set."""
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation line
        name = line.split(b":", 1)[0].decode("ascii", "replace").lower()
        if name not in expected:
            raise ValueError(f"refusing to send: unexpected header {name!r} in message")


def make_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{header_safe(domain) or 'briefing.invalid'}>"


def build_message(*, sender: Address, recipient: Address, subject: str, text: str,
                  html: str | None = None, reply_to: Address | None = None,
                  headers: Mapping[str, str] | None = None,
                  message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = header_safe(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id or make_message_id(sender.domain)
    for name, value in (headers or {}).items():
        message[header_safe(name)] = header_safe(value)
    # quoted-printable keeps every line far below SMTP's 998-octet limit.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def address(email: str, name: str = "") -> Address:
    """An Address from an already validated email. Username and domain are passed apart:
    Python 3.11 refuses internationalized local parts when it parses `addr_spec` itself."""
    username, _, domain = header_safe(email).rpartition("@")
    return Address(display_name=header_safe(name), username=username, domain=domain)
