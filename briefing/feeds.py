"""RSS/Atom subscriptions: add, list, remove, and poll with conditional GET.

A poll stores new entries as articles (fetching the full page when the feed carries only a
teaser) and records the feed's validators only after its entries are stored, so a crash
mid-poll means the next poll sees the same entries again and de-duplication skips them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from briefing.clock import utcnow
from briefing.config import Settings
from briefing.db import Database
from briefing.feedparse import FeedEntry, FeedError, ParsedFeed, parse_feed
from briefing.fetch import FetchError, FetchPolicy, fetch
from briefing.ingest import ArticleInput, add_article, from_url
from briefing.models import Article, Feed
from briefing.textnorm import InputError, clip, normalize_url, url_hash

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/rdf+xml", "application/feed+json", "text/html", "text/plain")
# New entries taken per poll; the rest wait for the next poll (validators are not saved).
NEW_ENTRIES_PER_POLL = 100


class FeedExistsError(ValueError):
    def __init__(self, feed_id: int, url: str) -> None:
        super().__init__(f"feed {url} is already subscribed (feed {feed_id})")
        self.feed_id = feed_id


@dataclass
class PollOutcome:
    feed_id: int
    not_modified: bool = False
    new_article_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(connect_timeout=min(5.0, settings.fetch_timeout),
                       read_timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
                       allow_private=settings.allow_private_urls)


def add_feed(db: Database, url: str, settings: Settings) -> Feed:
    """Subscribe after checking that the URL really is a feed (FetchError/FeedError if not)."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{url!r} is not an http(s) URL")
    url = normalize_url(url)
    with db.session() as session:
        existing = session.scalar(select(Feed).where(Feed.url_hash == url_hash(url)))
        if existing:
            raise FeedExistsError(existing.id, existing.url)
    page = fetch(url, fetch_policy(settings), accept=FEED_TYPES)
    parsed = parse_feed(page.body, page.url)
    with db.session() as session:
        feed = Feed(url=url, url_hash=url_hash(url), title=clip(parsed.title, 500))
        session.add(feed)
        try:
            session.flush()
        except IntegrityError:
            raise FeedExistsError(0, url) from None
    return feed


def list_feeds(db: Database) -> list[Feed]:
    with db.session() as session:
        return list(session.scalars(select(Feed).order_by(Feed.id)))


def remove_feed(db: Database, feed_id: int) -> bool:
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return False
        session.delete(feed)
    return True


def due_feed_ids(db: Database, settings: Settings) -> list[int]:
    # A little slack so a feed polled just before the beat tick is not skipped a whole period.
    cutoff = utcnow() - timedelta(minutes=settings.feed_poll_minutes) + timedelta(seconds=30)
    with db.session() as session:
        return list(session.scalars(select(Feed.id).where(
            or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < cutoff))))


def poll_feed(db: Database, feed_id: int, settings: Settings) -> PollOutcome:
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return PollOutcome(feed_id)
        url, etag, modified = feed.url, feed.etag, feed.last_modified
    try:
        page = fetch(url, fetch_policy(settings), etag=etag, last_modified=modified,
                     accept=FEED_TYPES)
        parsed = None if page.not_modified else parse_feed(page.body, page.url)
    except (FetchError, FeedError) as exc:
        _record_poll(db, feed_id, error=str(exc))
        if isinstance(exc, FetchError):
            raise
        return PollOutcome(feed_id, errors=[str(exc)])
    if parsed is None:
        _record_poll(db, feed_id)
        return PollOutcome(feed_id, not_modified=True)
    outcome, complete = _store_entries(db, feed_id, parsed, settings)
    _record_poll(db, feed_id, etag=page.etag if complete else None,
                 last_modified=page.last_modified if complete else None, title=parsed.title)
    return outcome


def _store_entries(db: Database, feed_id: int, parsed: ParsedFeed, settings: Settings
                   ) -> tuple[PollOutcome, bool]:
    outcome = PollOutcome(feed_id)
    fresh = _unseen_entries(db, parsed.entries)
    for entry in fresh[:NEW_ENTRIES_PER_POLL]:
        try:
            article = _entry_article(entry, parsed, settings)
            with db.session() as session:
                result = add_article(session, replace(article, feed_id=feed_id))
        except (InputError, FetchError) as exc:
            outcome.errors.append(f"{entry.url}: {exc}")
            continue
        if result.created:
            outcome.new_article_ids.append(result.article_id)
        else:
            outcome.duplicates += 1
    return outcome, len(fresh) <= NEW_ENTRIES_PER_POLL


def _unseen_entries(db: Database, entries: tuple[FeedEntry, ...]) -> list[FeedEntry]:
    hashes = {url_hash(e.url): e for e in entries}
    with db.session() as session:
        seen = set(session.scalars(select(Article.url_hash).where(
            Article.url_hash.in_(list(hashes)))))
    return [entry for key, entry in hashes.items() if key not in seen]


def _entry_article(entry: FeedEntry, parsed: ParsedFeed, settings: Settings) -> ArticleInput:
    source = clip(parsed.title, 200)
    if entry.has_full_text and entry.text:
        return ArticleInput(text=entry.text, title=entry.title, url=entry.url, source=source,
                            published_at=entry.published_at, language=parsed.language)
    try:
        page = from_url(entry.url, fetch_policy(settings), title=entry.title)
    except (FetchError, InputError) as exc:
        if not entry.summary:
            raise
        log.info("using the feed's teaser for %s: %s", entry.url, exc)
        return ArticleInput(text=entry.summary, title=entry.title, url=entry.url,
                            source=source, published_at=entry.published_at,
                            language=parsed.language)
    return ArticleInput(text=page.text, title=entry.title or page.title, url=entry.url,
                        source=source or page.source, author=page.author,
                        published_at=entry.published_at or page.published_at,
                        language=page.language or parsed.language)


def _record_poll(db: Database, feed_id: int, *, error: str | None = None,
                 etag: str | None = None, last_modified: str | None = None,
                 title: str | None = None) -> None:
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return
        feed.last_polled_at = utcnow()
        feed.last_error = clip(error, 2000)
        feed.error_count = feed.error_count + 1 if error else 0
        if error is None:
            feed.etag, feed.last_modified = etag, last_modified
        if title:
            feed.title = clip(title, 500)
