"""The one shape every provider's webhook event is turned into, and safe field access.

Payloads arrive from the network: any field may be missing, null or of the wrong type, so
providers read them through `text`, `mapping` and `items`, which never raise.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from briefing.core.errors import InputError
from briefing.feedback.addressing import normalize

__all__ = ["EventKind", "WebhookError", "WebhookEvent", "address", "items", "mapping", "text"]


class WebhookError(InputError):
    """A payload that cannot be read as the provider's webhook body."""


class EventKind(enum.StrEnum):
    BOUNCE = "bounce"            # not delivered, for good
    COMPLAINT = "complaint"      # the reader reported spam
    UNSUBSCRIBE = "unsubscribe"  # the reader left through the provider
    DEFERRAL = "deferral"        # not yet delivered; the provider keeps trying
    IGNORE = "ignore"            # sent, delivered, opened, clicked, or not about a reader


@dataclass(frozen=True)
class WebhookEvent:
    provider: str
    kind: EventKind
    recipient: str | None
    hard: bool | None = None         # for bounces: the address is dead (None: not known)
    reason: str = ""                 # the provider's words (type, classification, reply)
    provider_message_id: str | None = None
    message_id: str | None = None    # our Message-ID, when the provider echoes it
    confirm_url: str | None = None   # SNS subscription confirmations only
    status: str | None = None        # the RFC 3463 code, when the provider passes it on


def text(value: Any, key: str | None = None) -> str:
    """`value[key]` (or `value`) as a stripped string; "" for anything else."""
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip() if isinstance(value, str | int | float) else ""


def mapping(value: Any, key: str | None = None) -> Mapping[str, Any]:
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def items(value: Any, key: str | None = None) -> list[Any]:
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, list) else []


def address(value: Any, key: str | None = None) -> str | None:
    found = text(value, key)
    return normalize(found) if found else None
