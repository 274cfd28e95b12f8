"""The work behind each task, free of Celery: workers, the CLI and tests call the same code.

Every job takes ids, reads the row, and is safe to run twice: it claims its row with a
conditional UPDATE, so a redelivered message or a second worker finds nothing to do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from briefing.core import metrics
from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Article, ArticleStatus, RequestStatus, SummaryRequest
from briefing.core.work import SWEEP_BATCH
from briefing.summarize.summarizer import SummaryError, summarize_text

log = logging.getLogger(__name__)

# On-demand results are kept a week for clients polling them, then dropped with their text.
REQUEST_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Claim:
    article_id: int
    attempt: int


def claim_article(db: Database, article_id: int, settings: Settings, *, force: bool = False
                  ) -> Claim | None:
    """Move an article to `summarizing` unless another run owns it or it is already done."""
    stale = utcnow() - timedelta(seconds=settings.stuck_after_seconds)
    claimable = or_(
        Article.status == ArticleStatus.NEW,
        (Article.status == ArticleStatus.SUMMARIZING) & (Article.updated_at < stale),
    )
    if force:
        claimable = or_(claimable, Article.status.in_(
            [ArticleStatus.SUMMARIZED, ArticleStatus.FAILED]))
    # A summary corrected by hand is never replaced, not even by a forced re-summarize.
    claimable = claimable & Article.summary_edited_at.is_(None)
    with db.session() as session:
        result = session.execute(
            update(Article).where(Article.id == article_id, claimable)
            .values(status=ArticleStatus.SUMMARIZING, attempts=Article.attempts + 1,
                    updated_at=utcnow(), error=None)
            .returning(Article.attempts)
        ).first()
    return Claim(article_id, result.attempts) if result else None


def summarize_article(db: Database, article_id: int, settings: Settings, *,
                      force: bool = False) -> str:
    """Summarize one stored article; returns what happened ("summarized", "skipped", "failed")."""
    claim = claim_article(db, article_id, settings, force=force)
    if claim is None:
        return "skipped"
    with db.session() as session:
        article = session.get(Article, article_id)
        text, title, declared = _article_input(article)
    started = time.perf_counter()
    try:
        summary = summarize_text(text, algorithm=settings.summary_algorithm,
                                 sentences=settings.summary_sentences, declared_language=declared,
                                 fallback_language=settings.summary_language, title=title)
    except SummaryError as exc:
        _finish(db, claim, status=ArticleStatus.FAILED, error=str(exc))
        metrics.count(metrics.ARTICLES_FAILED)
        return "failed"
    metrics.observe(metrics.SUMMARY_SECONDS, time.perf_counter() - started)
    # A re-summarized article keeps its first summarized_at: editions pick articles by it,
    # and a new one would send an article already sent in the next edition again.
    written = _finish(db, claim, status=ArticleStatus.SUMMARIZED, summary=list(summary.sentences),
                      summary_algorithm=summary.algorithm, summary_params=dict(summary.params),
                      summarized_at=func.coalesce(Article.summarized_at, utcnow()),
                      language=summary.language,
                      language_source=summary.params["language_source"])
    if written:
        log.info("article %d summarized", article_id)
        metrics.count(metrics.ARTICLES_SUMMARIZED)
    return "summarized" if written else "skipped"


def _article_input(article: Article | None) -> tuple[str, str | None, str | None]:
    """Text, title and declared language of a stored article ("" when it is gone)."""
    if article is None:
        return "", None, None
    return article.text, article.title, article.declared_language


def fail_article(db: Database, article_id: int, error: str) -> None:
    """Record a permanent failure after retries ran out, so nothing vanishes silently."""
    with db.session() as session:
        failed = session.execute(
            update(Article).where(Article.id == article_id,
                                  Article.status != ArticleStatus.SUMMARIZED)
            .values(status=ArticleStatus.FAILED, error=error[:2000], updated_at=utcnow())
            .returning(Article.id)).first()
    metrics.count(metrics.ARTICLES_FAILED, 1 if failed else 0)


def _finish(db: Database, claim: Claim, **values: object) -> bool:
    """Write the outcome only if our claim still holds (a newer claim wins otherwise)."""
    with db.session() as session:
        written = session.execute(
            update(Article)
            .where(Article.id == claim.article_id, Article.attempts == claim.attempt,
                   Article.status == ArticleStatus.SUMMARIZING,
                   Article.summary_edited_at.is_(None))
            .values(updated_at=utcnow(), **values)
            .returning(Article.id)).first()
    return written is not None


def run_summary_request(db: Database, request_id: str, settings: Settings) -> str:
    """Answer an on-demand summary request; the row keeps the result for the API to read."""
    with db.session() as session:
        request = session.get(SummaryRequest, request_id)
        if request is None or request.status != RequestStatus.PENDING:
            return "skipped"
        text, title, declared = _request_text(session, request)
        params = (request.algorithm, request.sentences, request.ratio)
    try:
        if text is None:
            raise SummaryError("the article to summarize no longer exists")
        summary = summarize_text(text, algorithm=params[0], sentences=params[1],
                                 ratio=params[2], declared_language=declared,
                                 fallback_language=settings.summary_language, title=title)
    except SummaryError as exc:
        _finish_request(db, request_id, status=RequestStatus.FAILED, error=str(exc))
        return "failed"
    _finish_request(db, request_id, status=RequestStatus.DONE, result=list(summary.sentences),
                    language=summary.language)
    return "done"


def fail_request(db: Database, request_id: str, error: str) -> None:
    _finish_request(db, request_id, status=RequestStatus.FAILED, error=error[:2000])


def _request_text(session: Session, request: SummaryRequest
                  ) -> tuple[str | None, str | None, str | None]:
    """Text, title and declared language to summarize (text None: the article is gone)."""
    if request.article_id is None:
        return request.text, request.title, request.language
    row = session.get(Article, request.article_id)
    return (row.text, row.title, row.declared_language) if row else (None, None, None)


def _finish_request(db: Database, request_id: str, **values: object) -> None:
    with db.session() as session:
        session.execute(
            update(SummaryRequest)
            .where(SummaryRequest.id == request_id,
                   SummaryRequest.status == RequestStatus.PENDING)
            .values(finished_at=utcnow(), **values))


@dataclass(frozen=True)
class SweepResult:
    article_ids: list[int]
    request_ids: list[str]


def find_stuck(db: Database, settings: Settings) -> SweepResult:
    """Work that should have moved on by now: its message was lost or its worker died.

    New articles handed back are touched, so a long but healthy queue is not re-sent on every
    sweep; stale `summarizing` rows are left as they are, because being stale is what lets
    the next run claim them.
    """
    now = utcnow()
    stale = now - timedelta(seconds=settings.stuck_after_seconds)
    with db.session() as session:
        articles = list(session.scalars(
            select(Article.id).where(
                Article.status.in_([ArticleStatus.NEW, ArticleStatus.SUMMARIZING]),
                Article.updated_at < stale).order_by(Article.id).limit(SWEEP_BATCH)))
        session.execute(update(Article).where(
            Article.id.in_(articles), Article.status == ArticleStatus.NEW
        ).values(updated_at=now))
        requests = list(session.scalars(
            select(SummaryRequest.id).where(
                SummaryRequest.status == RequestStatus.PENDING,
                SummaryRequest.created_at < stale).limit(SWEEP_BATCH)))
        session.execute(delete(SummaryRequest).where(
            SummaryRequest.status != RequestStatus.PENDING,
            SummaryRequest.finished_at < now - REQUEST_RETENTION))
    return SweepResult(articles, requests)
