"""SparkPost: a JSON list of {"msys": {"<group>_event": {...}}}; bounces by bounce class."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import EventKind, WebhookEvent, address, items, mapping, text

NAME = "sparkpost"
_KINDS = {"bounce": EventKind.BOUNCE, "out_of_band": EventKind.BOUNCE,
          "policy_rejection": EventKind.BOUNCE, "generation_rejection": EventKind.BOUNCE,
          "delay": EventKind.DEFERRAL, "spam_complaint": EventKind.COMPLAINT,
          "list_unsubscribe": EventKind.UNSUBSCRIBE, "link_unsubscribe": EventKind.UNSUBSCRIBE}
# SparkPost's bounce classes: 10 invalid recipient and 30 "no RCPT" are the dead addresses;
# auto-replies, challenges and (un)subscribe requests arrive as bounces too.
_HARD_CLASSES = {"10", "30"}
_UNKNOWN_CLASSES = {"1", "25", "26"}
_NOT_BOUNCES = {"60": EventKind.IGNORE, "80": EventKind.IGNORE, "100": EventKind.IGNORE,
                "90": EventKind.UNSUBSCRIBE}


def parse(payload: Any) -> list[WebhookEvent]:
    events = []
    for batch in items(payload) if isinstance(payload, list) else [payload]:
        for event in mapping(batch, "msys").values():
            events.append(_event(mapping(event)))
    return events


def _event(event: Any) -> WebhookEvent:
    name = text(event, "type")
    kind = _KINDS.get(name, EventKind.IGNORE)
    hard: bool | None = None
    bounce_class = text(event, "bounce_class")
    if kind is EventKind.BOUNCE and bounce_class:
        kind = _NOT_BOUNCES.get(bounce_class, kind)
        if bounce_class not in _UNKNOWN_CLASSES:
            hard = bounce_class in _HARD_CLASSES if kind is EventKind.BOUNCE else None
    return WebhookEvent(NAME, kind, address(event, "raw_rcpt_to") or address(event, "rcpt_to"),
                        hard, text(event, "raw_reason") or text(event, "reason") or name,
                        provider_message_id=text(event, "message_id") or None)
