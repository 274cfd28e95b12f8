"""Batch summaries: JSON Lines in (`id`, `text`, optional `title` and `language`), JSON Lines
out (`id`, `summary`, `language`: the ISO 639-1 code it was summarized in).

An input row's `language` is a declaration, weighed against the text like a page's
`<html lang>`; the fallback is used when neither the text nor a declaration tells.

Streaming, one line at a time, so a file of any size runs in constant memory. A bad line
produces an output line with an `error` instead of stopping the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from briefing.summarize.summarizer import SummaryError, summarize_text

MAX_LINE_CHARS = 5_000_000


def _parse(line: str, number: int) -> dict[str, Any]:
    if len(line) > MAX_LINE_CHARS:
        raise SummaryError(f"line {number} is longer than {MAX_LINE_CHARS:,} characters")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SummaryError(f"line {number} is not valid JSON: {exc.msg}") from None
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise SummaryError(f"line {number} needs an object with a string 'text'")
    return item


def summarize_lines(lines: Iterable[str], *, algorithm: str, sentences: int | None,
                    ratio: float | None, fallback_language: str = "en",
                    language: str | None = None) -> Iterator[dict[str, Any]]:
    """One result per non-blank input line: `{"id", "summary", "language"}` or
    `{"id", "error"}`.  *language* forces one language for every row."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id: Any = None
        try:
            item = _parse(line, number)
            item_id = item.get("id", number)
            summary = summarize_text(item["text"], algorithm=algorithm, sentences=sentences,
                                     ratio=ratio, language=language,
                                     declared_language=_optional_str(item, "language"),
                                     fallback_language=fallback_language,
                                     title=_optional_str(item, "title"))
        except SummaryError as exc:
            yield {"id": item_id if item_id is not None else number, "error": str(exc)}
            continue
        yield {"id": item_id, "summary": list(summary.sentences), "language": summary.language}


def _optional_str(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None
