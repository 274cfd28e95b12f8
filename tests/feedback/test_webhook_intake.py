"""`POST /webhooks/{provider}` on the real app: a correctly signed call suppresses the reader
it names, a wrongly signed or unsigned one gets 401 and changes nothing, and a body posted
twice counts once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from briefing.feedback.webhooks.sns import cached_certificate_path
from briefing.server import create_app
from tests.feedback.test_intake import SECRET, Sent, reports, sent, statuses  # noqa: F401
from tests.support.cli import cli  # noqa: F401
from tests.support.smtp import smtp_server  # noqa: F401

WEBHOOK_SECRET = "hook-secret-for-tests-0123456789"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(SENDGRID_KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

Signer = Callable[[bytes, str], tuple[bytes, dict[str, str]]]


def hard_bounce(provider: str, reader: str) -> object:
    return {
        "postmark": {"RecordType": "Bounce", "Type": "HardBounce", "Email": reader,
                     "Details": "smtp;550 5.1.1 The email account does not exist"},
        "sparkpost": [{"msys": {"message_event": {
            "type": "bounce", "bounce_class": "10", "rcpt_to": reader,
            "raw_reason": f"550 5.1.1 <{reader}>: user unknown"}}}],
        "brevo": {"event": "hard_bounce", "email": reader, "reason": "user unknown"},
        "mailjet": {"event": "bounce", "email": reader, "hard_bounce": True,
                    "error": "user unknown"},
        "mailgun": {"event-data": {
            "event": "failed", "severity": "permanent", "recipient": reader,
            "reason": "bounce", "delivery-status": {
                "code": 550, "enhanced-code": "5.1.1", "message": "5.1.1 user unknown"}}},
        "ses": {"notificationType": "Bounce", "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [
                {"emailAddress": reader, "status": "5.1.1",
                 "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
                "mail": {"messageId": "0100-ses", "destination": [reader]}},
        "sendgrid": [{"email": reader, "event": "bounce", "type": "bounce",
                      "status": "5.1.1", "reason": "550 5.1.1 user unknown",
                      "bounce_classification": "Invalid Address"}],
    }[provider]


def basic(secret: str) -> Signer:
    def sign(body: bytes, _: str) -> tuple[bytes, dict[str, str]]:
        token = base64.b64encode(f"hooks:{secret}".encode()).decode()
        return body, {"Authorization": f"Basic {token}"}
    return sign


def mailgun(key: str) -> Signer:
    def sign(body: bytes, _: str) -> tuple[bytes, dict[str, str]]:
        stamp, token = str(int(time.time())), "a" * 50
        digest = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
        data = {**json.loads(body), "signature": {
            "timestamp": stamp, "token": token, "signature": digest}}
        return json.dumps(data).encode(), {}
    return sign


def sendgrid(key: ec.EllipticCurvePrivateKey) -> Signer:
    def sign(body: bytes, _: str) -> tuple[bytes, dict[str, str]]:
        stamp = str(int(time.time()))
        signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {"X-Twilio-Email-Event-Webhook-Signature":
                      base64.b64encode(signature).decode(),
                      "X-Twilio-Email-Event-Webhook-Timestamp": stamp}
    return sign


CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"


def sns_signer(key: rsa.RSAPrivateKey, cert_url: str = CERT_URL) -> Signer:
    """Wraps an SES notification in an SNS envelope signed as SNS signs (version 1)."""
    def sign(body: bytes, _: str) -> tuple[bytes, dict[str, str]]:
        envelope = {"Type": "Notification", "MessageId": "m-1", "TopicArn":
                    "arn:aws:sns:eu-west-1:123456789012:ses-bounces", "Message": body.decode(),
                    "Timestamp": "2026-12-02T07:00:00.000Z", "SignatureVersion": "1",
                    "SigningCertURL": cert_url}
        signed = "".join(f"{name}\n{envelope[name]}\n" for name in (
            "Message", "MessageId", "Timestamp", "TopicArn", "Type")).encode()
        envelope["Signature"] = base64.b64encode(
            key.sign(signed, padding.PKCS1v15(), hashes.SHA1())).decode()
        return json.dumps(envelope).encode(), {}
    return sign


def self_signed(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


SNS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def unsigned(body: bytes, _: str) -> tuple[bytes, dict[str, str]]:
    return body, {}


RIGHT: dict[str, Signer] = {
    **{p: basic(WEBHOOK_SECRET) for p in ("postmark", "sparkpost", "brevo", "mailjet")},
    "mailgun": mailgun(WEBHOOK_SECRET), "sendgrid": sendgrid(SENDGRID_KEY),
    "ses": sns_signer(SNS_KEY)}
WRONG: dict[str, Signer] = {
    **{p: basic("not-the-secret") for p in ("postmark", "sparkpost", "brevo", "mailjet")},
    "mailgun": mailgun("not-the-key"), "sendgrid": sendgrid(ec.generate_private_key(
        ec.SECP256R1())),
    "ses": sns_signer(rsa.generate_private_key(public_exponent=65537, key_size=2048))}


@pytest.fixture
def app(sent: Sent) -> Iterator[TestClient]:  # noqa: F811
    from dataclasses import replace

    settings = replace(sent.settings, webhook_secret=WEBHOOK_SECRET,
                       sendgrid_webhook_key=SENDGRID_PUBLIC)
    # Amazon's certificate as if fetched before (there is no internet here): the cache the
    # check reads first. A SigningCertURL off Amazon's hosts is refused before any fetch.
    cached = cached_certificate_path(settings, CERT_URL)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(self_signed(SNS_KEY))
    with TestClient(create_app(settings)) as client:
        yield client


def post(client: TestClient, provider: str, payload: object, signer: Signer) -> int:
    body, headers = signer(json.dumps(payload).encode(), provider)
    return client.post(f"/webhooks/{provider}", content=body, headers={
        "Content-Type": "application/json", **headers}).status_code


@pytest.mark.parametrize("provider", sorted(RIGHT))
def test_only_a_correctly_signed_call_suppresses_the_reader(
        provider: str, sent: Sent, app: TestClient) -> None:  # noqa: F811
    reader = sorted(sent.copies)[0]
    payload = hard_bounce(provider, reader)
    assert post(app, provider, payload, unsigned) == 401
    assert post(app, provider, payload, WRONG[provider]) == 401
    assert statuses(sent.db, reader) == ["active", "active"] and reports(sent.db) == 0
    assert post(app, provider, payload, RIGHT[provider]) == 200
    assert statuses(sent.db, reader) == ["bounced", "bounced"] and reports(sent.db) == 1


def test_a_body_posted_twice_counts_once_and_unsubscribes_only_that_list(
        sent: Sent, app: TestClient) -> None:  # noqa: F811
    reader = sorted(sent.copies)[1]
    payload = {"event": "unsubscribed", "email": reader}
    sign = RIGHT["brevo"]
    assert post(app, "brevo", payload, sign) == 200
    assert post(app, "brevo", payload, sign) == 200
    assert reports(sent.db) == 1
    assert statuses(sent.db, reader) == ["active", "unsubscribed"]


def test_a_complaint_through_a_webhook_marks_every_list(
        sent: Sent, app: TestClient) -> None:  # noqa: F811
    reader = sorted(sent.copies)[2]
    assert post(app, "postmark", {"RecordType": "SpamComplaint", "Email": reader},
                RIGHT["postmark"]) == 200
    assert statuses(sent.db, reader) == ["complained", "complained"]


def test_unknown_providers_and_ses_calls_not_signed_by_amazon_are_refused(
        sent: Sent, app: TestClient) -> None:  # noqa: F811
    assert post(app, "nosuch", {}, unsigned) == 404
    assert post(app, "ses", {"Type": "Notification", "Message": "{}"}, unsigned) == 401
    forged = sns_signer(SNS_KEY, "https://attacker.example/SimpleNotificationService.pem")
    assert post(app, "ses", hard_bounce("ses", sorted(sent.copies)[0]), forged) == 401
    assert reports(sent.db) == 0


def test_a_signed_call_with_a_broken_body_is_a_clear_400(
        sent: Sent, app: TestClient) -> None:  # noqa: F811
    answer = app.post("/webhooks/postmark", content=b"{not json",
                      headers=RIGHT["postmark"](b"", "postmark")[1])
    assert answer.status_code in (400, 422) and "JSON" in answer.text
    assert reports(sent.db) == 0


def test_the_api_lists_shows_and_undoes_reports(sent: Sent, app: TestClient) -> None:  # noqa: F811
    reader = sorted(sent.copies)[0]
    assert post(app, "brevo", hard_bounce("brevo", reader), RIGHT["brevo"]) == 200
    auth = {"Authorization": "Bearer test-token"}
    assert app.get("/api/bounces").status_code == 401
    listed = app.get("/api/bounces", headers=auth).json()
    assert [r["reader"] for r in listed] == [reader] and listed[0]["kind"] == "hard"
    one = app.get(f"/api/bounces/{listed[0]['id']}", headers=auth).json()
    assert one["matched_by"] == "recipient" and one["source"] == "webhook:brevo"
    assert app.get("/api/bounces/999999", headers=auth).status_code == 404
    undone = app.post(f"/api/bounces/{listed[0]['id']}/undo", headers=auth)
    assert undone.status_code == 200 and undone.json()["undone"] is True
    assert statuses(sent.db, reader) == ["active", "active"]
    edition = app.get("/api/editions", headers=auth).json()[0]
    assert edition["feedback"]["accepted"] == 3 and edition["list_paused"] is None
