"""Mailjet: one JSON event per call, or a list when grouped."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import (
    EventKind,
    WebhookEvent,
    address,
    items,
    mapping,
    text,
)

NAME = "mailjet"
_KINDS = {"bounce": EventKind.BOUNCE, "blocked": EventKind.BOUNCE,
          "spam": EventKind.COMPLAINT, "unsub": EventKind.UNSUBSCRIBE}
# Mailjet's error names that say the address itself is wrong.
_DEAD = {"user unknown", "invalid domain", "no mail host", "typofix", "mailbox inactive"}
_UNKNOWN = {"preblocked", "duplicate in campaign"}


def parse(payload: Any) -> list[WebhookEvent]:
    return [_event(e) for e in (items(payload) if isinstance(payload, list) else [payload])]


def _event(payload: Any) -> WebhookEvent:
    event = mapping(payload)
    name = text(event, "event")
    kind = _KINDS.get(name, EventKind.IGNORE)
    error = text(event, "error")
    hard: bool | None = None
    if name == "bounce" and event.get("hard_bounce") is not True:
        kind = EventKind.DEFERRAL  # a soft bounce: Mailjet tries again
    elif kind is EventKind.BOUNCE and error not in _UNKNOWN:
        hard = event.get("hard_bounce") is True or error in _DEAD
    return WebhookEvent(NAME, kind, address(event, "email"), hard,
                        error or text(event, "comment") or name,
                        provider_message_id=text(event, "MessageID") or None)
