"""RSS/Atom subscriptions: add, list, remove, and poll with conditional GET.

A poll stores new entries as articles (fetching the full page when the feed carries only a
teaser) and records the feed's validators only after its entries are stored, so a crash
mid-poll means the next poll sees the same entries again and de-duplication skips them.

One feed's or one entry's failure never stops the others: it becomes the feed's
`last_error` (naming the entry's URL and the reason) and the poll goes on. Each fetch has
its own deadline (BRIEFING_FETCH_TIMEOUT) and a poll a time budget for its entries' pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from briefing.core import metrics
from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import AlreadyExists, InputError
from briefing.core.models import Article, Feed
from briefing.ingest.adding import ArticleInput, add_article, from_url, site_of
from briefing.ingest.feedparse import FeedEntry, FeedError, ParsedFeed, parse_feed
from briefing.ingest.fetch import FetchError, FetchPolicy, fetch
from briefing.text.normalize import clip, normalize_url, url_hash
from briefing.text.rules import clean_tags

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/rdf+xml", "application/feed+json", "text/html", "text/plain")
# New entries taken per poll; the rest wait for the next poll (validators are not saved).
NEW_ENTRIES_PER_POLL = 100
# A poll stops starting entry fetches after this many fetch deadlines' worth of time.
POLL_BUDGET_FETCHES = 8


class FeedExistsError(AlreadyExists):
    def __init__(self, feed_id: int, url: str) -> None:
        super().__init__(f"feed {url} is already subscribed (feed {feed_id})")
        self.feed_id = feed_id


class NoSuchFeed(InputError):
    def __init__(self, feed_id: int) -> None:
        super().__init__(f"no feed {feed_id}")
        self.feed_id = feed_id


@dataclass
class PollOutcome:
    feed_id: int
    not_modified: bool = False
    new_article_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)  # entries not stored: "URL: reason"
    failed: str | None = None  # why the feed itself could not be polled
    deferred: int = 0  # new entries left for the next poll (per-poll cap or time budget)

    @property
    def last_error(self) -> str | None:
        """What the poll records on the feed: its own failure, else its entries'."""
        if self.failed or not self.errors:
            return self.failed
        stored = len(self.new_article_ids) + self.duplicates
        return (f"{len(self.errors)} of {len(self.errors) + stored} new entries not stored: "
                + "; ".join(self.errors))


def fetch_policy(settings: Settings) -> FetchPolicy:
    """BRIEFING_FETCH_TIMEOUT is the deadline for a whole fetch, not for one read."""
    return FetchPolicy(connect_timeout=min(5.0, settings.fetch_timeout),
                       read_timeout=settings.fetch_timeout,
                       total_timeout=settings.fetch_timeout,
                       max_bytes=settings.fetch_max_bytes,
                       allow_private=settings.allow_private_urls)


def poll_budget(settings: Settings) -> float:
    """Seconds one poll may spend fetching its entries' pages before leaving the rest for
    the next poll: a feed of slow links costs a bounded time, not one deadline per entry."""
    return POLL_BUDGET_FETCHES * settings.fetch_timeout


def add_feed(db: Database, url: str, settings: Settings, *, tags: Sequence[str] = ()) -> Feed:
    """Subscribe after checking that the URL really is a feed (FetchError/FeedError if not).
    Every article from the feed will carry *tags*."""
    tags = clean_tags(tags)
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
        feed = Feed(url=url, url_hash=url_hash(url), title=clip(parsed.title, 500), tags=tags)
        session.add(feed)
        try:
            session.flush()
        except IntegrityError:
            raise FeedExistsError(0, url) from None
    return feed


def tag_feed(db: Database, feed_id: int, tags: Sequence[str]) -> Feed:
    """Replace a feed's tags; articles stored from now on carry the new ones."""
    cleaned = clean_tags(tags)
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise NoSuchFeed(feed_id)
        feed.tags = cleaned
    return feed


