"""The double opt-in email: one message, sent through the same mailer as the briefing."""

from __future__ import annotations

import logging

from briefing.config import Settings
from briefing.db import Database
from briefing.mailer import Sender, envelope_for, make_sender
from briefing.messages import address, build_message
from briefing.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from briefing.subscriptions import confirm_token
from briefing.templating import render_email

log = logging.getLogger(__name__)


def confirm_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/confirm/{token}"


def send_confirmation(db: Database, subscription_id: int, settings: Settings,
                      sender: Sender | None = None) -> str:
    """Send the confirmation email for a pending subscription (mail errors propagate, so the
    task can retry a TransientError)."""
    with db.session() as session:
        row = session.get(Subscription, subscription_id)
        if row is None or row.status != SubscriptionStatus.PENDING or not row.confirm_nonce:
            return "skipped"
        mailing_list = session.get(MailingList, row.list_id)
        person = session.get(Subscriber, row.subscriber_id)
        assert mailing_list is not None and person is not None
        link = confirm_url(settings, confirm_token(settings, row))
    mail = render_email("confirm", list=mailing_list, subscriber=person, confirm_url=link,
                        days=settings.confirm_days)
    message = build_message(
        sender=address(mailing_list.from_address, mailing_list.from_name),
        recipient=address(person.email, person.name), subject=mail.subject, text=mail.text,
        html=mail.html, reply_to=address(mailing_list.reply_to) if mailing_list.reply_to
        else None)
    with sender or make_sender(settings) as outgoing:
        reply = outgoing.send(envelope_for(message, mailing_list.from_address, person.email))
    log.info("confirmation for subscription %d sent: %s", subscription_id, reply)
    return "sent"
