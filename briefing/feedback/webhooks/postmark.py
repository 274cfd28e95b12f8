"""Postmark: one JSON object per call, told apart by RecordType (and a bounce by Type)."""

from __future__ import annotations

from typing import Any

from briefing.feedback.webhooks.events import EventKind, WebhookEvent, address, mapping, text

NAME = "postmark"
# Postmark's bounce types: (kind, hard). Types that are not about delivery are ignored.
_BOUNCE_TYPES: dict[str, tuple[EventKind, bool | None]] = {
    "HardBounce": (EventKind.BOUNCE, True), "BadEmailAddress": (EventKind.BOUNCE, True),
    "ManuallyDeactivated": (EventKind.BOUNCE, None), "SoftBounce": (EventKind.BOUNCE, False),
    "DnsError": (EventKind.BOUNCE, False), "SpamNotification": (EventKind.BOUNCE, False),
    "VirusNotification": (EventKind.BOUNCE, False), "Blocked": (EventKind.BOUNCE, False),
    "DMARCPolicy": (EventKind.BOUNCE, False), "SMTPApiError": (EventKind.BOUNCE, False),
    "Unknown": (EventKind.BOUNCE, None), "Transient": (EventKind.DEFERRAL, None),
    "Unsubscribe": (EventKind.UNSUBSCRIBE, None), "SpamComplaint": (EventKind.COMPLAINT, None),
}
_SUPPRESSION: dict[str, tuple[EventKind, bool | None]] = {
    "HardBounce": (EventKind.BOUNCE, True), "SpamComplaint": (EventKind.COMPLAINT, None),
    "ManualSuppression": (EventKind.UNSUBSCRIBE, None),
}


def parse(body: Any) -> list[WebhookEvent]:
    payload = mapping(body)
    record = text(payload, "RecordType")
    if record == "Bounce":
        kind, hard = _BOUNCE_TYPES.get(text(payload, "Type"), (EventKind.IGNORE, None))
    elif record == "SpamComplaint":
        kind, hard = EventKind.COMPLAINT, None
    elif record == "SubscriptionChange" and payload.get("SuppressSending") is True:
        kind, hard = _SUPPRESSION.get(text(payload, "SuppressionReason"),
                                      (EventKind.UNSUBSCRIBE, None))
    else:
        kind, hard = EventKind.IGNORE, None
    reason = text(payload, "Details") or text(payload, "Type") or record
    return [WebhookEvent(NAME, kind, address(payload, "Email") or address(payload, "Recipient"),
                         hard, reason, provider_message_id=text(payload, "MessageID") or None)]
