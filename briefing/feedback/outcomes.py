"""What a stored report does to the reader it is about, and how an operator undoes it.

- hard: the address is dead; every subscription of the person is marked bounced.
- soft: counted on the person, with decay (a copy delivered since the last one, or
  BRIEFING_SOFT_BOUNCE_DAYS without one, starts the count again); suppressed like a hard
  bounce once the count reaches BRIEFING_BOUNCE_LIMIT.
- complaint: the person pressed "report spam"; every subscription is marked complained, so
  no list mails them again, whatever its status was.
- auto_reply, none: nothing changes.
Each report's changes are written on it (`changes`), so `undo` can put back exactly what it
changed and nothing a person or another report changed since.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.errors import InputError, NotFound
from briefing.core.models import (
    Delivery,
    DeliveryStatus,
    FeedbackReport,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.feedback import guard
from briefing.feedback.model import Kind

__all__ = ["UNSUBSCRIBE", "ReportNotFound", "apply", "undo"]

SUPPRESSIBLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING)
# A provider's "unsubscribed" event (the reader left through the provider's own link).
UNSUBSCRIBE = "unsubscribe"


def apply(session: Session, settings: Settings, report: FeedbackReport) -> None:
    delivery = session.get(Delivery, report.delivery_id) if report.delivery_id else None
    if delivery is None or report.kind not in (Kind.HARD, Kind.SOFT, Kind.COMPLAINT,
                                               UNSUBSCRIBE):
        return
    report.subscriber_id = delivery.subscriber_id
    if _already_acted_on(session, report):
        report.action = "already counted"
        return
    if report.kind == UNSUBSCRIBE:
        _unsubscribe(session, report, delivery)
    elif report.kind == Kind.COMPLAINT:
        _suppress(session, report, delivery, SubscriptionStatus.COMPLAINED, "complained")
    elif report.kind == Kind.HARD:
        _suppress(session, report, delivery, SubscriptionStatus.BOUNCED, "suppressed")
    else:
        _count_soft(session, settings, report, delivery)
    if report.kind in (Kind.HARD, Kind.COMPLAINT):
        session.flush()  # the rates count this report
        paused = guard.check(session, settings, delivery)
        if paused:
            report.action = f"{report.action}; list paused: {paused}"


def _already_acted_on(session: Session, report: FeedbackReport) -> bool:
    """Another report of the same kind about the same copy (a relay that bounced it twice,
    a webhook and a DSN for one failure) counts once."""
    return bool(session.scalar(select(exists().where(
        FeedbackReport.delivery_id == report.delivery_id, FeedbackReport.kind == report.kind,
        FeedbackReport.id != report.id, FeedbackReport.undone_at.is_(None)))))


def _suppress(session: Session, report: FeedbackReport, delivery: Delivery,
              status: SubscriptionStatus, action: str) -> None:
    touched = (SUPPRESSIBLE if status == SubscriptionStatus.BOUNCED else
               tuple(s for s in SubscriptionStatus if s != SubscriptionStatus.COMPLAINED))
    rows = session.scalars(select(Subscription).where(
        Subscription.subscriber_id == delivery.subscriber_id, Subscription.status.in_(touched)))
    previous = {}
    for subscription in rows:
        previous[str(subscription.id)] = subscription.status.value
        subscription.status, subscription.updated_at = status, utcnow()
    changes: dict[str, object] = {"subscriptions": previous, "set": status.value}
    if delivery.status == DeliveryStatus.SENT and status == SubscriptionStatus.BOUNCED:
        changes["delivery"] = delivery.status.value
        delivery.status = DeliveryStatus.BOUNCED
        delivery.last_reply = f"bounced later: {report.status or ''} {report.reason}"[:500]
    report.changes = {**report.changes, **changes}
    report.action = f"{action} on {len(previous)} list(s)" if previous else "nothing to change"


def _unsubscribe(session: Session, report: FeedbackReport, delivery: Delivery) -> None:
    """The list the copy came from; the reader's other lists are theirs to keep."""
    subscription = (session.get(Subscription, delivery.subscription_id)
                    if delivery.subscription_id else None)
    if subscription is None or subscription.status not in SUPPRESSIBLE:
        report.action = "nothing to change"
        return
    report.changes = {"subscriptions": {str(subscription.id): subscription.status.value},
                      "set": SubscriptionStatus.UNSUBSCRIBED.value}
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.updated_at = utcnow()
    report.action = "unsubscribed from 1 list"


def _count_soft(session: Session, settings: Settings, report: FeedbackReport,
                delivery: Delivery) -> None:
    person = session.get(Subscriber, delivery.subscriber_id)
    if person is None:
        return
    now = utcnow()
    before = person.soft_bounces
    if _count_lapsed(session, settings, person, delivery):
        person.soft_bounces = 0
    person.soft_bounces += 1
    person.last_soft_bounce_at = now
    report.changes = {"soft_bounces": before}
    report.action = f"soft bounce {person.soft_bounces} of {settings.bounce_limit}"
    if person.soft_bounces >= settings.bounce_limit:
        _suppress(session, report, delivery, SubscriptionStatus.BOUNCED, "suppressed")


def _count_lapsed(session: Session, settings: Settings, person: Subscriber,
                  delivery: Delivery) -> bool:
    last = person.last_soft_bounce_at
    if last is None:
        return True
    if utcnow() - last > timedelta(days=settings.soft_bounce_days):
        return True
    delivered_since = session.scalar(select(exists().where(
        Delivery.subscriber_id == person.id, Delivery.id != delivery.id,
        Delivery.status == DeliveryStatus.SENT, Delivery.sent_at > last)))
    return bool(delivered_since)


def undo(session: Session, report_id: int) -> FeedbackReport:
    """Put back what the report changed (a false positive); InputError if it changed nothing
    or was undone already."""
    report = session.get(FeedbackReport, report_id)
    if report is None:
        raise ReportNotFound(f"no report {report_id}")
    if report.undone_at is not None or not report.changes:
        raise InputError(f"report {report_id} changed nothing that could be undone")
    _restore_subscriptions(session, report)
    _restore_delivery(session, report)
    if "soft_bounces" in report.changes and report.subscriber_id:
        person = session.get(Subscriber, report.subscriber_id)
        if person is not None:
            person.soft_bounces = int(report.changes["soft_bounces"])
    report.undone_at = utcnow()
    report.action = f"{report.action}; undone"
    return report


def _restore_subscriptions(session: Session, report: FeedbackReport) -> None:
    set_to = report.changes.get("set")
    for subscription_id, previous in report.changes.get("subscriptions", {}).items():
        subscription = session.get(Subscription, int(subscription_id))
        # Only what this report set: a reader who since unsubscribed stays unsubscribed.
        if subscription is not None and subscription.status.value == set_to:
            subscription.status = SubscriptionStatus(previous)
            subscription.updated_at = utcnow()


def _restore_delivery(session: Session, report: FeedbackReport) -> None:
    if "delivery" in report.changes and report.delivery_id:
        delivery = session.get(Delivery, report.delivery_id)
        if delivery is not None and delivery.status == DeliveryStatus.BOUNCED:
            delivery.status = DeliveryStatus(report.changes["delivery"])


class ReportNotFound(NotFound):
    """No stored report has that id."""
