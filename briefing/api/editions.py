"""/api/editions and /api/lists/{slug}/send|preview: the daily briefing, by hand or to look."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from briefing.api import errors
from briefing.api.schemas import MAX_ID, DeliveryCounts
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import EditionKind, EditionStatus
from briefing.core.work import after_commit
from briefing.editions import service as editions
from briefing.editions import testcopy
from briefing.editions.render import web_version
from briefing.web.deps import DatabaseDep, SettingsDep

router = APIRouter(tags=["editions"])


class FeedbackOut(BaseModel):
    accepted: int
    hard_bounces: int
    complaints: int
    bounce_rate: float
    complaint_rate: float


class EditionOut(BaseModel):
    id: int
    list: str
    edition_date: Date
    kind: EditionKind = Field(EditionKind.DAILY, description=(
        "daily, or weekly: the week's top stories for weekly readers, dated the Monday it "
        "goes out from."))
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
    list_paused: str | None = Field(None, description=(
        "Why the list's sending is paused by its guard rails (bounce or complaint rate); "
        "`POST /api/editions/{id}/resume` or `briefing editions resume` lifts it."))
    feedback: FeedbackOut | None = Field(None, description=(
        "Bounces and complaints reported after sending, over the copies the relay accepted."))


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Date | None = Field(None, description="Edition date (default: today, local).")
    dry_run: StrictBool = Field(False, description=(
        "Render and count; send nothing. JSON true or false only."))
    to: str | None = Field(None, max_length=320,
                           description="Send one test copy to this address only.")


class SendOutcome(BaseModel):
    edition: EditionOut | None = Field(default=None, description=(
        "The edition sent (or being sent); for a dry run or test copy, the edition of that "
        "date when it was already built."))
    subject: str | None = None
    articles: int = Field(default=0, description=(
        "Articles in the email (sent, would be sent, or in the test copy)."))
    readers: int | None = Field(default=None, description=(
        "Dry run: readers it would go to, or went to when `already_sent`."))
    already_sent: bool = Field(default=False, description=(
        "The edition of that date was already built (sent, being sent, or empty): subject "
        "and articles are what went out, and a real send would send nothing new."))
    note: str | None = Field(default=None, description=(
        "In words, when `already_sent`: when the edition was sent, and to how many."))
    test_copy: str | None = Field(default=None, description=(
        "The mail server's reply to a test copy."))


def _dry_run(db: Database, slug: str, settings: Settings, day: Date | None) -> SendOutcome:
    content = editions.edition_content(db, slug, settings, day)
    rendered, built = content.rendered, content.built
    return SendOutcome(
        edition=_out(built, db, settings) if built else None,
        subject=rendered.subject if rendered else None,
        articles=rendered.articles_shown if rendered else 0, readers=content.readers,
        already_sent=built is not None, note=editions.built_note(content))


def _test_copy(db: Database, slug: str, to: str, settings: Settings, day: Date | None
               ) -> SendOutcome:
    copy = testcopy.send_test_copy(db, slug, to, settings, day)
    built = copy.content.built
    return SendOutcome(edition=_out(built, db, settings) if built else None,
                       subject=copy.subject, articles=copy.articles,
                       already_sent=built is not None, note=editions.built_note(copy.content),
                       test_copy=copy.reply)


def _out(info: editions.EditionInfo, db: Database, settings: Settings) -> EditionOut:
    held = editions.sending_paused(db, settings, info)
    return EditionOut(id=info.id, list=info.list_slug, edition_date=info.edition_date,
                      kind=info.kind, status=info.status, subject=info.subject,
                      articles=info.articles,
                      counts=DeliveryCounts(**info.counts), note=info.note,
                      sent_at=info.sent_at if isinstance(info.sent_at, datetime) else None,
                      paused_until=None if held is None else held.ends_at,
                      pause_reply=None if held is None else held.reply,
                      list_paused=info.paused, feedback=_feedback(info))


def _feedback(info: editions.EditionInfo) -> FeedbackOut | None:
    rates = info.feedback
    if rates is None:
        return None
    return FeedbackOut(accepted=rates.accepted, hard_bounces=rates.hard_bounces,
                       complaints=rates.complaints, bounce_rate=round(rates.bounce_rate, 5),
                       complaint_rate=round(rates.complaint_rate, 5))


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
        return _test_copy(db, slug, body.to, settings, body.date)
    if body.dry_run:
        return _dry_run(db, slug, settings, body.date)
    edition_id, created = editions.ensure_edition(db, slug, body.date)
    if created:
        after_commit(dispatch.build_editions, [edition_id])
    return SendOutcome(edition=_out(editions.edition_info(db, edition_id), db, settings))


@router.get("/lists/{slug}/preview", response_class=HTMLResponse,
            responses={**errors.responses(401, 404), 200: {"content": {"text/html": {}}}})
def preview(slug: str, db: DatabaseDep, settings: SettingsDep, date: Annotated[
                Date | None, Query(description="Edition date (default: today, local).")] = None
            ) -> Any:
    """The list's edition as it would look if it were sent now; for a date already sent,
    as it was sent (the `X-Edition-Status` header then says `sent` or `sending`)."""
    content = editions.edition_content(db, slug, settings, date)
    if content.rendered is None:
        note = editions.built_note(content)
        raise errors.not_found(f"news for list {slug!r} "
                               + (f"({note})" if note else "right now"))
    built = content.built
    headers = ({"X-Edition-Status": str(built.status), "X-Edition-Id": str(built.id)}
               if built else {})
    return HTMLResponse(web_version(content.rendered.html), headers=headers)
