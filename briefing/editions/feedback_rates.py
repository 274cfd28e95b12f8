"""An edition's bounce and complaint counts and rates, from the reports received about it.

Rates are over the copies the relay accepted (sent, or sent and bounced later). Read by
`briefing editions show`, the API, and the guard rails (briefing.feedback.guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.models import Delivery, DeliveryStatus, FeedbackReport

__all__ = ["FeedbackRates", "feedback_rates", "recent_rates"]


@dataclass(frozen=True)
class FeedbackRates:
    accepted: int
    hard_bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.hard_bounces / self.accepted if self.accepted else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.accepted if self.accepted else 0.0


def feedback_rates(session: Session, edition_id: int) -> FeedbackRates:
    accepted = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.edition_id == edition_id,
        Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.BOUNCED]))) or 0
    rows = session.execute(
        select(FeedbackReport.kind, func.count(func.distinct(FeedbackReport.delivery_id)))
        .join(Delivery, Delivery.id == FeedbackReport.delivery_id)
        .where(Delivery.edition_id == edition_id, FeedbackReport.undone_at.is_(None))
        .group_by(FeedbackReport.kind))
    kinds = {str(kind): int(count) for kind, count in rows}
    return FeedbackRates(int(accepted), int(kinds.get("hard", 0)),
                         int(kinds.get("complaint", 0)))


def recent_rates(session: Session, days: int = 7) -> FeedbackRates:
    """Over every list, the copies accepted in the last `days` and the hard bounces and
    complaints reported about them (what a mailbox provider's postmaster page would show)."""
    since = utcnow() - timedelta(days=days)
    accepted = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.sent_at >= since,
        Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.BOUNCED]))) or 0
    rows = session.execute(
        select(FeedbackReport.kind, func.count(func.distinct(FeedbackReport.delivery_id)))
        .join(Delivery, Delivery.id == FeedbackReport.delivery_id)
        .where(Delivery.sent_at >= since, FeedbackReport.undone_at.is_(None))
        .group_by(FeedbackReport.kind))
    kinds = {str(kind): int(count) for kind, count in rows}
    return FeedbackRates(int(accepted), kinds.get("hard", 0), kinds.get("complaint", 0))
