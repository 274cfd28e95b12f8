"""/api/articles: add (text, HTML or URL), list, read, correct and delete articles."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from briefing.api import errors
from briefing.api.schemas import (
    MAX_ID,
    ArticleCreate,
    ArticleCreated,
    ArticleDetail,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
)
from briefing.core.clock import as_utc
from briefing.core.config import Settings
from briefing.core.models import Article, ArticleStatus
from briefing.core.work import after_commit
from briefing.ingest.adding import ArticleInput, add_article, from_html, from_text, from_url
from briefing.ingest.articles import (
    ArticleEdit,
    ArticleFilter,
    delete_article,
    edit_article,
    get_article,
    list_articles,
)
from briefing.ingest.feeds import fetch_policy
from briefing.web.deps import DatabaseDep, SettingsDep
from workers import dispatch

router = APIRouter(prefix="/articles", tags=["articles"])


def build_input(body: ArticleCreate, settings: Settings) -> ArticleInput:
    """Parse or fetch before any transaction opens (InputError / FetchError propagate)."""
    cap = settings.max_article_bytes
    if body.text is not None:
        return from_text(body.text, title=body.title, markdown=body.markdown, max_bytes=cap)
    if body.html is not None:
        return from_html(body.html, title=body.title, max_bytes=cap)
    assert body.url is not None
    return from_url(body.url, fetch_policy(settings), title=body.title)


def _load(db: DatabaseDep, article_id: int) -> Article:
    article = get_article(db, article_id) if 0 < article_id <= MAX_ID else None
    if article is None:
        raise errors.not_found(f"article {article_id}")
    return article


@router.post("", status_code=201, response_model=ArticleCreated,
             responses={200: {"model": ArticleCreated, "description": "already stored"},
                        **errors.responses(400, 401, 413, 422, 502, 504)})
def create_article(body: ArticleCreate, db: DatabaseDep, settings: SettingsDep,
                   response: Response) -> ArticleCreated:
    """Store an article (exactly one of text, html, url) and summarize it in the background.

    201 for a new article; 200 with `created: false` and `duplicate_of` when the same URL or
    the same text is already stored.
    """
    article = replace(build_input(body, settings), tags=tuple(body.tags))
    with db.session() as session:
        result = add_article(session, article)
    if result.created:
        after_commit(dispatch.summarize_articles, [result.article_id])
        response.headers["Location"] = f"/api/articles/{result.article_id}"
    else:
        response.status_code = 200
    # Read back after dispatch: in embedded mode the summary is already there.
    row = ArticleOut.model_validate(_load(db, result.article_id)).model_dump()
    return ArticleCreated(**row, created=result.created, duplicate_of=result.duplicate_of,
                          duplicate_reason=result.reason)  # type: ignore[arg-type]


def _utc(value: datetime | None, name: str) -> datetime | None:
    try:
        return None if value is None else as_utc(value)
    except OverflowError:
        raise errors.ApiError(422, f"{name}: date out of range") from None


@router.get("", response_model=ArticlePage, responses=errors.responses(401, 422))
def list_all(db: DatabaseDep,
             status: ArticleStatus | None = None,
             since: Annotated[datetime | None, Query(
                 description="Created at or after (ISO 8601).")] = None,
             until: Annotated[datetime | None, Query(
                 description="Created before (ISO 8601).")] = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50,
             offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> ArticlePage:
    """Articles, newest first, one page at a time (without their full text)."""
    where = ArticleFilter(status=status, since=_utc(since, "since"), until=_utc(until, "until"))
    page = list_articles(db, where, limit=limit, offset=offset)
    return ArticlePage(items=[ArticleOut.model_validate(a) for a in page.items],
                       total=page.total, limit=page.limit, offset=page.offset)


@router.get("/{article_id}", response_model=ArticleDetail, responses=errors.responses(401, 404))
def read(article_id: int, db: DatabaseDep) -> ArticleDetail:
    """One article with its text and summary."""
    return ArticleDetail.model_validate(_load(db, article_id))


@router.patch("/{article_id}", response_model=ArticleDetail,
              responses=errors.responses(401, 404, 422))
def edit(article_id: int, body: ArticlePatch, db: DatabaseDep) -> ArticleDetail:
    """Correct the title or the summary before the article is sent.

    An edited summary is kept as given: no re-summarize replaces it, and an article that
    had none yet is ready for the next edition. `"summary": null` drops the edit and
    summarizes the article again. Editions already sent keep what readers got.
    """
    change = ArticleEdit(title=body.title, summary=body.summary,
                         restore_summary=body.restore_summary)
    if not (0 < article_id <= MAX_ID and edit_article(db, article_id, change)):
        raise errors.not_found(f"article {article_id}")
    if body.restore_summary:
        after_commit(dispatch.summarize_articles, [article_id])
    return ArticleDetail.model_validate(_load(db, article_id))


@router.delete("/{article_id}", status_code=204, response_class=Response,
               responses=errors.responses(401, 404))
def delete(article_id: int, db: DatabaseDep) -> Response:
    if not (0 < article_id <= MAX_ID and delete_article(db, article_id)):
        raise errors.not_found(f"article {article_id}")
    return Response(status_code=204)
