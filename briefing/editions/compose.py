"""Composing an edition: pick the list's stories, render once, queue one delivery per reader.

Building is idempotent: the edition moves from `building` to `sending` with a conditional
UPDATE in the same transaction that inserts its deliveries, and the deliveries' unique
(edition, subscriber) pair means a second build — a retry, a second worker — adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from briefing.core import logs, metrics
from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionKind,
    EditionStatus,
    Frequency,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.editions.reader_time import set_due_times
from briefing.editions.render import RenderedEdition, StoryView, render_edition, story_view
from briefing.editions.schedule import first_edition_window
from briefing.editions.storyline import place_new_articles, sent_story_ids, story_article
from briefing.editions.variants import Variant, plan_variants, store_variants, stored_choices
from briefing.editions.weekly import (
    WEEKLY_HALF_LIFE_HOURS,
    set_weekly_due_times,
    weekly_window,
)
from briefing.stories.articles import StoryArticle
from briefing.stories.ranking import HALF_LIFE_HOURS, RankedStory, rank_stories
from briefing.stories.summary import headline_index, summarize_story
from briefing.subscribers.frequency import wanted_by
from briefing.subscribers.list_rules import rules_of, weights_of
from briefing.subscribers.topics import list_topics
from briefing.summarize.summarizer import SummaryError, summarize_text

log = logging.getLogger(__name__)


# Articles a list looks at for one edition, newest first: more than any day brings.
MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class Composition:
    since: datetime
    cutoff: datetime
    stories: list[RankedStory]     # the edition's stories, best first, capped
    found: int                     # stories before the cap
    by_id: dict[int, Article]
    ranked: list[RankedStory]      # every story found, best first (a topic's pick)

    @property
    def articles(self) -> list[Article]:
        """Every article the shown stories hold, in story order."""
        return [self.by_id[int(a.id)] for story in self.stories for a in story.articles]


def previous_cutoff(session: Session, edition: Edition) -> datetime | None:
    return session.scalar(select(func.max(Edition.cutoff)).where(
        Edition.list_id == edition.list_id, Edition.id != edition.id,
        Edition.kind == edition.kind,
        Edition.edition_date < edition.edition_date,
        Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT, EditionStatus.EMPTY])))


def compose(session: Session, edition: Edition, mailing_list: MailingList,
            now: datetime) -> Composition:
    """The list's stories since the previous edition's cutoff: its articles (by its rules)
    summarized since then, one story per event, ranked, capped at the list's size."""
    weekly = edition.kind == EditionKind.WEEKLY
    previous = previous_cutoff(session, edition)
    since = (weekly_window(previous, now) if weekly
             else previous or now - first_edition_window())
    place_new_articles(session, now)
    chosen = selected_articles(session, mailing_list, since, now)
    stories: dict[int, list[StoryArticle]] = {}
    for article in chosen:
        # An article grouping has not placed (summarized after `now`) is a story of its own.
        key = article.story_id if article.story_id is not None else -article.id
        stories.setdefault(key, []).append(story_article(article))
    sent = sent_story_ids(session, mailing_list.id, now, edition.id, edition.kind)
    ranked = rank_stories(stories, now=now, weights=weights_of(mailing_list),
                          updates=sent & frozenset(stories),
                          half_life_hours=WEEKLY_HALF_LIFE_HOURS if weekly else HALF_LIFE_HOURS)
    return Composition(since, now, ranked[:mailing_list.max_articles], len(ranked),
                       {a.id: a for a in chosen}, ranked)


def selected_articles(session: Session, mailing_list: MailingList, since: datetime,
                      now: datetime) -> list[Article]:
    """Articles summarized in (since, now] that the list's rules take, newest first."""
    newest = func.coalesce(Article.published_at, Article.created_at)
    query = select(Article).where(Article.status == ArticleStatus.SUMMARIZED,
                                  Article.summarized_at > since, Article.summarized_at <= now)
    rules = rules_of(mailing_list)
    if rules.feed_ids and not rules.tags:  # the one rule SQL can apply cheaply
        query = query.where(Article.feed_id.in_(sorted(rules.feed_ids)))
    rows = session.scalars(query.order_by(newest.desc(), Article.id.desc())
                           .limit(MAX_CANDIDATES))
    return [a for a in rows if rules.matches(title=a.title, text=a.text, feed_id=a.feed_id,
                                             tags=a.tags or (), language=a.language)]


