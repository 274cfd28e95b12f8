"""Mailgun: webhooks v2 (JSON with "event-data") and the legacy form-encoded events."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import (
    EventKind,
    WebhookEvent,
    address,
    mapping,
    text,
)
from briefing.feedback.webhooks.smtp import hard_from_reply

NAME = "mailgun"
_KINDS = {"complained": EventKind.COMPLAINT, "unsubscribed": EventKind.UNSUBSCRIBE,
          "bounced": EventKind.BOUNCE, "dropped": EventKind.BOUNCE}


def parse(payload: Any) -> list[WebhookEvent]:
    data = mapping(payload, "event-data")
    return [_v2(data) if data else _legacy(payload)]


def _v2(data: Any) -> WebhookEvent:
    name = text(data, "event")
    status = mapping(data, "delivery-status")
    reply = text(status, "message") or text(status, "description")
    ids = {"provider_message_id": text(data, "id") or None,
           "message_id": _message_id(data)}
    if name == "failed":
        return _failed(data, status, reply, ids)
    kind = _KINDS.get(name, EventKind.IGNORE)
    return WebhookEvent(NAME, kind, address(data, "recipient"), None, reply or name, **ids)


def _failed(data: Any, status: Any, reply: str, ids: dict[str, Any]) -> WebhookEvent:
    recipient = address(data, "recipient")
    if text(data, "severity") == "temporary":
        return WebhookEvent(NAME, EventKind.DEFERRAL, recipient, None, reply, **ids)
    reason = text(data, "reason")
    # "suppress-bounce": not sent because the address bounced before.
    hard = True if reason == "suppress-bounce" else (
        False if reason in ("espblock", "suppress-complaint", "suppress-unsubscribe")
        else hard_from_reply(text(status, "enhanced-code"), f"{text(status, 'code')} {reply}"))
    return WebhookEvent(NAME, EventKind.BOUNCE, recipient, hard, reason or reply, **ids)


def _message_id(data: Any) -> str | None:
    found = text(mapping(mapping(data, "message"), "headers"), "message-id")
    return f"<{found.strip('<>')}>" if found else None


def _legacy(form: Any) -> WebhookEvent:
    name = text(form, "event")
    kind = _KINDS.get(name, EventKind.IGNORE)
    hard = hard_from_reply("", f"{text(form, 'code')} {text(form, 'error')}") \
        if kind is EventKind.BOUNCE else None
    return WebhookEvent(NAME, kind, address(form, "recipient"), hard,
                        text(form, "error") or text(form, "reason") or name,
                        message_id=text(form, "Message-Id") or None)
