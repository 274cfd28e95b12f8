"""Turning raw bytes and Markdown into clean text, and the keys that make duplicates visible."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import idna

from briefing.core.errors import InputError
from briefing.text.readability import unreadable_reason

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRACKING_PARAM = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid)$", re.IGNORECASE)


def decode_text(data: bytes, *, what: str = "input") -> str:
    """Strict UTF-8 (a BOM is fine): guessing an encoding would store mojibake silently."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{what} looks like binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} is not valid UTF-8 (bad byte at offset {exc.start}); "
            "convert it to UTF-8 first") from None


def require_readable(text: str, *, what: str = "text") -> str:
    """Refuse text that is not prose (see :mod:`briefing.text.readability`): nothing to store,
    summarize or send.  Returns the text without control characters and outer space."""
    cleaned = _CONTROL.sub("", text).strip()
    if not cleaned:
        raise InputError(f"{what} is empty")
    reason = unreadable_reason(text)  # before cleaning: control characters mark binary data
    if reason is not None:
        raise InputError(f"{what} is not readable: {reason}")
    return cleaned


_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),
    (re.compile(r"^\s*[-*+]\s+", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.MULTILINE), ""),
)


def markdown_to_text(text: str) -> str:
    """Plain text from Markdown: good enough for summaries, which only need the sentences."""
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text


def markdown_title(text: str) -> str | None:
    match = re.search(r"^\s{0,3}#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def content_hash(text: str) -> str:
    """Same words, same hash: case, Unicode form, punctuation and spacing do not count."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = re.findall(r"\w+", folded)
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def normalize_url(url: str) -> str:
    """One spelling per page: lower-case host (IDNA names in their ASCII form, IPv6 in
    brackets, compressed), no user:password (it does not name the page, and an article's
    link goes out in every briefing), no fragment, no default port, no tracking parameters,
    sorted query. Normalizing a normalized URL changes nothing. InputError for a URL that
    cannot be read (a bad port, a broken IPv6 literal)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    netloc = _host(parts.netloc, parts.hostname)
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_PARAM.match(k)]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host(netloc: str, hostname: str | None) -> str:
    host = hostname or ""  # urlsplit lower-cases it and drops IPv6 brackets
    if netloc.rpartition("@")[2].startswith("["):
        return f"[{_ipv6(host)}]"  # the brackets are what keeps ":" from reading as a port
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host  # left for the fetcher to refuse; still one spelling


def _ipv6(host: str) -> str:
    try:
        return str(ipaddress.IPv6Address(host))  # compressed: one spelling per address
    except ValueError:
        return host  # IPvFuture or a zone urlsplit accepts; kept as it is


def url_hash(url: str) -> str:
    return hashlib.sha256(normalize_url(url).encode()).hexdigest()


def clip(value: str | None, limit: int) -> str | None:
    """Fit free text into a column: one line, at most `limit` characters."""
    if value is None:
        return None
    one_line = " ".join(value.split())
    if len(one_line) <= limit:
        return one_line or None
    return one_line[: limit - 1].rstrip() + "…"


def split_headline(text: str) -> tuple[str | None, str]:
    """A plain-text article often opens with its headline alone on a line: lift it out."""
    stripped = text.lstrip()
    first, sep, rest = stripped.partition("\n")
    first = first.strip()
    looks_like_headline = (
        sep and 3 <= len(first.split()) <= 25 and first[-1:] not in ".!?:;,\"'”"
        and rest.strip()
    )
    return (first, rest.strip()) if looks_like_headline else (None, text)
