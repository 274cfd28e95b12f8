"""Is a webhook call really from the provider? Checked on the raw body before it is read.

- mailgun: the body's `signature` block, an HMAC-SHA256 of timestamp + token under the
  account's webhook signing key (BRIEFING_WEBHOOK_SECRET), at most an hour old;
- sendgrid: the Signed Event Webhook, an ECDSA P-256 signature of timestamp + body in the
  `X-Twilio-Email-Event-Webhook-*` headers, checked against the verification key SendGrid
  shows (BRIEFING_SENDGRID_WEBHOOK_KEY);
- postmark, sparkpost, brevo, mailjet: these sign nothing; their webhook settings take HTTP
  basic-auth credentials in the URL (`https://hooks:SECRET@news.example.org/webhooks/…`),
  and the password must be BRIEFING_WEBHOOK_SECRET.
- ses: the SNS message signature, against Amazon's signing certificate (briefing.feedback.
  webhooks.sns).
Anything that fails a check is refused before a byte of it is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from briefing.core.config import Settings
from briefing.core.errors import BriefingError
from briefing.feedback.webhooks import sns

__all__ = ["BASIC_AUTH_PROVIDERS", "Unauthorized", "verify"]

BASIC_AUTH_PROVIDERS = ("postmark", "sparkpost", "brevo", "mailjet")
MAX_AGE_SECONDS = 3600


class Unauthorized(BriefingError):
    """The call is not signed, or not signed by the provider; nothing was changed."""

    http_status = 401


def verify(provider: str, body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    if provider == "mailgun":
        _mailgun(body, settings.webhook_secret)
    elif provider == "sendgrid":
        _sendgrid(body, headers, settings.sendgrid_webhook_key)
    elif provider in BASIC_AUTH_PROVIDERS:
        _basic_auth(headers, settings.webhook_secret)
    elif provider == "ses":
        try:
            sns.verify_sns(body, settings)
        except sns.SignatureInvalid as exc:
            raise Unauthorized(str(exc)) from None
    else:
        raise Unauthorized(f"no signature check for {provider!r}: refused")


def _basic_auth(headers: Mapping[str, str], secret: str) -> None:
    if not secret:
        raise Unauthorized("BRIEFING_WEBHOOK_SECRET is not set: webhooks are refused")
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("no basic-auth credentials")
    try:
        _, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed basic-auth credentials") from None
    if not hmac.compare_digest(password.encode(), secret.encode()):
        raise Unauthorized("wrong webhook credentials")


def _mailgun(body: bytes, key: str) -> None:
    if not key:
        raise Unauthorized("BRIEFING_WEBHOOK_SECRET is not set: webhooks are refused")
    block = _signature_block(body)
    timestamp, token, signature = (str(block.get(k, "")) for k in
                                   ("timestamp", "token", "signature"))
    if not (timestamp.isdigit() and token and signature):
        raise Unauthorized("unsigned Mailgun call")
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        raise Unauthorized("Mailgun signature too old (a replay?)")
    expected = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise Unauthorized("wrong Mailgun signature")


def _signature_block(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Unauthorized("unsigned Mailgun call (not JSON)") from None
    block = data.get("signature") if isinstance(data, dict) else None
    return block if isinstance(block, dict) else {}


def _sendgrid(body: bytes, headers: Mapping[str, str], public_key: str) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not public_key:
        raise Unauthorized("BRIEFING_SENDGRID_WEBHOOK_KEY is not set: webhooks are refused")
    signature = headers.get("x-twilio-email-event-webhook-signature", "")
    timestamp = headers.get("x-twilio-email-event-webhook-timestamp", "")
    if not signature or not timestamp:
        raise Unauthorized("unsigned SendGrid call")
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(base64.b64decode(signature), timestamp.encode() + body,
                   ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise Unauthorized("wrong SendGrid signature") from None
