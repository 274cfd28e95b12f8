"""Reading and removing stored articles (adding lives in `ingest`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select

from briefing.db import Database
from briefing.models import Article, ArticleStatus

MAX_PAGE_SIZE = 200


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
