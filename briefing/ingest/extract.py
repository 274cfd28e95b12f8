"""HTML page → main article text plus metadata.

trafilatura does the boilerplate removal (navigation, ads, share buttons,
footers) and most metadata. It only ever sees a string we already hold, so it
never touches the network; we deliberately avoid its ``fetch_url`` helpers.

A few things are done here rather than trusting trafilatura alone:

* bytes are decoded with the same rules as :mod:`briefing.ingest.fetch`, so a page
  decodes identically wherever it came from;
* the publication time is read from the page's own machine-readable metadata
  first (``article:published_time``, JSON-LD ``datePublished``, ``<time>``),
  because trafilatura reduces dates to a day and we want the hour when known;
* the language comes from ``<html lang>`` and similar, because trafilatura
  only reports a language when asked to filter on one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import Document

from briefing.core.errors import InputError
from briefing.ingest.content import decode_body

__all__ = ["ExtractError", "Extracted", "extract_html"]

# Fewer words than this is a navigation stub or an error page, not an article.
MIN_WORDS = 5


@dataclass(frozen=True)
class Extracted:
    title: str | None
    author: str | None
    published_at: datetime | None  # tz-aware UTC
    text: str  # paragraphs separated by blank lines
    language: str | None  # primary subtag, e.g. "en"
    sitename: str | None


class ExtractError(InputError):
    """The input holds no article text we can use. The message is user-facing."""


def extract_html(html: str | bytes, url: str | None = None) -> Extracted:
    """Extract the main text and metadata of an article page.

    Raises :class:`ExtractError` for pages without article text and for
    input that is not HTML at all (binary files, empty strings).
    """
    markup = _to_text(html)
    tree = _parse(markup)
    doc = _run_trafilatura(markup, url)
    text = _paragraphs(doc.text if doc is not None else None)
    if len(text.split()) < MIN_WORDS:
        raise ExtractError("no article text found in the HTML")
    return Extracted(
        title=_clean(doc.title if doc else None) or _title_tag(tree),
        author=_clean(doc.author if doc else None),
        published_at=_published_at(tree) or _parse_datetime(doc.date if doc else None),
        text=text,
        language=_language(tree),
        sitename=_site_name(doc, url),
    )


# --------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------


def _to_text(html: str | bytes) -> str:
    if isinstance(html, bytes):
        if _looks_binary(html):
            raise ExtractError("the document is not HTML (it looks like a binary file)")
        html = decode_body(html)
    if "\x00" in html[:4096]:
        raise ExtractError("the document is not HTML (it looks like a binary file)")
    if not html.strip():
        raise ExtractError("no article text found in the HTML (the document is empty)")
    return html


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters near the start mean not text.

    UTF-16 pages (which contain NULs) announce themselves with a BOM.
    """
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) // 20


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    """Our own tree for metadata; trafilatura cleans its tree destructively."""
    try:
        return lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        return None


def _run_trafilatura(markup: str, url: str | None) -> Document | None:
    # Precision first: a slightly short summary beats one polluted by teasers.
    # Some short pages come back empty that way, so retry favouring recall.
    doc: Document | None = None
    for precision in (True, False):
        try:
            result = trafilatura.bare_extraction(
                markup,
                url=url,
                favor_precision=precision,
                favor_recall=not precision,
                include_comments=False,
                include_tables=False,
                include_images=False,
                include_links=False,
                with_metadata=True,
            )
        except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
            raise ExtractError("could not read the HTML") from exc
        doc = result if isinstance(result, Document) else None
        if doc is not None and doc.text and len(doc.text.split()) >= MIN_WORDS:
            return doc
    return doc


# --------------------------------------------------------------------------
# Text and simple fields
# --------------------------------------------------------------------------


def _paragraphs(text: str | None) -> str:
    """trafilatura puts one block per line; we want blank lines between paragraphs."""
    if not text:
        return ""
    blocks = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(block for block in blocks if block)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


_HOST_PREFIX = re.compile(r"^(?:www|w[0-9]+)\.")


def _site_name(doc: Document | None, url: str | None) -> str | None:
    """The name the page gives its site, or None when trafilatura only read it off the
    URL: that is a host, port and all ("127.0.0.1:47613"), and the caller knows better."""
    name = _clean(doc.sitename if doc else None)
    if name is None or url is None:
        return name
    try:
        netloc = urlsplit(url).netloc.rpartition("@")[2].lower()
    except ValueError:
        return name
    return None if name.lower() == _HOST_PREFIX.sub("", netloc) else name


def _title_tag(tree: lxml.html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    titles = tree.xpath("//title")
    return _clean(titles[0].text_content()) if titles else None


_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


def _language(tree: lxml.html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    candidates = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *tree.xpath(
            "//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')"
            "='content-language']/@content"
        ),
        *tree.xpath("//meta[@property='og:locale']/@content"),
    ]
    for candidate in candidates:
        match = _LANG.match(str(candidate or "").strip().split(",")[0].strip())
        if match:
            return match.group(1).lower()
    return None


# --------------------------------------------------------------------------
# Publication date
# --------------------------------------------------------------------------

# <meta> names/properties that carry a publication timestamp, most reliable first.
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "pubdate",
    "publishdate",
    "date",
)


def _published_at(tree: lxml.html.HtmlElement | None) -> datetime | None:
    if tree is None:
        return None
    for value in _date_candidates(tree):
        parsed = _parse_datetime(value)
        if parsed is not None:
            return parsed
    return None


def _date_candidates(tree: lxml.html.HtmlElement) -> list[str]:
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if key and content and key not in metas:
            metas[key] = content
    found = [metas[key] for key in _DATE_META if key in metas]
    found += _json_ld_dates(tree)
    found += [str(v) for v in tree.xpath("//*[@itemprop='datePublished']/@datetime")]
    found += [str(v) for v in tree.xpath("//article//time/@datetime | //time[@pubdate]/@datetime")]
    return found


def _json_ld_dates(tree: lxml.html.HtmlElement) -> list[str]:
    dates: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content())
        except ValueError:
            continue  # broken JSON-LD is common; other sources remain
        _collect_key(data, "datePublished", dates)
    return dates


def _collect_key(node: Any, key: str, out: list[str], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(node, dict):
        value = node.get(key)
        if isinstance(value, str):
            out.append(value)
        for child in node.values():
            _collect_key(child, key, out, depth + 1)
    elif isinstance(node, list):
        for child in node:
            _collect_key(child, key, out, depth + 1)


def _parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 → aware UTC datetime; naive values are taken as UTC."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
