"""Text, Markdown, HTML, URLs and folders become validated, de-duplicated Article rows.

Builders (`from_text`, `from_html`, `from_url`, …) turn raw input into an `ArticleInput` and do
all the slow or failing work (fetching, extraction) before a transaction opens. `add_article`
then writes at most one row, so a bad input never leaves anything half-written behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefing.core import metrics
from briefing.core.errors import InputError
from briefing.core.models import Article
from briefing.ingest.boilerplate import strip_boilerplate
from briefing.ingest.extract import ExtractError, extract_html
from briefing.ingest.fetch import FetchPolicy, fetch
from briefing.text.language import known_language
from briefing.text.normalize import (
    clip,
    content_hash,
    decode_text,
    markdown_title,
    markdown_to_text,
    normalize_url,
    require_readable,
    split_headline,
    url_hash,
)
from briefing.text.rules import clean_tags

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")


@dataclass(frozen=True)
class ArticleInput:
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    feed_id: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddResult:
    article_id: int
    title: str
    created: bool
    reason: str | None = None  # why it is a duplicate: "same URL" or "same text"

    @property
    def duplicate_of(self) -> int | None:
        return None if self.created else self.article_id


def from_text(raw: str | bytes, *, title: str | None = None, source: str | None = None,
              markdown: bool = False, max_bytes: int | None = None) -> ArticleInput:
    text = _as_text(raw, max_bytes)
    if markdown:
        title = title or markdown_title(text)
        text = markdown_to_text(text)
    if title is None:
        title, text = split_headline(text)
    return ArticleInput(text=text, title=title, source=source)


def from_html(raw: str | bytes, *, url: str | None = None, title: str | None = None,
              max_bytes: int | None = None) -> ArticleInput:
    _check_size(raw, max_bytes)
    try:
        found = extract_html(raw, url)
    except ExtractError as exc:
        raise InputError(str(exc)) from None
    return ArticleInput(
        text=found.text, title=title or found.title, url=url,
        source=found.sitename or site_of(url), author=found.author,
        published_at=found.published_at, language=found.language,
    )


def from_url(url: str, policy: FetchPolicy, *, title: str | None = None) -> ArticleInput:
    """Fetch a page (FetchError propagates: the caller decides whether to retry)."""
    page = fetch(url, policy, accept=PAGE_TYPES)
    if page.content_type in ("text/plain", "text/markdown"):
        article = from_text(page.body, title=title, markdown=page.content_type == "text/markdown")
        return replace(article, url=page.url, source=site_of(page.url))
    return from_html(page.body, url=page.url, title=title)


def from_file(path: Path, *, max_bytes: int | None = None) -> ArticleInput:
    if path.stat().st_size > (max_bytes or 2**62):
        raise InputError(f"{path} is larger than the {max_bytes:,}-byte limit")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return from_html(data)
    return from_text(data, markdown=suffix in {".md", ".markdown"})


def seed_files(folder: Path) -> list[Path]:
    """Article files among the seeds (subscriber CSVs and READMEs are not articles)."""
    return [p for p in files_in(folder) if p.name.lower() != "readme.md"]


def files_in(folder: Path) -> list[Path]:
    """The article files in a folder tree, in a stable order."""
    suffixes = TEXT_SUFFIXES | HTML_SUFFIXES
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def prepare(article: ArticleInput) -> ArticleInput:
    """Strip site furniture, insist on real words, and fill a title when none was given."""
    text = require_readable(strip_boilerplate(article.text), what="article text")
    title = clip(article.title, 500) or _title_from(text)
    text = _without_leading_title(text, title)
    return replace(article, text=text, title=title, url=_clean_url(article.url),
                   source=clip(article.source, 200), author=clip(article.author, 300),
                   language=clip(article.language, 20))


def find_duplicate(session: Session, article: ArticleInput) -> AddResult | None:
    conditions = [Article.content_hash == content_hash(article.text)]
    if article.url:
        conditions.append(Article.url_hash == url_hash(article.url))
    row = session.execute(
        select(Article.id, Article.title, Article.url_hash).where(or_(*conditions)).limit(1)
    ).first()
    if row is None:
        return None
    same_url = article.url is not None and row.url_hash == url_hash(article.url)
    return AddResult(row.id, row.title, False, "same URL" if same_url else "same text")


def add_article(session: Session, article: ArticleInput) -> AddResult:
    """Insert unless the URL or the text is already stored; never stores a duplicate."""
    article = prepare(article)
    duplicate = find_duplicate(session, article)
    if duplicate:
        _add_tags(session, duplicate.article_id, article.tags)
        return duplicate
    # The language is known from the start when the text (or its declaration) says it; the
    # summary decides it for good, with the configured fallback (briefing/operations/jobs.py).
    language = known_language(article.text, declared=article.language)
    row = Article(
        title=article.title or "Untitled", url=article.url,
        url_hash=url_hash(article.url) if article.url else None,
        content_hash=content_hash(article.text), source=article.source,
        author=article.author, published_at=article.published_at,
        language=language and language.code, text=article.text, feed_id=article.feed_id,
        declared_language=article.language, language_source=language and language.source,
        tags=clean_tags(article.tags, strict=False),
    )
    try:
        with session.begin_nested():  # a concurrent insert of the same article loses cleanly
            session.add(row)
    except IntegrityError:
        raced = find_duplicate(session, article)
        if raced is None:
            raise
        return raced
    metrics.count(metrics.ARTICLES_INGESTED, via="feed" if article.feed_id else "direct")
    return AddResult(row.id, row.title, True)


def _add_tags(session: Session, article_id: int, tags: tuple[str, ...]) -> None:
    """Tags given again with an article already stored are added to it: the same article
    sent to a second list's tag should reach that list too."""
    if not tags:
        return
    row = session.get(Article, article_id)
    if row is not None:
        merged = clean_tags([*(row.tags or []), *tags], strict=False)
        if merged != list(row.tags or []):
            row.tags = merged


def iter_folder(folder: Path, *, max_bytes: int | None = None
                ) -> Iterator[tuple[Path, ArticleInput | InputError]]:
    """Each file with its article, or the error that file gave; one bad file stops nothing."""
    for path in files_in(folder):
        try:
            yield path, from_file(path, max_bytes=max_bytes)
        except InputError as exc:
            yield path, InputError(f"{path}: {exc}")


def _as_text(raw: str | bytes, max_bytes: int | None) -> str:
    _check_size(raw, max_bytes)
    return decode_text(raw) if isinstance(raw, bytes) else raw


def _check_size(raw: str | bytes, max_bytes: int | None) -> None:
    if max_bytes is None:
        return
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputError(f"input is {size:,} bytes; the limit is {max_bytes:,}")


def _clean_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL")
    if len(url) > 2048:
        raise InputError("URL is longer than 2,048 characters")
    return normalize_url(url)


def site_of(url: str | None) -> str | None:
    """The source to show for a page whose site has no name: its domain, never a port."""
    try:
        host = urlsplit(url).hostname if url else None
    except ValueError:  # a bracketed host that is no IPv6 address
        return None
    return host.removeprefix("www.") if host else None


def _without_leading_title(text: str, title: str) -> str:
    """Pages and Markdown repeat the headline (sometimes after a kicker) atop the body; a
    headline is not a sentence of the story, so keep it out of the text we summarize."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:3]):
        if line.strip().rstrip(".").casefold() == title.strip().rstrip(".").casefold():
            rest = "\n".join(lines[index + 1:]).strip()
            return rest if len(rest.split()) >= 3 else text
    return text


def _title_from(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0]
    return clip(first_line, 120) or "Untitled"
