"""What the stories stage takes in: one article as plain data, no ORM, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ArticleId", "StoryArticle"]

# Ids come from the caller (a database key, or whatever a JSON Lines file carries) and are
# handed back unchanged.
ArticleId = str | int


@dataclass(frozen=True)
class StoryArticle:
    """An article as grouping and story summaries see it.

    ``summary`` is the article's own summary (from the summarizer stage): a story of one
    article keeps it instead of being summarized again.  ``language`` names the language whose
    stemmer and stop words apply; detection is another stage's job.
    """

    id: ArticleId
    title: str
    text: str
    source: str | None = None
    published: datetime | None = None
    url: str | None = None
    summary: tuple[str, ...] | None = None
    language: str = "english"
