"""JSON Lines rows in, :class:`StoryArticle` out, every bad line named.

The measuring interfaces (``briefing stories group|summarize FILE.jsonl``) read rows with
``id``, ``title``, ``text`` and optional ``source``, ``published`` (ISO 8601 date or date and
time; without a zone it is UTC), ``url``; summarizing also needs ``story`` and takes an optional
``summary`` (the article's own sentences, kept for a story of one article).  A file with bad
lines is refused as a whole, with one message per bad line (up to :data:`MAX_REPORTED`), so a
measurement never runs on part of its data without anyone noticing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from briefing.core.errors import InputError
from briefing.stories.articles import StoryArticle

__all__ = ["MAX_REPORTED", "StoryInputError", "StoryRow", "read_rows"]

MAX_REPORTED = 20


class StoryInputError(InputError):
    """Some input lines are unusable; ``problems`` holds one message per bad line."""

    def __init__(self, problems: list[str], bad_lines: int) -> None:
        more = bad_lines - len(problems)
        text = "\n".join(problems) + (f"\n... and {more} more bad lines" if more > 0 else "")
        super().__init__(text)
        self.problems = problems
        self.bad_lines = bad_lines


@dataclass(frozen=True)
class StoryRow:
    """One input line: the article, and the story it was labelled with (when asked for)."""

    line: int
    article: StoryArticle
    story: str | int | None


def read_rows(lines: Iterable[str], *, need_story: bool = False) -> list[StoryRow]:
    """Every non-blank line as a row; raises :class:`StoryInputError` if any line is bad."""
    rows: list[StoryRow] = []
    problems: list[str] = []
    bad = 0
    seen: dict[str | int, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = _row(number, line, need_story)
            if row.article.id in seen:
                raise ValueError(f"id {row.article.id!r} was already used on line "
                                 f"{seen[row.article.id]}")
            seen[row.article.id] = number
            rows.append(row)
        except ValueError as error:
            bad += 1
            if len(problems) < MAX_REPORTED:
                problems.append(f"line {number}: {error}")
    if bad:
        raise StoryInputError(problems, bad)
    return rows


def _row(number: int, line: str, need_story: bool) -> StoryRow:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg})") from None
    if not isinstance(item, dict):
        raise ValueError("expected a JSON object")
    article = StoryArticle(
        id=_id(item, "id"),
        title=_text(item, "title"),
        text=_text(item, "text"),
        source=_optional_text(item, "source"),
        published=_published(item),
        url=_optional_text(item, "url"),
        summary=_summary(item),
    )
    story = _id(item, "story") if need_story else None
    return StoryRow(number, article, story)


def _id(item: dict[str, Any], field: str) -> str | int:
    if field not in item:
        raise ValueError(f"missing field {field!r}")
    value = item[field]
    # bool is an int in Python, but true/false as an id is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{field!r} must be a string or an integer, not {_kind(value)}")
    return value


def _text(item: dict[str, Any], field: str) -> str:
    if field not in item:
        raise ValueError(f"missing field {field!r}")
    if not isinstance(item[field], str):
        raise ValueError(f"{field!r} must be a string, not {_kind(item[field])}")
    return str(item[field])


def _optional_text(item: dict[str, Any], field: str) -> str | None:
    return None if item.get(field) is None else _text(item, field)


def _published(item: dict[str, Any]) -> datetime | None:
    text = _optional_text(item, "published")
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'published' is not an ISO 8601 date: {text[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary(item: dict[str, Any]) -> tuple[str, ...] | None:
    value = item.get("summary")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError("'summary' must be a list of strings")
    return tuple(value)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null", float: "a number", int: "an integer"}.get(type(value), "?")