def get_feed(db: Database, feed_id: int) -> Feed:
    with db.session() as session:
        feed = session.get(Feed, feed_id)
    if feed is None:
        raise NoSuchFeed(feed_id)
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


# A feed that keeps failing is asked less often: each failed poll in a row doubles its
# interval (the first failure costs nothing, a blip is not a pattern), up to once a day. One
# good poll puts it back on the normal interval. Dead feeds then cost a worker a few fetches a
# day instead of one every interval, and nothing is lost: the feed keeps being tried.
BACKOFF_CEILING = timedelta(days=1)
BACKOFF_MAX_DOUBLINGS = 10


def poll_interval(settings: Settings, failures_in_a_row: int) -> timedelta:
    doublings = min(max(failures_in_a_row - 1, 0), BACKOFF_MAX_DOUBLINGS)
    base = timedelta(minutes=settings.feed_poll_minutes)
    backed_off: timedelta = min(base * (1 << doublings), BACKOFF_CEILING)
    return max(base, backed_off)


def host_lanes(db: Database, feed_ids: Sequence[int], per_host: int) -> list[list[int]]:
    """The feeds split into lanes polled one after the other, at most *per_host* lanes per
    host, so a host is never asked for more than *per_host* feeds at once; feeds of
    different hosts never share a lane (a slow host delays only its own feeds)."""
    with db.session() as session:
        urls = {row[0]: row[1] for row in session.execute(
            select(Feed.id, Feed.url).where(Feed.id.in_(list(feed_ids))))}
    by_host: dict[str, list[int]] = {}
    for feed_id in feed_ids:
        if feed_id in urls:
            host = (urlsplit(urls[feed_id]).hostname or "").removeprefix("www.")
            by_host.setdefault(host, []).append(feed_id)
    lanes: list[list[int]] = []
    for ids in by_host.values():
        count = min(per_host, len(ids))
        lanes.extend(ids[lane::count] for lane in range(count))
    return lanes


def due_feed_ids(db: Database, settings: Settings) -> list[int]:
    now = utcnow()
    # A little slack so a feed polled just before the beat tick is not skipped a whole period.
    slack = timedelta(seconds=30)
    cutoff = now - timedelta(minutes=settings.feed_poll_minutes) + slack
    with db.session() as session:
        rows = session.execute(select(Feed.id, Feed.last_polled_at, Feed.error_count).where(
            or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < cutoff)).order_by(Feed.id))
        return [feed_id for feed_id, polled, failures in rows
                if polled is None or polled + poll_interval(settings, failures) - slack <= now]


def poll_feed(db: Database, feed_id: int, settings: Settings, *,
              budget: float | None = None) -> PollOutcome:
    """Poll one feed; whatever goes wrong with it or its entries is recorded on the feed
    (`last_error`) and returned, never raised, so the next feed is polled all the same.
    NoSuchFeed for an unknown id; database errors propagate (the caller retries)."""
    feed = get_feed(db, feed_id)
    try:
        outcome = _poll(db, feed, settings, poll_budget(settings) if budget is None else budget)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # a bug meeting hostile input must not stop the other feeds
        log.exception("feed %d: polling failed", feed_id)
        outcome = PollOutcome(feed_id, failed=f"polling failed ({type(exc).__name__}: {exc})")
        _record_poll(db, feed_id, error=outcome.failed)
    metrics.count(metrics.FEED_POLLS)
    metrics.count(metrics.FEED_POLL_ERRORS, 1 if outcome.failed else 0)
    return outcome


def _poll(db: Database, feed: Feed, settings: Settings, budget: float) -> PollOutcome:
    try:
        page = fetch(feed.url, fetch_policy(settings), etag=feed.etag,
                     last_modified=feed.last_modified, accept=FEED_TYPES)
        parsed = None if page.not_modified else parse_feed(page.body, page.url)
    except (FetchError, FeedError) as exc:
        _record_poll(db, feed.id, error=str(exc))
        return PollOutcome(feed.id, failed=str(exc))
    if parsed is None:
        _record_poll(db, feed.id)
        return PollOutcome(feed.id, not_modified=True)
    outcome, complete = _store_entries(db, feed, parsed, settings, budget)
    # Validators are saved only once every entry had its chance (else cleared), so a
    # conditional GET never hides entries deferred or failed for a reason that may pass.
    validators = (page.etag, page.last_modified) if complete else (None, None)
    _record_poll(db, feed.id, error=outcome.last_error, validators=validators,
                 title=parsed.title)
    return outcome


