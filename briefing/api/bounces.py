"""`/api/bounces`: the reports received after sending, as `briefing bounces list|show|undo`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from briefing.api import errors
from briefing.feedback import reports
from briefing.web.deps import DatabaseDep

router = APIRouter(tags=["bounces"])
MAX_ID = 2**62


class ReportOut(BaseModel):
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


def _out(view: reports.ReportView) -> ReportOut:
    return ReportOut(**view.__dict__)


@router.get("/bounces", response_model=list[ReportOut], responses=errors.responses(401))
def list_reports(db: DatabaseDep, kind: Annotated[str | None, Query(max_length=20)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                 before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                 ) -> list[ReportOut]:
    """Received bounce, complaint and unsubscribe reports, newest first (`before` pages on)."""
    return [_out(v) for v in reports.list_reports(db, kind=kind, limit=limit, before_id=before)]


@router.get("/bounces/{report_id}", response_model=ReportOut,
            responses=errors.responses(401, 404))
def get_report(report_id: int, db: DatabaseDep) -> ReportOut:
    return _out(reports.show_report(db, report_id)[0])


@router.post("/bounces/{report_id}/undo", response_model=ReportOut,
             responses=errors.responses(401, 404, 422))
def undo(report_id: int, db: DatabaseDep) -> ReportOut:
    """Put back what a false positive changed (the reader's subscriptions, their count)."""
    return _out(reports.undo_report(db, report_id))
