"""SES notifications that arrive by mail: an SNS email subscription sends the JSON as text."""

from __future__ import annotations

import json
import re
from email.message import Message

from briefing.feedback.classify import judge
from briefing.feedback.model import Kind, RecipientReport
from briefing.feedback.webhooks import ses
from briefing.feedback.webhooks.events import EventKind

__all__ = ["ses_notification"]

_UNWRAP = re.compile(r"\r?\n[ \t]")


def ses_notification(message: Message, text: str) -> list[RecipientReport] | None:
    """The recipients an SES notification mailed as JSON reports, or None if it is not one."""
    body = text.strip()
    if not body.startswith("{") or "notificationType" not in body[:4000]:
        return None
    payload = _json(body)
    if payload is None:
        return None
    reports = []
    for event in ses.parse(payload):  # an SNS envelope, or the bare notification
        if event.kind is EventKind.COMPLAINT:
            reports.append(RecipientReport(event.recipient, Kind.COMPLAINT, None, "feedback"))
        elif event.kind in (EventKind.BOUNCE, EventKind.DEFERRAL):
            action = "failed" if event.kind is EventKind.BOUNCE else "delayed"
            reports.append(judge(event.recipient, status=event.status,
                                 diagnostic=event.reason, action=action))
        elif event.reason == "Delivery":  # a delivery notification: nothing to act on
            reports.append(judge(event.recipient, status=event.status, action="delivered"))
    return reports or None


def _json(body: str) -> object | None:
    # SNS writes the SES message as one long JSON string; relays that keep to the 998
    # character line limit break it with a newline and a space, which JSON forbids there.
    # The email subscription also appends a footer (how to unsubscribe from the topic) after
    # the JSON: only the first JSON value is read.
    for candidate in (body, _UNWRAP.sub("", body)):
        try:
            parsed: object = json.JSONDecoder().raw_decode(candidate)[0]
            return parsed
        except (ValueError, RecursionError):
            continue
    return None
