"""/api/editions and /api/lists/{slug}/send|preview: the daily briefing, by hand or to look."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from briefing import editions
from briefing.api import errors
from briefing.api.deps import DatabaseDep, SettingsDep, enqueue
from briefing.api.schemas import MAX_ID, DeliveryCounts
from briefing.config import Settings
from briefing.db import Database
from briefing.models import EditionStatus
from briefing.render import web_version
from briefing.textnorm import InputError

router = APIRouter(tags=["editions"])


class EditionOut(BaseModel):
    id: int
    list: str
    edition_date: Date
    status: EditionStatus
    subject: str | None
    articles: int
    counts: DeliveryCounts = Field(description=(
        "Deliveries by status: queued, sending, sent, skipped (the reader left before it "
        "was sent), failed, bounced."))
    note: str | None
    sent_at: datetime | None
    paused_until: datetime | None = Field(None, description=(
        "While the SMTP server has throttled the account: when sending resumes."))
    pause_reply: str | None = Field(None, description="What the server said.")


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Date | None = Field(None, description="Edition date (default: today, local).")
    dry_run: StrictBool = Field(False, description=(
        "Render and count; send nothing. JSON true or false only."))
    to: str | None = Field(None, max_length=320,
                           description="Send one test copy to this address only.")


class SendOutcome(BaseModel):
    edition: EditionOut | None = None
    subject: str | None = None
    articles: int = 0
    test_copy: str | None = None


def _out(info: editions.EditionInfo, db: Database, settings: Settings) -> EditionOut:
    held = editions.sending_paused(db, settings, info)
    return EditionOut(id=info.id, list=info.list_slug, edition_date=info.edition_date,
                      status=info.status, subject=info.subject, articles=info.articles,
                      counts=DeliveryCounts(**info.counts), note=info.note,
                      sent_at=info.sent_at if isinstance(info.sent_at, datetime) else None,
                      paused_until=None if held is None else held.ends_at,
                      pause_reply=None if held is None else held.reply)


@router.get("/editions", response_model=list[EditionOut], responses=errors.responses(401, 404))
def list_editions(db: DatabaseDep, settings: SettingsDep, list_slug: Annotated[str | None, Query(
                      alias="list", max_length=64)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 30,
                  offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[EditionOut]:
    return [_out(info, db, settings)
            for info in editions.list_editions(db, list_slug, limit=limit, offset=offset)]


@router.get("/editions/{edition_id}", response_model=EditionOut,
            responses=errors.responses(401, 404))
def get_edition(edition_id: int, db: DatabaseDep, settings: SettingsDep) -> EditionOut:
    if not 0 < edition_id <= MAX_ID:
        raise errors.not_found(f"edition {edition_id}")
    try:
        return _out(editions.edition_info(db, edition_id), db, settings)
    except InputError:
        raise errors.not_found(f"edition {edition_id}") from None


@router.post("/lists/{slug}/send", response_model=SendOutcome,
             responses=errors.responses(400, 401, 404, 422))
def send(slug: str, body: SendRequest, db: DatabaseDep, settings: SettingsDep) -> SendOutcome:
    """Build and send the list's edition now — at most once per list and date."""
    from workers import dispatch

    if body.to:
        return SendOutcome(test_copy=editions.send_test_copy(db, slug, body.to, settings))
    if body.dry_run:
        rendered, count = editions.render_now(db, slug, settings, body.date)
        return SendOutcome(subject=rendered.subject if rendered else None, articles=count)
    edition_id, created = editions.ensure_edition(db, slug, body.date)
    if created:
        enqueue(dispatch.build_editions, [edition_id])
    return SendOutcome(edition=_out(editions.edition_info(db, edition_id), db, settings))


@router.get("/lists/{slug}/preview", response_class=HTMLResponse,
            responses={**errors.responses(401, 404), 200: {"content": {"text/html": {}}}})
def preview(slug: str, db: DatabaseDep, settings: SettingsDep) -> Any:
    """The list's edition as it would look if it were sent now."""
    rendered, _ = editions.render_now(db, slug, settings)
    if rendered is None:
        raise errors.not_found(f"news for list {slug!r} right now")
    return HTMLResponse(web_version(rendered.html))
