"""Brevo (formerly Sendinblue): one JSON event per call, or a list when batched."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import EventKind, WebhookEvent, address, items, text

NAME = "brevo"
_KINDS: dict[str, tuple[EventKind, bool | None]] = {
    "hard_bounce": (EventKind.BOUNCE, True), "invalid_email": (EventKind.BOUNCE, True),
    "soft_bounce": (EventKind.BOUNCE, False), "blocked": (EventKind.BOUNCE, None),
    "spam": (EventKind.COMPLAINT, None), "complaint": (EventKind.COMPLAINT, None),
    "unsubscribed": (EventKind.UNSUBSCRIBE, None), "deferred": (EventKind.DEFERRAL, None),
}


def parse(payload: Any) -> list[WebhookEvent]:
    return [_event(e) for e in (items(payload) if isinstance(payload, list) else [payload])]


def _event(event: Any) -> WebhookEvent:
    name = text(event, "event")
    kind, hard = _KINDS.get(name, (EventKind.IGNORE, None))
    return WebhookEvent(NAME, kind, address(event, "email"), hard, text(event, "reason") or name,
                        message_id=text(event, "message-id") or None)
