"""Amazon SES through SNS: the envelope (Notification, SubscriptionConfirmation) and the
SES message inside it, in both the notification ("notificationType") and the event
publishing ("eventType") forms."""

from __future__ import annotations

import json
from typing import Any

from briefing.feedback.status import find_status
from briefing.feedback.webhooks.events import (
    EventKind,
    WebhookError,
    WebhookEvent,
    address,
    items,
    mapping,
    text,
)

NAME = "ses"
_BOUNCE_HARD = {"Permanent": True, "Transient": False}
_IGNORED = ("Delivery", "Send", "Open", "Click", "Rendering Failure", "Received")


def parse(payload: Any) -> list[WebhookEvent]:
    kind = text(payload, "Type")
    if kind == "SubscriptionConfirmation":
        return [WebhookEvent(NAME, EventKind.IGNORE, None, reason="subscription confirmation",
                             confirm_url=text(payload, "SubscribeURL") or None)]
    if kind in ("Notification", ""):
        return _ses_message(_inner(payload) if kind else payload)
    return [WebhookEvent(NAME, EventKind.IGNORE, None, reason=f"SNS {kind}")]


def _inner(envelope: Any) -> Any:
    try:
        return json.loads(text(envelope, "Message"))
    except (ValueError, RecursionError):
        raise WebhookError("the SNS Message is not SES's JSON") from None


def _ses_message(message: Any) -> list[WebhookEvent]:
    kind = text(message, "notificationType") or text(message, "eventType")
    mail = mapping(message, "mail")
    ids: dict[str, Any] = {"provider_message_id": text(mail, "messageId") or None,
                           "message_id": _our_message_id(mail)}
    if kind == "Bounce":
        return _bounces(mapping(message, "bounce"), ids)
    if kind == "Complaint":
        complaint = mapping(message, "complaint")
        return [WebhookEvent(NAME, EventKind.COMPLAINT, address(r, "emailAddress"),
                             reason=text(complaint, "complaintFeedbackType") or "complaint", **ids)
                for r in items(complaint, "complainedRecipients")]
    if kind == "DeliveryDelay":
        delay = mapping(message, "deliveryDelay")
        return [WebhookEvent(NAME, EventKind.DEFERRAL, address(r, "emailAddress"),
                             reason=text(delay, "delayType"), **ids)
                for r in items(delay, "delayedRecipients")]
    if kind == "Reject":  # SES refused to send it (a virus): not the reader's fault
        return [WebhookEvent(NAME, EventKind.BOUNCE, address(r), False,
                             text(mapping(message, "reject"), "reason"), **ids)
                for r in items(mail, "destination")]
    if kind == "Subscription":
        return _unsubscribes(message, mail, ids)
    # A delivery's reply ("250 2.6.0 Message received") keeps its code, for a mailed copy of
    # the notification to report the recipient as delivered.
    status = find_status(text(mapping(message, "delivery"), "smtpResponse"))
    return [WebhookEvent(NAME, EventKind.IGNORE, address(r), reason=kind or "unknown",
                         status=status, **ids)
            for r in (_recipients(message, mail, kind) or [None])]


def _bounces(bounce: Any, ids: dict[str, Any]) -> list[WebhookEvent]:
    kind = text(bounce, "bounceType")
    reason = f"{kind}: {text(bounce, 'bounceSubType')}".strip(": ")
    return [WebhookEvent(NAME, EventKind.BOUNCE, address(r, "emailAddress"),
                         _BOUNCE_HARD.get(kind), text(r, "diagnosticCode") or reason,
                         status=text(r, "status") or None, **ids)
            for r in items(bounce, "bouncedRecipients")]


def _unsubscribes(message: Any, mail: Any, ids: dict[str, Any]) -> list[WebhookEvent]:
    preferences = mapping(mapping(message, "subscription"), "newTopicPreferences")
    left = preferences.get("unsubscribeAll") is True
    kind = EventKind.UNSUBSCRIBE if left else EventKind.IGNORE
    return [WebhookEvent(NAME, kind, address(r), reason="subscription", **ids)
            for r in items(mail, "destination")]


def _recipients(message: Any, mail: Any, kind: str) -> list[Any]:
    if kind == "Delivery":
        return items(mapping(message, "delivery"), "recipients")
    return items(mail, "destination") if kind in _IGNORED else []


def _our_message_id(mail: Any) -> str | None:
    common = mapping(mail, "commonHeaders")
    return text(common, "messageId") or None
