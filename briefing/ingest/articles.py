"""Reading, correcting and removing stored articles (adding lives in `ingest`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import Article, ArticleStatus
from briefing.text.normalize import clip

MAX_PAGE_SIZE = 200
MAX_TITLE_CHARS = 500
MAX_SUMMARY_SENTENCES = 50
MAX_SENTENCE_CHARS = 2000


@dataclass(frozen=True)
class ArticleFilter:
    status: ArticleStatus | None = None
    since: datetime | None = None   # created at or after
    until: datetime | None = None   # created before
    feed_id: int | None = None


@dataclass(frozen=True)
class Page:
    items: list[Article]
    total: int
    limit: int
    offset: int


Q = TypeVar("Q", bound=Select[Any])


def _filtered(query: Q, where: ArticleFilter) -> Q:
    if where.status is not None:
        query = query.where(Article.status == where.status)
    if where.since is not None:
        query = query.where(Article.created_at >= where.since)
    if where.until is not None:
        query = query.where(Article.created_at < where.until)
    if where.feed_id is not None:
        query = query.where(Article.feed_id == where.feed_id)
    return query


def list_articles(db: Database, where: ArticleFilter = ArticleFilter(), *, limit: int = 50,
                  offset: int = 0) -> Page:
    """Newest first, one page at a time."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    with db.session() as session:
        total = session.scalar(_filtered(select(func.count(Article.id)), where))
        rows = session.scalars(
            _filtered(select(Article), where)
            .order_by(Article.created_at.desc(), Article.id.desc())
            .limit(limit).offset(offset)).all()
    return Page(list(rows), int(total or 0), limit, offset)


def get_article(db: Database, article_id: int) -> Article | None:
    with db.session() as session:
        return session.get(Article, article_id)


def delete_article(db: Database, article_id: int) -> bool:
    with db.session() as session:
        article = session.get(Article, article_id)
        if article is None:
            return False
        session.delete(article)
    return True


def status_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Article.status, func.count()).group_by(Article.status))
        return {str(status): int(count) for status, count in rows}


@dataclass(frozen=True)
class ArticleEdit:
    """A correction made before an article is sent. `None` leaves a field as it is;
    `restore_summary` drops a hand-edited summary so the article is summarized again."""

    title: str | None = None
    summary: list[str] | None = None
    restore_summary: bool = False


def edit_article(db: Database, article_id: int, edit: ArticleEdit) -> Article | None:
    """Apply `edit` (InputError when it is not usable); None when there is no such article.

    An edited summary is marked (`summary_edited_at`) and no re-summarize replaces it. An
    article that had no summary yet becomes `summarized` with it, ready for the next
    edition; one that had keeps its `summarized_at`, so the edit never sends it twice.
    Editions already sent are not changed: their stored copy is what readers got.
    """
    title = None if edit.title is None else _checked_title(edit.title)
    summary = None if edit.summary is None else _checked_summary(edit.summary)
    if summary is not None and edit.restore_summary:
        raise InputError("give a new summary or restore the generated one, not both")
    with db.session() as session:
        article = session.get(Article, article_id)
        if article is None:
            return None
        if title is not None:
            article.title = title
        if summary is not None:
            _set_summary(article, summary)
        if edit.restore_summary and article.summary_edited_at is not None:
            article.summary_edited_at = None
            article.status = ArticleStatus.NEW  # the face enqueues its summary
    return article


def _set_summary(article: Article, summary: list[str]) -> None:
    now = utcnow()
    article.summary = summary
    article.summary_edited_at = now
    if article.status != ArticleStatus.SUMMARIZED:
        # A summary task still running finds its claim gone and writes nothing.
        article.status = ArticleStatus.SUMMARIZED
        article.summarized_at = article.summarized_at or now
        article.error = None


def _checked_title(title: str) -> str:
    if "\x00" in title:
        raise InputError("title must not contain NUL characters")
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(f"title is longer than {MAX_TITLE_CHARS} characters")
    cleaned = clip(title, MAX_TITLE_CHARS)
    if not cleaned:
        raise InputError("title is empty")
    return cleaned


def _checked_summary(sentences: list[str]) -> list[str]:
    if not sentences:
        raise InputError("summary needs at least one sentence")
    if len(sentences) > MAX_SUMMARY_SENTENCES:
        raise InputError(f"summary has {len(sentences)} sentences; at most "
                         f"{MAX_SUMMARY_SENTENCES} are allowed")
    return [_checked_sentence(number, s) for number, s in enumerate(sentences, start=1)]


def _checked_sentence(number: int, sentence: str) -> str:
    cleaned = " ".join(sentence.split())
    if not cleaned:
        raise InputError(f"summary sentence {number} is empty")
    if "\x00" in cleaned:
        raise InputError(f"summary sentence {number} contains a NUL character")
    if len(cleaned) > MAX_SENTENCE_CHARS:
        raise InputError(f"summary sentence {number} is longer than {MAX_SENTENCE_CHARS} "
                         "characters")
    return cleaned
