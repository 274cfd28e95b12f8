"""SendGrid's event webhook: a JSON list of events, one per recipient and happening."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import EventKind, WebhookEvent, address, items, text
from briefing.feedback.webhooks.smtp import hard_from_reply

NAME = "sendgrid"
_KINDS = {"bounce": EventKind.BOUNCE, "dropped": EventKind.BOUNCE,
          "deferred": EventKind.DEFERRAL, "spamreport": EventKind.COMPLAINT,
          "unsubscribe": EventKind.UNSUBSCRIBE, "group_unsubscribe": EventKind.UNSUBSCRIBE}
# Why SendGrid dropped a message: some reasons are really an earlier outcome replayed.
_DROPPED = {"bounced address": (EventKind.BOUNCE, True), "invalid": (EventKind.BOUNCE, True),
            "unsubscribed address": (EventKind.UNSUBSCRIBE, None),
            "spam reporting address": (EventKind.COMPLAINT, None)}


def parse(payload: Any) -> list[WebhookEvent]:
    return [_event(e) for e in (items(payload) if isinstance(payload, list) else [payload])]


def _event(event: Any) -> WebhookEvent:
    name = text(event, "event")
    kind = _KINDS.get(name, EventKind.IGNORE)
    reason = text(event, "reason") or text(event, "response") or name
    hard: bool | None = None
    if name == "dropped":
        kind, hard = _DROPPED.get(reason.lower(), (EventKind.BOUNCE, None))
    elif name == "bounce":
        hard = _bounce_hard(event, reason)
    return WebhookEvent(NAME, kind, address(event, "email"), hard, reason,
                        provider_message_id=text(event, "sg_message_id") or None,
                        message_id=text(event, "smtp-id") or None)


def _bounce_hard(event: Any, reason: str) -> bool:
    if text(event, "type") == "blocked":  # refused for our reputation or content, not the address
        return False
    if text(event, "bounce_classification") == "Invalid Address":
        return True
    return hard_from_reply(text(event, "status"), reason)
