"""The double opt-in email: one message, sent through the same mailer as the briefing.

Sign-up issues a nonce and commits before anything is enqueued, so a broker that is down (or
a message that is lost) leaves a confirmation issued but never mailed. Mailing records
`confirmation_mailed_at` for the nonce it mailed; the sweep mails the ones still without it.
Each nonce is mailed at least once and, unless two copies of its task run at the same moment,
at most once; a resend asked for by the reader issues a new nonce and is mailed as before.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from briefing.core.templating import render_email
from briefing.core.work import SWEEP_BATCH
from briefing.mail.headers import address, build_message
from briefing.mail.senders import PermanentError, Sender, envelope_for, make_sender
from briefing.subscribers.subscriptions import confirm_token

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
        if _mailed(row):  # a second copy of the task (the sweep's, or a redelivery)
            return "already sent"
        nonce = row.confirm_nonce
        mailing_list = session.get(MailingList, row.list_id)
        person = session.get(Subscriber, row.subscriber_id)
        assert mailing_list is not None and person is not None
        link = confirm_url(settings, confirm_token(settings, row))
    # Only the address and what the operator wrote: whoever signed up has not shown they own
    # the address, so nothing they typed (a name can be "URGENT: verify at http://…") may
    # reach that inbox in a mail from the list's own address, not even in the To: header.
    mail = render_email("confirm", list=mailing_list, email=person.email, confirm_url=link,
                        days=settings.confirm_days)
    message = build_message(
        sender=address(mailing_list.from_address, mailing_list.from_name),
        recipient=address(person.email), subject=mail.subject, text=mail.text,
        html=mail.html, reply_to=address(mailing_list.reply_to) if mailing_list.reply_to
        else None)
    try:
        with sender or make_sender(settings) as outgoing:
            reply = outgoing.send(envelope_for(message, mailing_list.from_address,
                                               person.email))
    except PermanentError as exc:
        if exc.stage in ("rcpt", "data"):  # this address refuses it: mailing again won't help
            _record_mailed(db, subscription_id, nonce)
        raise  # a refused login or sender is ours to fix: the sweep tries again later
    _record_mailed(db, subscription_id, nonce)
    log.info("confirmation for subscription %d sent: %s", subscription_id, reply)
    return "sent"


def _mailed(row: Subscription) -> bool:
    """Whether the current nonce was mailed (it was issued at `confirmation_sent_at`)."""
    return (row.confirmation_mailed_at is not None and row.confirmation_sent_at is not None
            and row.confirmation_mailed_at >= row.confirmation_sent_at)


def _record_mailed(db: Database, subscription_id: int, nonce: str) -> None:
    # Only for the nonce that was mailed: if the reader asked for a new one meanwhile, that
    # one still has to go out.
    with db.session() as session:
        session.execute(update(Subscription).where(
            Subscription.id == subscription_id, Subscription.confirm_nonce == nonce)
            .values(confirmation_mailed_at=utcnow()))


def unsent_confirmations(db: Database, settings: Settings) -> list[int]:
    """Pending subscriptions whose confirmation was issued over stuck-after ago and never
    mailed, while its link would still be accepted: for the sweep to mail.

    They are touched, like the sweep's articles, so a long but healthy queue is not sent the
    same ids on every sweep."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.stuck_after_seconds)
    with db.session() as session:
        ids = list(session.scalars(select(Subscription.id).where(
            Subscription.status == SubscriptionStatus.PENDING,
            Subscription.confirm_nonce.is_not(None),
            Subscription.confirmation_sent_at < stale,
            Subscription.confirmation_sent_at > now - timedelta(days=settings.confirm_days),
            or_(Subscription.confirmation_mailed_at.is_(None),
                Subscription.confirmation_mailed_at < Subscription.confirmation_sent_at),
            Subscription.updated_at < stale).order_by(Subscription.id).limit(SWEEP_BATCH)))
        session.execute(update(Subscription).where(Subscription.id.in_(ids))
                        .values(updated_at=now))
    return ids