def summary_for(article: Article, sentences: int, language: str) -> list[str]:
    """The stored summary, or a fresh one when the list wants another length (never in
    place of a summary corrected by hand)."""
    stored = list(article.summary or [])
    if article.summary_edited_at is not None:
        return stored
    if len(stored) == sentences or (len(stored) < sentences and article.summary_params
                                    and article.summary_params.get("sentences", 0) >= sentences):
        return stored
    try:
        return list(summarize_text(article.text, sentences=sentences, language=article.language,
                                   declared_language=article.declared_language,
                                   fallback_language=language, title=article.title).sentences)
    except SummaryError:
        return stored


class StoryViews:
    """Each story's view (its summary above all) made once per build, however many of the
    edition's renderings show it."""

    def __init__(self, settings: Settings, mailing_list: MailingList,
                 composition: Composition) -> None:
        self.settings, self.mailing_list, self.composition = settings, mailing_list, composition
        self._made: dict[int, StoryView] = {}

    def of(self, story: RankedStory) -> StoryView:
        key = story.story if story.story > 0 else -int(story.articles[0].id)
        if key not in self._made:
            self._made[key] = _story_view(self.settings, self.mailing_list, self.composition,
                                          story)
        return self._made[key]


def render_composition(settings: Settings, mailing_list: MailingList, edition: Edition,
                       composition: Composition, stories: list[RankedStory] | None = None,
                       views: StoryViews | None = None) -> RenderedEdition:
    """The edition's copy with *stories* (default: all it shows), rendered once."""
    views = views or StoryViews(settings, mailing_list, composition)
    shown = composition.stories if stories is None else stories
    metrics.count(metrics.EDITION_RENDERS, list=mailing_list.slug, kind=edition.kind.value)
    return render_edition(settings, mailing_list, edition.edition_date,
                          [views.of(story) for story in shown],
                          weekly=edition.kind == EditionKind.WEEKLY)


def _story_view(settings: Settings, mailing_list: MailingList, composition: Composition,
                story: RankedStory) -> StoryView:
    articles = [composition.by_id[int(a.id)] for a in story.articles]
    sentences = mailing_list.summary_sentences
    if len(articles) == 1:
        summary = summary_for(articles[0], sentences, settings.summary_language)
        return story_view(articles, summary, update=story.update)
    full = [story_article(a) for a in articles]
    lead = articles[headline_index(full)]
    summary = list(summarize_story(full, sentences).sentences)
    ordered = [lead, *(a for a in articles if a is not lead)]
    return story_view(ordered, summary, update=story.update)


def build_edition(db: Database, edition_id: int, settings: Settings) -> EditionStatus | None:
    """Gather, render and queue an edition; returns its status afterwards (None: missing)."""
    with logs.context(edition_id=edition_id):
        return _build(db, edition_id, settings)


def _build(db: Database, edition_id: int, settings: Settings) -> EditionStatus | None:
    now = utcnow()
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        if edition is None:
            return None
        if edition.status != EditionStatus.BUILDING:
            return edition.status
        mailing_list = session.get(MailingList, edition.list_id)
        assert mailing_list is not None
        composition = compose(session, edition, mailing_list, now)
        choices = stored_choices(session, mailing_list.id, wanting(edition))
        session.expunge_all()
    if not composition.articles:
        return _mark_empty(db, edition, mailing_list, composition)
    views = StoryViews(settings, mailing_list, composition)
    rendered = render_composition(settings, mailing_list, edition, composition, views=views)
    variants = [(variant, render_composition(settings, mailing_list, edition, composition,
                                             variant.stories, views)
                 if variant.stories else None)
                for variant in plan_variants(choices, list_topics(mailing_list),
                                             composition.ranked, composition.by_id,
                                             mailing_list.max_articles)]
    return _queue(db, edition, mailing_list, composition, rendered, variants)


