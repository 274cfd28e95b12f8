"""RSS/Atom bytes → feed entries with plain text.

feedparser only ever gets the bytes we already downloaded through
:mod:`briefing.ingest.fetch` (wrapped in a file object, so it can never decide to
fetch a URL itself). It copes with broken ("bozo") feeds; we accept those as
long as they still yield entries.

Everything user-visible comes out as plain text: entry content and summaries
are HTML fragments in most feeds, so they go through a small stdlib HTML→text
converter (trafilatura is built for whole pages and would discard short
teasers as boilerplate).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from briefing.core.errors import InputError

__all__ = ["MAX_ENTRIES", "FeedEntry", "FeedError", "ParsedFeed", "parse_feed"]

# A feed with 10,000 entries gives a bounded result: the newest MAX_ENTRIES.
MAX_ENTRIES = 500

# Content at least this long is treated as the full article, not a teaser.
FULL_TEXT_MIN_WORDS = 150
FULL_TEXT_MIN_CHARS = 800


@dataclass(frozen=True)
class FeedEntry:
    url: str  # absolute http(s) URL
    title: str | None
    published_at: datetime | None  # tz-aware UTC
    text: str | None  # full content as plain text, if the feed carries it
    summary: str | None  # teaser as plain text
    guid: str | None
    categories: tuple[str, ...] = ()  # <category> / Atom category terms, as written

    @property
    def has_full_text(self) -> bool:
        return self.text is not None and _is_long(self.text)


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]  # newest first, at most MAX_ENTRIES
    language: str | None = None  # as declared: RSS <language>, Atom xml:lang


class FeedError(InputError):
    """The bytes are not a usable RSS/Atom feed. The message is user-facing."""


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse RSS/Atom ``body`` fetched from ``url``.

    Relative links are resolved against ``url``; entries without a usable
    link are dropped; duplicates (same URL) are kept once.
    """
    if not body.strip():
        raise FeedError(f"{url} is empty, not an RSS or Atom feed")
    if _looks_like_html_page(body):
        raise FeedError(f"{url} is a web page, not an RSS or Atom feed")
    parsed = _feedparser(body, url)
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url} is not an RSS or Atom feed")
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=_plain_title(feed.get("title")),
        link=_absolute_url(feed.get("link"), url),
        entries=_newest_entries(parsed.entries, url),
        language=_declared_language(feed.get("language")),
    )


def _declared_language(value: object) -> str | None:
    return (value.strip()[:20] or None) if isinstance(value, str) else None


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)


def _looks_like_html_page(body: bytes) -> bool:
    return _HTML_START.match(body[:4096]) is not None


def _feedparser(body: bytes, url: str) -> Any:
    try:
        # A file object (not bytes or str) guarantees feedparser reads rather
        # than fetches. We convert HTML to text ourselves, so its sanitiser and
        # URI rewriting inside content would only cost time.
        return feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser on hostile input can fail in many ways
        raise FeedError(f"{url} is not an RSS or Atom feed") from exc


def _newest_entries(raw_entries: list[Any], feed_url: str) -> tuple[FeedEntry, ...]:
    # Pick the newest before doing any HTML→text work, so a huge feed costs
    # one cheap pass plus MAX_ENTRIES conversions. Undated entries go last,
    # keeping feed order (feeds are usually newest-first anyway).
    dated = [(_entry_date(raw), index, raw) for index, raw in enumerate(raw_entries)]
    dated.sort(key=lambda item: (item[0] is not None, item[0] or _EPOCH, -item[1]), reverse=True)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for published_at, _index, raw in dated:
        entry = _entry(raw, feed_url, published_at)
        if entry is None or entry.url in seen:
            continue
        seen.add(entry.url)
        entries.append(entry)
        if len(entries) == MAX_ENTRIES:
            break
    return tuple(entries)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _entry(raw: Any, feed_url: str, published_at: datetime | None) -> FeedEntry | None:
    url = _absolute_url(_entry_link(raw), feed_url)
    if url is None:
        return None
    text = _content_text(raw)
    summary = _summary_text(raw)
    if summary is not None and summary == text:
        summary = None  # feedparser copies content into summary when there is no teaser
    if text is None and summary is not None and _is_long(summary):
        text = summary  # many RSS feeds put the whole article in <description>
    guid = raw.get("id")
    return FeedEntry(
        url=url,
        title=_plain_title(raw.get("title")),
        published_at=published_at,
        text=text,
        summary=summary,
        guid=(str(guid).strip() or None) if guid else None,
        categories=_categories(raw),
    )


def _categories(raw: Any) -> tuple[str, ...]:
    # feedparser gives RSS <category> and Atom <category term/label> as "tags"; the label
    # is what a person reads, the term what a machine wrote.
    found: list[str] = []
    for tag in raw.get("tags", None) or []:
        value = tag.get("label") or tag.get("term") if hasattr(tag, "get") else None
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return tuple(found[:50])


def _entry_link(raw: Any) -> str | None:
    link = raw.get("link")
    if link:
        return str(link)
    for candidate in raw.get("links", []):
        if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
            return str(candidate["href"])
    return None


def _absolute_url(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    absolute = urljoin(base, link.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None  # javascript:, mailto:, tag: URIs are not articles
    return absolute


def _entry_date(raw: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if isinstance(value, struct_time):
            try:
                # feedparser normalises parsed dates to UTC.
                return datetime(*value[:6], tzinfo=UTC)
            except (ValueError, OverflowError):
                continue
    return None


def _content_text(raw: Any) -> str | None:
    parts = [_detail_text(content) for content in raw.get("content", [])]
    text = "\n\n".join(part for part in parts if part)
    return text or None


def _summary_text(raw: Any) -> str | None:
    detail = raw.get("summary_detail")
    if detail is not None:
        return _detail_text(detail)
    summary = raw.get("summary")
    return (html_to_text(summary) or None) if summary else None


def _detail_text(detail: Any) -> str | None:
    value = detail.get("value")
    if not value:
        return None
    if detail.get("type") == "text/plain":
        return _normalise_plain(value)
    return html_to_text(value) or None


def _plain_title(value: str | None) -> str | None:
    if not value:
        return None
    # Titles are often entity-escaped HTML ("AT&amp;T <em>rises</em>").
    return " ".join(html_to_text(value).split()) or None


def _is_long(text: str) -> bool:
    return len(text) >= FULL_TEXT_MIN_CHARS or len(text.split()) >= FULL_TEXT_MIN_WORDS


def _normalise_plain(text: str) -> str | None:
    blocks = re.split(r"\n\s*\n", text)
    cleaned = (" ".join(block.split()) for block in blocks)
    result = "\n\n".join(block for block in cleaned if block)
    return result or None


# --------------------------------------------------------------------------
# HTML fragment → plain text
# --------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})


class _TextCollector(HTMLParser):
    """Collects text, turning block boundaries into paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = [[]]
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.blocks[-1].append(data)

    def _break(self) -> None:
        if self.blocks[-1]:
            self.blocks.append([])


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs separated by blank lines."""
    if "<" not in fragment and "&" not in fragment:
        return _normalise_plain(fragment) or ""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    paragraphs = (" ".join("".join(block).split()) for block in collector.blocks)
    return "\n\n".join(p for p in paragraphs if p)
