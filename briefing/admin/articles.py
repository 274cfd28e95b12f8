"""/admin/articles: the inbox (status, source, summary, errors), adding by URL, text or file,
editing a title or summary, and re-summarizing with another algorithm side by side."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.roles import Area
from briefing.admin.forms import FormText
from briefing.admin.pages import check_form, not_found, render, see_other, settings_of
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.core.config import SUMMARY_ALGORITHMS, Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import Article, ArticleStatus
from briefing.core.work import after_commit
from briefing.ingest.adding import ArticleInput, add_article, from_html, from_text, from_url
from briefing.ingest.articles import (
    ArticleEdit,
    ArticleFilter,
    edit_article,
    get_article,
    list_articles,
)
from briefing.ingest.feeds import fetch_policy
from briefing.ingest.fetch import FetchError
from briefing.summarize.summarizer import Summary, SummaryError, summarize_text
from workers import dispatch

router = APIRouter(prefix=f"{PATH}/articles", include_in_schema=False)
PAGE = 50
STATUSES = [("", "any status")] + [(str(s), str(s)) for s in ArticleStatus]
ALGORITHMS = [(name, name) for name in SUMMARY_ALGORITHMS]
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}


def _status(raw: str) -> ArticleStatus | None:
    try:
        return ArticleStatus(raw) if raw else None
    except ValueError:
        return None


def _load(db: Database, article_id: int) -> Article:
    article = get_article(db, article_id) if 0 < article_id < 2**31 else None
    if article is None:
        raise not_found("such article")
    return article


@router.get("", response_class=HTMLResponse)
def inbox(request: Request, viewer: ViewerDep, status: str = "", page: int = 1) -> HTMLResponse:
    page = max(1, min(page, 100_000))
    found = list_articles(request.app.state.db, ArticleFilter(status=_status(status)),
                          limit=PAGE, offset=(page - 1) * PAGE)
    return render(request, "articles.html", viewer, title="Articles", found=found,
                  status_filter=status, statuses=STATUSES, page=page,
                  more=found.offset + len(found.items) < found.total)


def _new_page(request: Request, viewer: Viewer, *, errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    return render(request, "article_new.html", viewer, status=status, title="Add an article",
                  errors=errors or {}, values=values or {"url": "", "text": "", "title": ""},
                  cap=settings_of(request).max_article_bytes)


@router.get("/new", response_class=HTMLResponse)
def new(request: Request, viewer: ViewerDep) -> HTMLResponse:
    require(viewer, Area.ARTICLES)
    return _new_page(request, viewer)


def _from_upload(upload: UploadFile, title: str | None, cap: int) -> ArticleInput:
    data = upload.file.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"the file is larger than the {cap:,}-byte limit "
                         "(BRIEFING_MAX_ARTICLE_BYTES)")
    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix in HTML_SUFFIXES:
        return from_html(data, title=title, max_bytes=cap)
    return from_text(data, title=title, markdown=suffix in MARKDOWN_SUFFIXES, max_bytes=cap)


def _build(url: str, text: str, title: str | None, upload: UploadFile | None,
           settings: Settings) -> ArticleInput:
    """The article from the one field given, fetched or parsed."""
    cap = settings.max_article_bytes
    given = [name for name, value in (("url", url.strip()), ("text", text.strip()),
                                      ("file", upload and upload.filename)) if value]
    if len(given) != 1:
        raise _Ambiguous("Give one of these: a URL, a text or a file.")
    if given[0] == "url":
        return from_url(url.strip(), fetch_policy(settings), title=title)
    if given[0] == "text":
        return from_text(text, title=title, max_bytes=cap)
    assert upload is not None
    return _from_upload(upload, title, cap)


class _Ambiguous(InputError):
    pass


@router.post("", response_class=HTMLResponse)
def add(request: Request, viewer: ViewerDep, url: FormText = "", text: FormText = "",
        title: FormText = "", csrf_token: FormText = "",
        file: Annotated[UploadFile | None, File()] = None) -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.ARTICLES)
    values = {"url": url[:2048], "text": text, "title": title[:500]}
    try:
        article = _build(url, text, title.strip() or None, file, settings_of(request))
    except _Ambiguous as exc:
        return _new_page(request, viewer, errors={"url": str(exc)}, values=values, status=400)
    except (InputError, FetchError) as exc:
        return _new_page(request, viewer, errors={_where(url, text): _sentence(str(exc))},
                         values=values, status=413 if "limit" in str(exc) else 400)
    db = request.app.state.db
    with db.session() as session:
        result = add_article(session, article)
    if result.created:
        after_commit(dispatch.summarize_articles, [result.article_id])
    suffix = "" if result.created else f"?duplicate={result.reason or 'same'}"
    return see_other(f"{PATH}/articles/{result.article_id}{suffix}")


def _where(url: str, text: str) -> str:
    return "url" if url.strip() else ("text" if text.strip() else "file")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _try_summary(article: Article, algorithm: str, sentences: int,
                 settings: Settings) -> tuple[Summary | None, str]:
    if algorithm not in SUMMARY_ALGORITHMS:
        return None, "Choose one of the algorithms listed."
    try:
        return summarize_text(article.text, algorithm=algorithm, sentences=sentences,
                              language=settings.summary_language, title=article.title), ""
    except SummaryError as exc:
        return None, _sentence(str(exc))


@router.get("/{article_id}", response_class=HTMLResponse)
def show(article_id: int, request: Request, viewer: ViewerDep, algorithm: str = "",
         sentences: int = 3, duplicate: str = "", saved: str = "") -> HTMLResponse:
    """The article; with `algorithm`, another summary beside the current one (nothing is
    stored until an editor chooses to use it)."""
    article = _load(request.app.state.db, article_id)
    trial, trial_error = (None, "")
    sentences = max(1, min(sentences, 20))
    if algorithm:
        trial, trial_error = _try_summary(article, algorithm, sentences, settings_of(request))
    notice = ("Saved." if saved else
              f"This article was already stored ({duplicate}): here it is." if duplicate else "")
    return _detail(request, viewer, article, trial=trial, trial_error=trial_error,
                   algorithm=algorithm or settings_of(request).summary_algorithm,
                   sentences=sentences, notice=notice)


def _detail(request: Request, viewer: Viewer, article: Article, *, status: int = 200,
            errors: dict[str, str] | None = None, trial: Summary | None = None,
            trial_error: str = "", algorithm: str = "default", sentences: int = 3,
            notice: str = "", values: dict[str, str] | None = None) -> HTMLResponse:
    current = {"title": article.title, "summary": "\n".join(article.summary or [])}
    return render(request, "article.html", viewer, status=status, title=article.title,
                  article=article, errors=errors or {}, trial=trial, trial_error=trial_error,
                  algorithms=ALGORITHMS, algorithm=algorithm, sentences=sentences,
                  notice=notice, values=values or current)


def _changes(article: Article, title: str, summary: str) -> ArticleEdit:
    """What the form changed. The form always posts both fields; only a summary that differs
    from the stored one is an edit (marked as such: no re-summarize replaces it), so saving a
    new title never freezes the generated summary."""
    lines = [" ".join(line.split()) for line in summary.splitlines() if line.strip()]
    unchanged = lines == (article.summary or []) or (not lines and not article.summary)
    return ArticleEdit(title=None if title == article.title else title,
                       summary=None if unchanged else lines)


@router.post("/{article_id}", response_class=HTMLResponse)
def edit(article_id: int, request: Request, viewer: ViewerDep, title: FormText = "",
         summary: FormText = "", csrf_token: FormText = "") -> Response:
    """Save a title and summary (one sentence per line) before the article is sent."""
    check_form(request, csrf_token)
    require(viewer, Area.ARTICLES)
    db = request.app.state.db
    article = _load(db, article_id)
    try:
        edit_article(db, article.id, _changes(article, title, summary))
    except InputError as exc:
        field = "title" if "title" in str(exc) else "summary"
        return _detail(request, viewer, article, status=400,
                       errors={field: _sentence(str(exc))},
                       values={"title": title[:500], "summary": summary[:100_000]})
    return see_other(f"{PATH}/articles/{article.id}?saved=1")
