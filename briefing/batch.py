"""Batch summaries: JSON Lines in (`id`, `text`, optional `title`), JSON Lines out.

Streaming, one line at a time, so a file of any size runs in constant memory. A bad line
produces an output line with an `error` instead of stopping the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from briefing.summarize import SummaryError, summarize_text

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
                    ratio: float | None, language: str) -> Iterator[dict[str, Any]]:
    """One result per non-blank input line: `{"id", "summary"}` or `{"id", "error"}`."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id: Any = None
        try:
            item = _parse(line, number)
            item_id = item.get("id", number)
            title = item.get("title") if isinstance(item.get("title"), str) else None
            summary = summarize_text(item["text"], algorithm=algorithm, sentences=sentences,
                                     ratio=ratio, language=language, title=title)
        except SummaryError as exc:
            yield {"id": item_id if item_id is not None else number, "error": str(exc)}
            continue
        yield {"id": item_id, "summary": list(summary.sentences)}
