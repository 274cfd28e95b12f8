"""/api/summaries: on-demand summaries of a text, a URL or a stored article.

The request row holds the result; the client polls it (optionally long-polling with ?wait=).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from briefing.api import errors
from briefing.api.schemas import SummaryAccepted, SummaryCreate, SummaryOut
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Article, RequestStatus, SummaryRequest
from briefing.core.work import after_commit
from briefing.ingest.adding import ArticleInput, from_url, prepare
from briefing.ingest.feeds import fetch_policy
from briefing.text.normalize import require_readable
from briefing.web.deps import DatabaseDep, SettingsDep
from workers import dispatch

router = APIRouter(prefix="/summaries", tags=["summaries"])

POLL_START, POLL_MAX = 0.05, 0.5  # seconds between reads while a client waits


def _source(body: SummaryCreate, settings: Settings) -> ArticleInput:
    """What to store (text None: a stored article); fetching happens here, before the
    transaction.  A fetched page's declared language is kept for the summary to weigh."""
    if body.text is not None:
        if len(body.text.encode()) > settings.max_article_bytes:
            raise errors.ApiError(413, "text is larger than BRIEFING_MAX_ARTICLE_BYTES")
        return ArticleInput(text=require_readable(body.text, what="text"), title=body.title)
    if body.url is not None:
        return prepare(from_url(body.url, fetch_policy(settings), title=body.title))
    return ArticleInput(text="", title=body.title)


@router.post("", status_code=202, response_model=SummaryAccepted,
             responses=errors.responses(400, 401, 413, 422, 502, 504))
def create(body: SummaryCreate, db: DatabaseDep, settings: SettingsDep,
           response: Response) -> SummaryAccepted:
    """Queue a summary of exactly one of `text`, `url` (fetched now) or `article_id`."""
    source = _source(body, settings)
    request_id = str(uuid.uuid4())
    with db.session() as session:
        if body.article_id is not None and session.get(Article, body.article_id) is None:
            raise errors.ApiError(422, f"article {body.article_id} does not exist",
                                  "unknown_article")
        session.add(SummaryRequest(
            id=request_id, text=source.text or None, url=source.url,
            article_id=body.article_id, title=source.title, language=source.language,
            algorithm=body.algorithm or settings.summary_algorithm,
            sentences=None if body.ratio else body.sentences or settings.summary_sentences,
            ratio=body.ratio))
    after_commit(dispatch.summarize_requests, [request_id])
    location = f"/api/summaries/{request_id}"
    response.headers["Location"] = location
    status = _read(db, request_id)
    return SummaryAccepted(id=request_id, status=status.status if status else RequestStatus.PENDING,
                           url=location)


def _read(db: Database, request_id: str) -> SummaryOut | None:
    with db.session() as session:
        row = session.get(SummaryRequest, request_id)
        if row is None:
            return None
        return SummaryOut(id=row.id, status=row.status, summary=row.result, error=row.error,
                          algorithm=row.algorithm, sentences=row.sentences, ratio=row.ratio,
                          created_at=row.created_at, finished_at=row.finished_at,
                          language=row.language if row.status == RequestStatus.DONE else None)


def _valid_id(request_id: str) -> bool:
    try:
        return str(uuid.UUID(request_id)) == request_id
    except ValueError:
        return False


@router.get("/{request_id}", response_model=SummaryOut, responses=errors.responses(401, 404, 422))
async def read(request_id: str, db: DatabaseDep,
               wait: Annotated[float, Query(ge=0, le=60, description=(
                   "Seconds to wait for the summary to finish before answering."))] = 0
               ) -> SummaryOut:
    """The request's state; with `wait`, answers as soon as it is done or failed."""
    # Async, with the database reads in the thread pool: a waiting client holds no thread.
    if not _valid_id(request_id):
        raise errors.not_found(f"summary request {request_id}")
    deadline, pause = time.monotonic() + wait, POLL_START
    while True:
        found = await run_in_threadpool(_read, db, request_id)
        if found is None:
            raise errors.not_found(f"summary request {request_id}")
        if found.status != RequestStatus.PENDING or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, POLL_MAX)
