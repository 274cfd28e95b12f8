"""Provider webhook payloads, normalized to `WebhookEvent`s.

Parsing only: checking the provider's signature is a separate step that runs before this
one on the raw body, so a payload read here is assumed authentic by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from briefing.feedback.webhooks import brevo, mailgun, mailjet, postmark, sendgrid, ses, sparkpost
from briefing.feedback.webhooks.events import EventKind, WebhookError, WebhookEvent

__all__ = ["PROVIDERS", "EventKind", "WebhookError", "WebhookEvent", "read_webhook"]

MAX_BODY = 5 << 20  # providers batch at most a few thousand events per call

_PARSERS: dict[str, Callable[[Any], list[WebhookEvent]]] = {
    "ses": ses.parse, "sendgrid": sendgrid.parse, "postmark": postmark.parse,
    "mailgun": mailgun.parse, "sparkpost": sparkpost.parse, "brevo": brevo.parse,
    "mailjet": mailjet.parse,
}
PROVIDERS = tuple(_PARSERS)


def read_webhook(provider: str, body: bytes) -> list[WebhookEvent]:
    """The events in one webhook body posted by `provider`."""
    parser = _PARSERS.get(provider)
    if parser is None:
        raise WebhookError(f"unknown provider {provider!r}")
    return parser(_decode(provider, body))


def _decode(provider: str, body: bytes) -> Any:
    if len(body) > MAX_BODY:
        raise WebhookError(f"body larger than {MAX_BODY} bytes")
    stripped = body.strip()
    if not stripped:
        raise WebhookError("empty body")
    if provider == "mailgun" and stripped[:1] not in (b"{", b"["):
        return dict(parse_qsl(stripped.decode("utf-8", "replace")))  # legacy form posts
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError) as exc:
        raise WebhookError(f"not JSON: {str(exc)[:80]}") from None
