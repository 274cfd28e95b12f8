"""Feed subscriptions and polling against a local web server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from briefing.core.config import Settings, load_settings
from briefing.core.db import Database
from briefing.core.models import Article, Feed
from briefing.ingest import feeds
from briefing.ingest.feedparse import MAX_ENTRIES, FeedError
from tests.support.databases import make_settings

PARAGRAPH = ("The regional rail operator said on Friday that it would add late-night services "
             "on three lines from January, after a year-long trial showed strong demand from "
             "shift workers and students. ")


def rss(items: list[str]) -> str:
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>Valley News</title>"
            "<link>http://example.org/</link>" + "".join(items) + "</channel></rss>")


def item(n: int, link: str, description: str = "Short teaser.") -> str:
    return (f"<item><title>Story {n}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>Mon, 2{n % 9} Nov 2026 08:00:00 GMT</pubDate>"
            f"<description>{description}</description></item>")


def page(n: int) -> str:
    body = "".join(f"<p>{PARAGRAPH} Story {n}, paragraph {i} adds detail {i * n}.</p>"
                   for i in range(6))
    return (f"<html><head><title>Story {n}</title></head>"
            f"<body><article>{body}</article></body></html>")


def articles(db: Database) -> list[Article]:
    with db.session() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def test_poll_stores_new_entries_with_full_text_and_then_sees_not_modified(
        web, db: Database, settings: Settings) -> None:
    for n in (1, 2):
        web.route(f"/story/{n}", page(n))
    web.route("/feed.xml", rss([item(1, web.url("/story/1")), item(2, web.url("/story/2"))]),
              content_type="application/rss+xml", etag='"v1"')
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)
    assert feed.title == "Valley News"

    first = feeds.poll_feed(db, feed.id, settings)
    assert len(first.new_article_ids) == 2 and not first.errors
    stored = articles(db)
    assert {a.title for a in stored} == {"Story 1", "Story 2"}
    assert all("late-night services" in a.text for a in stored)  # fetched, not the teaser
    assert all(a.feed_id == feed.id and a.source == "Valley News" for a in stored)

    second = feeds.poll_feed(db, feed.id, settings)
    assert second.not_modified and second.new_article_ids == []
    assert len(articles(db)) == 2


def test_a_feed_url_that_is_not_a_feed_is_refused(web, db: Database, settings: Settings) -> None:
    web.route("/not-a-feed", "<html><body><p>Hello</p></body></html>")
    try:
        feeds.add_feed(db, web.url("/not-a-feed"), settings)
    except FeedError as exc:
        assert "feed" in str(exc)
    else:
        raise AssertionError("an HTML page was accepted as a feed")
    with db.session() as session:
        assert session.scalar(select(func.count(Feed.id))) == 0


def test_a_broken_feed_is_recorded_on_the_feed_and_stores_nothing(
        web, db: Database, settings: Settings) -> None:
    web.route("/feed.xml", rss([]), content_type="application/rss+xml")
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)
    web.route("/feed.xml", b"\x00\x01 not xml at all", content_type="application/rss+xml")
    outcome = feeds.poll_feed(db, feed.id, settings)
    assert outcome.failed and articles(db) == []
    with db.session() as session:
        row = session.get(Feed, feed.id)
        assert row is not None and row.last_error and row.error_count == 1


def test_a_feed_with_ten_thousand_entries_gives_a_bounded_poll(
        web, db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "var", BRIEFING_FETCH_MAX_BYTES="40000000")
    full = PARAGRAPH * 6
    entries = [item(n, f"http://example.invalid/{n}", description=f"{full} Entry {n}.")
               for n in range(10_000)]
    web.route("/big.xml", rss(entries), content_type="application/rss+xml", etag='"big"')
    feed = feeds.add_feed(db, web.url("/big.xml"), settings)
    outcome = feeds.poll_feed(db, feed.id, settings)
    assert len(outcome.new_article_ids) == feeds.NEW_ENTRIES_PER_POLL
    # More were waiting, so the validators were not saved: the next poll takes the next batch.
    again = feeds.poll_feed(db, feed.id, settings)
    assert len(again.new_article_ids) == feeds.NEW_ENTRIES_PER_POLL
    assert len(articles(db)) == 2 * feeds.NEW_ENTRIES_PER_POLL <= MAX_ENTRIES


def test_the_same_feed_cannot_be_added_twice(web, db: Database, settings: Settings) -> None:
    web.route("/feed.xml", rss([]), content_type="application/rss+xml")
    feeds.add_feed(db, web.url("/feed.xml"), settings)
    try:
        feeds.add_feed(db, web.url("/feed.xml") + "#again", settings)
    except feeds.FeedExistsError as exc:
        assert "already" in str(exc)
    else:
        raise AssertionError("duplicate feed accepted")


def feed_row(db: Database, feed_id: int) -> Feed:
    with db.session() as session:
        row = session.get(Feed, feed_id)
        assert row is not None
        return row


def bare_item(n: int, link: str) -> str:
    """An entry with no teaser: its page must be fetched or it cannot be stored."""
    return f"<item><title>Story {n}</title><link>{link}</link><guid>{link}</guid></item>"


IPV6_STORY = "http://[2606:4700:4700::1111]/story"


def test_one_bad_entry_is_the_feeds_last_error_and_the_other_entries_are_stored(
        web, db: Database, settings: Settings) -> None:
    web.route("/story/1", page(1))
    full_text = PARAGRAPH * 8  # long enough to be the article itself: nothing to fetch
    web.route("/feed.xml", rss([
        item(1, web.url("/story/1")),
        item(2, IPV6_STORY, description=full_text),
        item(3, "http://example.com:99999/broken", description=full_text + " Third."),
    ]), content_type="application/rss+xml", etag='"v1"')
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)

    outcome = feeds.poll_feed(db, feed.id, settings)

    assert len(outcome.new_article_ids) == 2 and outcome.failed is None
    assert {a.url for a in articles(db)} == {web.url("/story/1"), IPV6_STORY}
    row = feed_row(db, feed.id)
    assert row.last_error is not None and row.error_count == 1
    assert "1 of 3 new entries not stored" in row.last_error
    assert "http://example.com:99999/broken" in row.last_error
    assert "not a valid URL" in row.last_error


@pytest.mark.timeout(60)
def test_an_entry_on_a_trickling_server_is_cut_off_at_the_fetch_timeout(
        web, db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_FETCH_TIMEOUT="1")
    web.route("/story/1", page(1))
    web.trickle("/slow-headers", part="headers")
    web.trickle("/slow-body", part="body")
    web.route("/feed.xml", rss([bare_item(1, web.url("/slow-headers")),
                                bare_item(2, web.url("/slow-body")),
                                item(3, web.url("/story/1"))]),
              content_type="application/rss+xml", etag='"v1"')
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)

    outcome = feeds.poll_feed(db, feed.id, settings)

    assert [a.title for a in articles(db)] == ["Story 3"]
    assert sorted(outcome.errors) == [
        f"{web.url(path)}: timed out: {web.url(path)} did not arrive within 1 s"
        for path in ("/slow-body", "/slow-headers")]
    row = feed_row(db, feed.id)
    assert row.last_error is not None and web.url("/slow-body") in row.last_error
    # Timing out may pass: no validators kept, so the next poll tries those entries again.
    assert row.etag is None


@pytest.mark.timeout(60)
def test_a_poll_leaves_entries_for_the_next_one_once_its_time_budget_is_spent(
        web, db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_FETCH_TIMEOUT="1")
    for n in range(3):
        web.trickle(f"/slow/{n}", part="body")
    web.route("/feed.xml", rss([bare_item(n, web.url(f"/slow/{n}")) for n in range(3)]),
              content_type="application/rss+xml", etag='"v1"')
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)

    # The first slow entry spends the half-second budget; nothing else is started.
    outcome = feeds.poll_feed(db, feed.id, settings, budget=0.5)

    assert outcome.deferred >= 2 and outcome.deferred + len(outcome.errors) == 3
    assert sum(web.hits(f"/slow/{n}") for n in range(3)) == 3 - outcome.deferred
    assert feed_row(db, feed.id).etag is None  # the next poll sees the deferred entries


def test_a_feed_that_cannot_be_fetched_is_recorded_and_returned_not_raised(
        web, db: Database, settings: Settings) -> None:
    web.route("/feed.xml", rss([]), content_type="application/rss+xml")
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)
    web.route("/feed.xml", "gone", status=404)
    outcome = feeds.poll_feed(db, feed.id, settings)
    assert outcome.failed is not None and "404" in outcome.failed
    assert feed_row(db, feed.id).last_error == outcome.failed


def test_an_entry_from_a_feed_without_a_title_names_its_domain_never_a_port(
        web, db: Database, settings: Settings) -> None:
    web.route("/story/1", page(1))
    web.route("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel>"
              + item(1, web.url("/story/1")) + "</channel></rss>",
              content_type="application/rss+xml")
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)
    feeds.poll_feed(db, feed.id, settings)
    assert [a.source for a in articles(db)] == ["127.0.0.1"]


def test_a_feed_that_keeps_failing_is_polled_less_often_until_it_works_again(
        web, db: Database, settings: Settings) -> None:
    """30-minute interval: after 3 failed polls in a row the feed waits 2 hours (30 → 30 →
    60 → 120 minutes); the first good poll puts it back on 30 minutes."""
    web.route("/feed.xml", rss([]), content_type="application/rss+xml")
    healthy = feeds.add_feed(db, web.url("/feed.xml"), settings)
    web.route("/dead.xml", rss([]), content_type="application/rss+xml")
    dead = feeds.add_feed(db, web.url("/dead.xml"), settings)
    web.route("/dead.xml", "gone", status=503)
    start = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            feeds.poll_feed(db, healthy.id, settings)
            feeds.poll_feed(db, dead.id, settings)
            clock.shift(timedelta(minutes=31))
        assert feed_row(db, dead.id).error_count == 3
        assert feeds.due_feed_ids(db, settings) == [healthy.id]  # dead waits 120 min
        clock.shift(timedelta(minutes=90))  # 121 minutes after its last poll
        assert feeds.due_feed_ids(db, settings) == [healthy.id, dead.id]
        web.route("/dead.xml", rss([]), content_type="application/rss+xml")
        feeds.poll_feed(db, dead.id, settings)
        assert feed_row(db, dead.id).error_count == 0
        clock.shift(timedelta(minutes=31))
        assert dead.id in feeds.due_feed_ids(db, settings)


def test_the_backoff_doubles_from_the_second_failure_and_stops_at_a_day() -> None:
    every_30 = make_settings_for_interval(30)
    assert [feeds.poll_interval(every_30, n).total_seconds() / 60 for n in range(5)] == [
        30, 30, 60, 120, 240]
    assert feeds.poll_interval(every_30, 50) == timedelta(days=1)
    assert feeds.poll_interval(make_settings_for_interval(2880), 5) == timedelta(days=2)


def make_settings_for_interval(minutes: int) -> Settings:
    return load_settings({"BRIEFING_FEED_POLL_MINUTES": str(minutes)})
