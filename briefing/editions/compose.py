"""Composing an edition: pick the list's news, render it once, queue one delivery per reader.

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
    EditionStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.editions.render import RenderedEdition, article_view, render_edition
from briefing.editions.schedule import first_edition_window
from briefing.summarize.summarizer import SummaryError, summarize_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composition:
    since: datetime
    cutoff: datetime
    articles: list[Article]


def previous_cutoff(session: Session, edition: Edition) -> datetime | None:
    return session.scalar(select(func.max(Edition.cutoff)).where(
        Edition.list_id == edition.list_id, Edition.id != edition.id,
        Edition.edition_date < edition.edition_date,
        Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT, EditionStatus.EMPTY])))


def compose(session: Session, edition: Edition, mailing_list: MailingList,
            now: datetime) -> Composition:
    """Articles summarized since the previous edition's cutoff, newest first, capped."""
    since = previous_cutoff(session, edition) or now - first_edition_window()
    newest = func.coalesce(Article.published_at, Article.created_at)
    articles = list(session.scalars(
        select(Article).where(Article.status == ArticleStatus.SUMMARIZED,
                              Article.summarized_at > since, Article.summarized_at <= now)
        .order_by(newest.desc(), Article.id.desc()).limit(mailing_list.max_articles)))
    return Composition(since, now, articles)


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


def render_composition(settings: Settings, mailing_list: MailingList, edition: Edition,
                       composition: Composition) -> RenderedEdition:
    views = [article_view(a, summary_for(a, mailing_list.summary_sentences,
                                         settings.summary_language))
             for a in composition.articles]
    return render_edition(settings, mailing_list, edition.edition_date, views)


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
        session.expunge_all()
    if not composition.articles:
        return _mark_empty(db, edition, mailing_list, composition)
    rendered = render_composition(settings, mailing_list, edition, composition)
    return _queue(db, edition, composition, rendered, mailing_list.slug)


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


def _queue(db: Database, edition: Edition, composition: Composition,
           rendered: RenderedEdition, slug: str) -> EditionStatus:
    with db.session() as session:
        claimed = session.execute(update(Edition).where(
            Edition.id == edition.id, Edition.status == EditionStatus.BUILDING).values(
            status=EditionStatus.SENDING, since=composition.since, cutoff=composition.cutoff,
            article_ids=[a.id for a in composition.articles[:rendered.articles_shown]],
            subject=rendered.subject, html=rendered.html, text=rendered.text,
            updated_at=utcnow()).returning(Edition.id)).first()
        if claimed is None:  # another build got there first
            return EditionStatus.SENDING
        count = queue_deliveries(session, edition.id, edition.list_id)
    log.info("edition %d: %d articles, %d readers queued", edition.id,
             rendered.articles_shown, count)
    metrics.count(metrics.EDITIONS_BUILT, list=slug, status="sending")
    return EditionStatus.SENDING


def queue_deliveries(session: Session, edition_id: int, list_id: int) -> int:
    """One queued delivery per active reader, in a single INSERT … SELECT."""
    now = utcnow()
    readers = (
        select(literal(edition_id), Subscription.subscriber_id, Subscription.id,
               Subscriber.email, Subscriber.name, literal(DeliveryStatus.QUEUED.value),
               literal(0), literal(now), literal(now))
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscription.list_id == list_id,
               Subscription.status == SubscriptionStatus.ACTIVE))
    columns = [Delivery.edition_id, Delivery.subscriber_id, Delivery.subscription_id,
               Delivery.email, Delivery.name, Delivery.status, Delivery.attempts,
               Delivery.due_at, Delivery.created_at]
    session.execute(insert(Delivery).from_select(columns, readers))
    # Not the statement's rowcount: psycopg reports -1 for an INSERT … SELECT. The edition
    # was claimed in this transaction, so every delivery it has is one queued just now.
    return int(session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.edition_id == edition_id)) or 0)
