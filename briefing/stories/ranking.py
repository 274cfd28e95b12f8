"""What matters first: a list's stories in the order its edition shows them.

A story's score is

    score = coverage × freshness
    coverage  = Σ over the distinct outlets reporting it of the list's weight for the outlet
                (1 unless the list sets one; 0 mutes an outlet without dropping its articles)
    freshness = 2 ^ (−age / 24 h), age = now − the story's newest article

so an event five outlets report outranks one a single outlet reports, until it is a day older
than it; between equals the newer comes first, and full ties keep the order the stories are
given in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from briefing.stories.articles import StoryArticle

__all__ = ["HALF_LIFE_HOURS", "RankedStory", "outlet_of", "rank_stories"]

HALF_LIFE_HOURS = 24.0


@dataclass(frozen=True)
class RankedStory:
    story: int
    articles: tuple[StoryArticle, ...]  # one per outlet at most, the outlet's newest first
    outlets: int
    score: float
    update: bool  # sent before in this list; back because it has new articles


def outlet_of(article: StoryArticle) -> str:
    """Who published it: the source name folded, else the URL's host, else the article."""
    if article.source and article.source.strip():
        return " ".join(article.source.casefold().split())
    if article.url:
        host = urlsplit(article.url).hostname or ""
        return host.removeprefix("www.")
    return f"article:{article.id}"


def rank_stories(stories: Mapping[int, Sequence[StoryArticle]], *, now: datetime,
                 weights: Mapping[str, float] | None = None,
                 updates: frozenset[int] = frozenset(),
                 half_life_hours: float = HALF_LIFE_HOURS) -> list[RankedStory]:
    """Stories (id → its articles) best first; *weights* maps folded outlet names; a weekly
    edition passes a longer *half_life_hours*."""
    ranked = [_ranked(story, articles, now, weights or {}, story in updates, half_life_hours)
              for story, articles in stories.items() if articles]
    # A stable sort: equal scores and ages keep the caller's order (compose passes the
    # newest articles first), so an edition is the same however often it is built.
    ranked.sort(key=lambda r: (-r.score, -_newest(r.articles, now).timestamp()))
    return ranked


def _ranked(story: int, articles: Sequence[StoryArticle], now: datetime,
            weights: Mapping[str, float], update: bool, half_life_hours: float
            ) -> RankedStory:
    per_outlet: dict[str, StoryArticle] = {}
    for article in sorted(articles, key=lambda a: _when(a, now), reverse=True):
        per_outlet.setdefault(outlet_of(article), article)  # the outlet's newest article
    coverage = sum(weights.get(outlet, 1.0) for outlet in per_outlet)
    age_hours = max((now - _newest(articles, now)).total_seconds() / 3600.0, 0.0)
    freshness = 2.0 ** (-age_hours / half_life_hours)
    return RankedStory(story, tuple(per_outlet.values()), len(per_outlet),
                       coverage * freshness, update)


def _when(article: StoryArticle, now: datetime) -> datetime:
    return article.published or now


def _newest(articles: Sequence[StoryArticle], now: datetime) -> datetime:
    return max(_when(a, now) for a in articles)
