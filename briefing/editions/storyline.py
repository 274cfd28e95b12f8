"""Stories kept in the database: each summarized article placed in the story of its event.

Grouping (:mod:`briefing.stories.grouping`) is incremental: the recent articles are put back
in the stories they were stored with, then each article not placed yet joins one (or starts
its own), and only those new placements are written.  A placement, once stored, is not undone
by a later build, so an edition's "this story was sent" stays true of the same story.

Only the last :data:`WINDOW` of articles take part: past a week two articles are never one
event (``GroupingConfig.max_event_days``).  Two builds placing the same new article at once
both write a valid story; the last write wins and no article is in two stories.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.models import Article, ArticleStatus, Edition, EditionKind, EditionStatus, Story
from briefing.stories.articles import StoryArticle
from briefing.stories.grouping import DEFAULT_GROUPING, StoryIndex
from briefing.summarize.linguistics import SUMY_LANGUAGES

WINDOW = timedelta(days=DEFAULT_GROUPING.max_event_days)
# Grouping reads the title and the lead only; a few thousand characters hold the lead.
_LEAD_CHARS = 4000
# Editions looked back on for "was this story sent already?".
_SENT_LOOKBACK = timedelta(days=14)


def story_article(article: Article, *, text: str | None = None) -> StoryArticle:
    """The plain-data form grouping, ranking and story summaries take."""
    return StoryArticle(
        id=article.id, title=article.title, text=article.text if text is None else text,
        source=article.source, published=article.published_at or article.created_at,
        url=article.url, summary=tuple(article.summary) if article.summary else None,
        language=SUMY_LANGUAGES.get(article.language or "", article.language or "english"))


def place_new_articles(session: Session, now: datetime) -> int:
    """Give every recent summarized article without a story its story; returns how many."""
    rows = session.execute(
        select(Article.id, Article.title, func.substr(Article.text, 1, _LEAD_CHARS),
               Article.source, Article.published_at, Article.created_at, Article.url,
               Article.language, Article.story_id)
        .where(Article.status == ArticleStatus.SUMMARIZED, Article.summarized_at > now - WINDOW)
        .order_by(Article.summarized_at, Article.id)).all()
    if all(row.story_id is not None for row in rows):
        return 0
    index = StoryIndex()
    known = {row.story_id for row in rows if row.story_id is not None}
    unplaced: list[int] = []
    for row in sorted(rows, key=lambda r: r.story_id is None):  # the known ones first
        article = StoryArticle(
            id=row.id, title=row.title, text=row[2] or "", source=row.source,
            published=row.published_at or row.created_at, url=row.url,
            language=SUMY_LANGUAGES.get(row.language or "", "english"))
        index.add(article, story=row.story_id)
        if row.story_id is None:
            unplaced.append(row.id)
    _store_placements(session, index, unplaced, known)
    return len(unplaced)


def _store_placements(session: Session, index: StoryIndex, unplaced: Iterable[int],
                      known: set[int]) -> None:
    fresh: dict[int, int] = {}  # the index's id for a story it started -> the stored id
    for article_id in unplaced:
        story = index.story_of(article_id)
        if story not in known and story not in fresh:
            row = Story(created_at=utcnow())
            session.add(row)
            session.flush()
            fresh[story] = row.id
        session.execute(update(Article).where(Article.id == article_id, Article.story_id.is_(
            None)).values(story_id=fresh.get(story, story)))


def sent_story_ids(session: Session, list_id: int, before: datetime, edition_id: int | None,
                   kind: EditionKind = EditionKind.DAILY) -> frozenset[int]:
    """Stories this list's recent editions of the kind showed (not counting the edition being
    built): a weekly reader has not seen what the dailies showed, nor the other way round."""
    rows = session.scalars(select(Edition.story_ids).where(
        Edition.list_id == list_id, Edition.id != (edition_id or 0), Edition.kind == kind,
        Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT]),
        Edition.updated_at > before - _SENT_LOOKBACK))
    return frozenset(story for ids in rows for story in (ids or ()))