def _store_entries(db: Database, feed: Feed, parsed: ParsedFeed, settings: Settings,
                   budget: float) -> tuple[PollOutcome, bool]:
    feed_id = feed.id
    outcome = PollOutcome(feed_id)
    fresh = _unseen_entries(db, parsed.entries, outcome.errors)
    taken = fresh[:NEW_ENTRIES_PER_POLL]
    retry_later = False
    spend_until = time.monotonic() + budget
    for index, entry in enumerate(taken):
        if time.monotonic() >= spend_until:
            outcome.deferred = len(taken) - index
            log.info("feed %d: %d entries left for the next poll (%g s budget spent)",
                     feed_id, outcome.deferred, budget)
            break
        retry_later |= _store_entry(db, feed, entry, parsed, settings, outcome)
    outcome.deferred += len(fresh) - len(taken)
    return outcome, not (outcome.deferred or retry_later)


def _store_entry(db: Database, feed: Feed, entry: FeedEntry, parsed: ParsedFeed,
                 settings: Settings, outcome: PollOutcome) -> bool:
    """Store one entry into `outcome`; True when it failed in a way that may pass."""
    feed_id = feed.id
    try:
        article = _entry_article(entry, parsed, settings)
        # The feed's own tags first: those are the operator's choice and survive the cap.
        tags = (*(feed.tags or ()), *entry.categories)
        with db.session() as session:
            result = add_article(session, replace(article, feed_id=feed_id, tags=tags))
    except SQLAlchemyError:
        raise
    except Exception as exc:  # one entry's trouble (or a parser's bug) stops no other entry
        if not isinstance(exc, InputError | FetchError):
            log.exception("feed %d: entry %s failed", feed_id, entry.url)
        outcome.errors.append(f"{entry.url}: {exc}")
        return isinstance(exc, FetchError) and exc.transient
    if result.created:
        outcome.new_article_ids.append(result.article_id)
    else:
        outcome.duplicates += 1
    return False


def _unseen_entries(db: Database, entries: tuple[FeedEntry, ...], errors: list[str]
                    ) -> list[FeedEntry]:
    """Entries whose URL is not stored yet; one whose URL cannot be read goes to `errors`."""
    hashes: dict[str, FeedEntry] = {}
    for entry in entries:
        try:
            hashes[url_hash(entry.url)] = entry
        except InputError as exc:
            errors.append(f"{entry.url}: {exc}")
    with db.session() as session:
        seen = set(session.scalars(select(Article.url_hash).where(
            Article.url_hash.in_(list(hashes)))))
    return [entry for key, entry in hashes.items() if key not in seen]


def _entry_article(entry: FeedEntry, parsed: ParsedFeed, settings: Settings) -> ArticleInput:
    # A feed names its site: its title is the source, else the entry's domain (no port).
    feed_source = clip(parsed.title, 200)
    source = feed_source or site_of(entry.url)
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
                        source=feed_source or page.source, author=page.author,
                        published_at=entry.published_at or page.published_at,
                        language=page.language or parsed.language)


def _record_poll(db: Database, feed_id: int, *, error: str | None = None,
                 validators: tuple[str | None, str | None] | None = None,
                 title: str | None = None) -> None:
    """Stamp a poll on the feed; `validators` (ETag, Last-Modified) None leaves them."""
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return
        feed.last_polled_at = utcnow()
        feed.last_error = clip(error, 2000)
        feed.error_count = feed.error_count + 1 if error else 0  # polls in a row with errors
        if validators is not None:
            feed.etag, feed.last_modified = validators
        if title:
            feed.title = clip(title, 500)
