"""Amazon SNS message signatures (how SES delivers its bounce and complaint notifications).

A message is authentic when its `Signature` verifies, under the public key of the certificate
at `SigningCertURL`, over the canonical string SNS signs (SignatureVersion 1: SHA1, 2: SHA256).
The certificate is fetched only from Amazon's own SNS hosts over https, through the project's
one outbound HTTP door, and cached in the data folder, so a forged `SigningCertURL` pointing
anywhere else is refused without a request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from briefing.core.config import Settings
from briefing.ingest.fetch import FetchError, FetchPolicy, fetch

__all__ = ["SignatureInvalid", "amazon_url", "cached_certificate_path", "confirm_subscription",
           "verify_sns"]

_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}


class SignatureInvalid(Exception):
    """Why an SNS message is not accepted as Amazon's."""


def verify_sns(body: bytes, settings: Settings) -> dict[str, Any]:
    """The SNS message, once its signature is checked; SignatureInvalid otherwise."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        raise SignatureInvalid("not an SNS message (not JSON)") from None
    if not isinstance(message, dict) or message.get("Type") not in _FIELDS:
        raise SignatureInvalid("not an SNS message")
    digest = {"1": "sha1", "2": "sha256"}.get(str(message.get("SignatureVersion")))
    if digest is None:
        raise SignatureInvalid("unknown SignatureVersion")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except binascii.Error:
        raise SignatureInvalid("malformed Signature") from None
    certificate = _certificate(str(message.get("SigningCertURL", "")), settings)
    _check(certificate, signature, _canonical(message), digest)
    return message


def amazon_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(_SNS_HOST.fullmatch(parts.hostname or ""))


def cached_certificate_path(settings: Settings, url: str) -> Path:
    name = hashlib.sha256(url.encode()).hexdigest()
    return settings.data_dir / "sns-certificates" / f"{name}.pem"


def _certificate(url: str, settings: Settings) -> bytes:
    if not amazon_url(url) or not url.endswith(".pem"):
        raise SignatureInvalid("SigningCertURL is not an Amazon SNS certificate")
    path = cached_certificate_path(settings, url)
    if path.exists():
        return path.read_bytes()
    try:
        pem = fetch(url, FetchPolicy(max_bytes=64 * 1024, accept=("*/*",))).body
    except FetchError as exc:
        raise SignatureInvalid(f"cannot fetch the signing certificate: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    return pem


def _canonical(message: dict[str, Any]) -> bytes:
    lines = []
    for name in _FIELDS[str(message["Type"])]:
        if name in message and message[name] is not None:
            lines += [name, str(message[name])]
    return ("\n".join(lines) + "\n").encode()


def _check(pem: bytes, signature: bytes, signed: bytes, digest: str) -> None:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise SignatureInvalid("the signing certificate cannot be read") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the signing certificate has no RSA key")
    algorithm = hashes.SHA1() if digest == "sha1" else hashes.SHA256()
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise SignatureInvalid("wrong SNS signature") from None


def confirm_subscription(message: dict[str, Any]) -> bool:
    """Visit the SubscribeURL of a (verified) SubscriptionConfirmation, as SNS asks, so the
    topic starts delivering; only an Amazon SNS https address is visited."""
    url = str(message.get("SubscribeURL", ""))
    if message.get("Type") != "SubscriptionConfirmation" or not amazon_url(url):
        return False
    try:
        fetch(url, FetchPolicy(max_bytes=64 * 1024, accept=("*/*",)))
    except FetchError:
        return False
    return True
