"""Provider webhook bodies, normalized to events; signatures are checked elsewhere, later.

Payloads are written here in each provider's documented shape, not taken from the
evaluation set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.feedback.webhooks import EventKind, WebhookError, read_webhook
from tests.support.cli import run


def sns(message: dict) -> bytes:
    return json.dumps({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:t",
                       "Message": json.dumps(message), "Signature": "unchecked"}).encode()


def events(provider: str, payload: object) -> list[tuple]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return [(e.kind, e.recipient, e.hard) for e in read_webhook(provider, body)]


def test_ses_permanent_bounce_through_sns_is_hard_per_recipient() -> None:
    body = sns({"notificationType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                           "bouncedRecipients": [
                               {"emailAddress": "a@x.example", "status": "5.1.1",
                                "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
                               {"emailAddress": "b@x.example"}]},
                "mail": {"messageId": "ses-1",
                         "commonHeaders": {"messageId": "<ours-1@news.example.org>"}}})
    found = read_webhook("ses", body)
    assert [(e.kind, e.recipient, e.hard) for e in found] == [
        (EventKind.BOUNCE, "a@x.example", True), (EventKind.BOUNCE, "b@x.example", True)]
    assert found[0].message_id == "<ours-1@news.example.org>"
    assert found[0].provider_message_id == "ses-1" and found[0].status == "5.1.1"


def test_ses_transient_bounce_complaint_delay_and_delivery() -> None:
    mail = {"messageId": "ses-2", "destination": ["r@x.example"]}
    assert events("ses", sns({"notificationType": "Bounce", "mail": mail, "bounce": {
        "bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "r@x.example"}]}})) \
        == [(EventKind.BOUNCE, "r@x.example", False)]
    assert events("ses", sns({"notificationType": "Complaint", "mail": mail, "complaint": {
        "complainedRecipients": [{"emailAddress": "r@x.example"}]}})) \
        == [(EventKind.COMPLAINT, "r@x.example", None)]
    assert events("ses", sns({"eventType": "DeliveryDelay", "mail": mail, "deliveryDelay": {
        "delayedRecipients": [{"emailAddress": "r@x.example"}]}})) \
        == [(EventKind.DEFERRAL, "r@x.example", None)]
    assert events("ses", sns({"notificationType": "Delivery", "mail": mail, "delivery": {
        "recipients": ["r@x.example"]}})) == [(EventKind.IGNORE, "r@x.example", None)]


def test_ses_subscription_confirmation_carries_the_url_to_confirm() -> None:
    body = json.dumps({"Type": "SubscriptionConfirmation", "Token": "t",
                       "SubscribeURL": "https://sns.example/confirm?t=1"}).encode()
    (event,) = read_webhook("ses", body)
    assert event.kind is EventKind.IGNORE and event.confirm_url == "https://sns.example/confirm?t=1"


def test_sendgrid_event_list() -> None:
    payload = [
        {"email": "gone@x.example", "event": "bounce", "type": "bounce", "status": "5.1.1",
         "reason": "550 5.1.1 The email account does not exist", "sg_message_id": "sg1"},
        {"email": "blk@x.example", "event": "bounce", "type": "blocked", "status": "5.7.1",
         "reason": "550 5.7.1 blocked by policy"},
        {"email": "d@x.example", "event": "deferred", "response": "421 try later"},
        {"email": "s@x.example", "event": "spamreport"},
        {"email": "u@x.example", "event": "group_unsubscribe"},
        {"email": "o@x.example", "event": "open"},
    ]
    assert events("sendgrid", payload) == [
        (EventKind.BOUNCE, "gone@x.example", True), (EventKind.BOUNCE, "blk@x.example", False),
        (EventKind.DEFERRAL, "d@x.example", None), (EventKind.COMPLAINT, "s@x.example", None),
        (EventKind.UNSUBSCRIBE, "u@x.example", None), (EventKind.IGNORE, "o@x.example", None)]


def test_postmark_record_types() -> None:
    assert events("postmark", {"RecordType": "Bounce", "Type": "HardBounce",
                               "Email": "h@x.example", "MessageID": "pm1"}) \
        == [(EventKind.BOUNCE, "h@x.example", True)]
    assert events("postmark", {"RecordType": "Bounce", "Type": "AutoResponder",
                               "Email": "v@x.example"}) == [(EventKind.IGNORE, "v@x.example", None)]
    assert events("postmark", {"RecordType": "SpamComplaint", "Email": "c@x.example"}) \
        == [(EventKind.COMPLAINT, "c@x.example", None)]
    assert events("postmark", {"RecordType": "SubscriptionChange", "Recipient": "u@x.example",
                               "SuppressSending": True, "SuppressionReason": "ManualSuppression"}) \
        == [(EventKind.UNSUBSCRIBE, "u@x.example", None)]


def test_mailgun_v2_and_legacy_form_posts() -> None:
    failed = {"signature": {"token": "t"}, "event-data": {
        "event": "failed", "severity": "permanent", "reason": "bounce",
        "recipient": "gone@x.example",
        "delivery-status": {"code": 550, "message": "5.1.1 No such user"},
        "message": {"headers": {"message-id": "ours-2@news.example.org"}}}}
    (event,) = read_webhook("mailgun", json.dumps(failed).encode())
    assert (event.kind, event.recipient, event.hard) == (EventKind.BOUNCE, "gone@x.example", True)
    assert event.message_id == "<ours-2@news.example.org>"
    temporary = {"event-data": {"event": "failed", "severity": "temporary",
                                "recipient": "t@x.example"}}
    assert events("mailgun", temporary) == [(EventKind.DEFERRAL, "t@x.example", None)]
    assert events("mailgun", b"event=complained&recipient=c%40x.example&token=t") == [
        (EventKind.COMPLAINT, "c@x.example", None)]


def test_sparkpost_bounce_classes() -> None:
    def bounce(cls: str) -> dict:
        return {"msys": {"message_event": {"type": "bounce", "bounce_class": cls,
                                           "rcpt_to": "r@x.example"}}}
    assert events("sparkpost", [bounce("10"), bounce("22"), bounce("60"), bounce("90"),
                                {"msys": {}}]) == [
        (EventKind.BOUNCE, "r@x.example", True), (EventKind.BOUNCE, "r@x.example", False),
        (EventKind.IGNORE, "r@x.example", None), (EventKind.UNSUBSCRIBE, "r@x.example", None)]


def test_brevo_and_mailjet_events() -> None:
    assert events("brevo", {"event": "hard_bounce", "email": "h@x.example"}) == [
        (EventKind.BOUNCE, "h@x.example", True)]
    assert events("brevo", [{"event": "soft_bounce", "email": "s@x.example"},
                            {"event": "unsubscribed", "email": "u@x.example"}]) == [
        (EventKind.BOUNCE, "s@x.example", False), (EventKind.UNSUBSCRIBE, "u@x.example", None)]
    assert events("mailjet", [{"event": "bounce", "email": "h@x.example", "hard_bounce": True},
                              {"event": "bounce", "email": "s@x.example", "hard_bounce": False},
                              {"event": "spam", "email": "c@x.example"}]) == [
        (EventKind.BOUNCE, "h@x.example", True), (EventKind.DEFERRAL, "s@x.example", None),
        (EventKind.COMPLAINT, "c@x.example", None)]


@pytest.mark.parametrize("provider", ["ses", "sendgrid", "postmark", "mailgun", "sparkpost",
                                      "brevo", "mailjet"])
@pytest.mark.parametrize("body", [b"", b"not json", b"[" * 100_000, b'{"a": [1, {"b": null}]}',
                                  b"[1, 2, null, \"x\"]", b'"just a string"', b"null"],
                         ids=["empty", "not-json", "deep", "odd-object", "odd-list", "string",
                              "null"])
def test_hostile_bodies_give_an_error_or_only_harmless_events(provider: str, body: bytes) -> None:
    try:
        found = read_webhook(provider, body)
    except WebhookError as exc:
        assert str(exc)
        return
    assert all(e.hard is not True and e.recipient is None for e in found)


def test_webhook_command_prints_one_line_per_event(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"email": "g@x.example", "event": "bounce",
                                                  "type": "bounce", "status": "5.1.1"},
                                                 {"email": "o@x.example", "event": "open"}]))
    (tmp_path / "bad.json").write_text("{")
    lines = [json.loads(line) for line in
             run(cli, "bounces", "webhook", "sendgrid", "a.json", "bad.json", "gone.json")
             .splitlines()]
    assert [(d["file"], d["recipient"], d["kind"], d["hard"]) for d in lines] == [
        ("a.json", "g@x.example", "bounce", True), ("a.json", "o@x.example", "ignore", None),
        ("bad.json", None, "ignore", None), ("gone.json", None, "ignore", None)]
    assert "not JSON" in lines[2]["error"] and "cannot read" in lines[3]["error"]


def test_webhook_command_refuses_an_unknown_provider(cli: CliRunner) -> None:
    assert "unknown provider" in run(cli, "bounces", "webhook", "carrier-pigeon", "-", code=2,
                                     input="{}")