def _mark_empty(db: Database, edition: Edition, mailing_list: MailingList,
                composition: Composition) -> EditionStatus:
    note = f"no new articles since {composition.since:%Y-%m-%d %H:%M} UTC; nothing sent"
    with db.session() as session:
        marked = session.execute(update(Edition).where(
            Edition.id == edition.id, Edition.status == EditionStatus.BUILDING).values(
            status=EditionStatus.EMPTY, since=composition.since, cutoff=composition.cutoff,
            note=note, updated_at=utcnow()).returning(Edition.id)).first()
    log.info("list %s, %s: %s", mailing_list.slug, edition.edition_date, note)
    metrics.count(metrics.EDITIONS_BUILT, 1 if marked else 0, list=mailing_list.slug,
                  status="empty")
    return EditionStatus.EMPTY


def _queue(db: Database, edition: Edition, mailing_list: MailingList,
           composition: Composition, rendered: RenderedEdition,
           variants: list[tuple[Variant, RenderedEdition | None]]) -> EditionStatus:
    slug = mailing_list.slug
    with db.session() as session:
        claimed = session.execute(update(Edition).where(
            Edition.id == edition.id, Edition.status == EditionStatus.BUILDING).values(
            status=EditionStatus.SENDING, since=composition.since, cutoff=composition.cutoff,
            article_ids=[int(a.id) for story in composition.stories[:rendered.articles_shown]
                         for a in story.articles],
            story_ids=[story.story for story in composition.stories[:rendered.articles_shown]
                       if story.story > 0],
            subject=rendered.subject, html=rendered.html, text=rendered.text,
            updated_at=utcnow()).returning(Edition.id)).first()
        if claimed is None:  # another build got there first
            return EditionStatus.SENDING
        count = queue_deliveries(session, edition)
        # In the same transaction: no copy goes out early, or with the wrong stories.
        if edition.kind == EditionKind.WEEKLY:
            set_weekly_due_times(session, edition.id, mailing_list, edition.edition_date)
        elif mailing_list.reader_time:
            set_due_times(session, edition.id, mailing_list, edition.edition_date)
        store_variants(session, edition.id, edition.list_id, variants)
    log.info("edition %d: %d stories, %d readers queued, %d topic renderings", edition.id,
             rendered.articles_shown, count, len(variants))
    metrics.count(metrics.EDITIONS_BUILT, list=slug, status="sending")
    return EditionStatus.SENDING


def wanting(edition: Edition) -> list[Frequency]:
    return wanted_by(edition.kind, edition.edition_date)


def queue_deliveries(session: Session, edition: Edition) -> int:
    """One queued delivery per active reader who wants the edition, in a single
    INSERT … SELECT."""
    edition_id, list_id = edition.id, edition.list_id
    now = utcnow()
    readers = (
        select(literal(edition_id), Subscription.subscriber_id, Subscription.id,
               Subscriber.email, Subscriber.name, literal(DeliveryStatus.QUEUED.value),
               literal(0), literal(now), literal(now))
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscription.list_id == list_id,
               Subscription.status == SubscriptionStatus.ACTIVE,
               Subscription.frequency.in_(wanting(edition))))
    columns = [Delivery.edition_id, Delivery.subscriber_id, Delivery.subscription_id,
               Delivery.email, Delivery.name, Delivery.status, Delivery.attempts,
               Delivery.due_at, Delivery.created_at]
    session.execute(insert(Delivery).from_select(columns, readers))
    # Not the statement's rowcount: psycopg reports -1 for an INSERT … SELECT. The edition
    # was claimed in this transaction, so every delivery it has is one queued just now.
    return int(session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.edition_id == edition_id)) or 0)
