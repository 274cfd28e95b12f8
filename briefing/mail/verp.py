"""Return paths and Message-IDs that name the delivery they belong to, and cannot be forged.

With `BRIEFING_BOUNCE_ADDRESS=bounces@news.example.org` each copy's envelope sender is
`bounces+d<delivery id>-<tag>@news.example.org` (VERP): a bounce comes back to an address that
says which copy failed. The tag is an HMAC of the delivery id under the secret key, so nobody
can write a report that suppresses a reader we never mailed. The Message-ID carries the same
kind of tag, for reports that lost the envelope address but quote the original's headers.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["delivery_of_address", "delivery_of_message_id", "message_id", "return_path"]

_TAG_CHARS = 10
_RETURN_PATH = re.compile(r"\+d(\d{1,18})-([0-9a-f]{10})@", re.IGNORECASE)  # 10: _TAG_CHARS
_MESSAGE_ID = re.compile(r"<briefing\.(\d{1,18})\.(\d{1,18})\.([0-9a-f]{16})@[^<>\s]+>")


def _tag(secret_key: str, purpose: str, value: str, size: int) -> str:
    mac = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:size]


def return_path(bounce_address: str, secret_key: str, delivery_id: int) -> str:
    local, _, domain = bounce_address.rpartition("@")
    tag = _tag(secret_key, "verp", str(delivery_id), _TAG_CHARS)
    return f"{local}+d{delivery_id}-{tag}@{domain}"


def delivery_of_address(address: str, secret_key: str) -> int | None:
    """The delivery a VERP address names, or None when it names none or its tag is wrong."""
    match = _RETURN_PATH.search(address)
    if match is None:
        return None
    delivery_id, tag = match.group(1), match.group(2).lower()
    expected = _tag(secret_key, "verp", delivery_id, _TAG_CHARS)
    return int(delivery_id) if hmac.compare_digest(tag, expected) else None


def message_id(secret_key: str, edition_id: int, delivery_id: int, domain: str) -> str:
    """Stable per delivery (a resend keeps it), keyed so that it names the delivery."""
    tag = _tag(secret_key, "message-id", f"{edition_id}.{delivery_id}", 16)
    return f"<briefing.{edition_id}.{delivery_id}.{tag}@{domain}>"


def delivery_of_message_id(value: str, secret_key: str) -> int | None:
    match = _MESSAGE_ID.search(value)
    if match is None:
        return None
    edition_id, delivery_id, tag = match.groups()
    expected = _tag(secret_key, "message-id", f"{edition_id}.{delivery_id}", 16)
    return int(delivery_id) if hmac.compare_digest(tag.lower(), expected) else None
