"""The stored reports, for the faces: list them, show one, undo one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import FeedbackReport, Subscriber
from briefing.feedback import outcomes

__all__ = ["ReportView", "drop_old_raw", "list_reports", "show_report", "undo_report"]


@dataclass(frozen=True)
class ReportView:
    id: int
    received_at: datetime
    source: str
    kind: str
    recipient: str | None
    status: str | None
    reason: str
    matched_by: str | None
    delivery_id: int | None
    reader: str | None
    action: str
    undone: bool
    note: str

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "received_at": self.received_at.isoformat()}


def _view(row: FeedbackReport, reader: str | None) -> ReportView:
    return ReportView(row.id, row.received_at, row.source, row.kind, row.recipient, row.status,
                      row.reason, row.matched_by, row.delivery_id, reader, row.action,
                      row.undone_at is not None, row.note)


def list_reports(db: Database, *, kind: str | None = None, limit: int = 50,
                 before_id: int | None = None) -> list[ReportView]:
    """Newest first; `before_id` pages on (keyset, so a big table stays fast)."""
    query = (select(FeedbackReport, Subscriber.email)
             .outerjoin(Subscriber, Subscriber.id == FeedbackReport.subscriber_id)
             .order_by(FeedbackReport.id.desc()).limit(limit))
    if kind:
        query = query.where(FeedbackReport.kind == kind)
    if before_id:
        query = query.where(FeedbackReport.id < before_id)
    with db.session() as session:
        return [_view(row, email) for row, email in session.execute(query)]


def show_report(db: Database, report_id: int) -> tuple[ReportView, bytes | None]:
    with db.session() as session:
        row = session.get(FeedbackReport, report_id)
        if row is None:
            raise outcomes.ReportNotFound(f"no report {report_id}")
        person = session.get(Subscriber, row.subscriber_id) if row.subscriber_id else None
        return _view(row, person.email if person else None), row.raw


def undo_report(db: Database, report_id: int) -> ReportView:
    with db.session() as session:
        row = outcomes.undo(session, report_id)
        person = session.get(Subscriber, row.subscriber_id) if row.subscriber_id else None
        return _view(row, person.email if person else None)


def drop_old_raw(db: Database, settings: Settings) -> int:
    """Forget raw messages past BRIEFING_BOUNCE_KEEP_DAYS; the classification stays."""
    cutoff = utcnow() - timedelta(days=settings.bounce_keep_days)
    with db.session() as session:
        result = session.execute(update(FeedbackReport).where(
            FeedbackReport.received_at < cutoff, FeedbackReport.raw.is_not(None))
            .values(raw=None))
        return int(getattr(result, "rowcount", 0) or 0)
