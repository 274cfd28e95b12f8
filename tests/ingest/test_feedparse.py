"""Tests for briefing.ingest.feedparse (pure parsing) plus one fetch→parse round trip."""

from __future__ import annotations

import contextlib
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.ingest.feedparse import MAX_ENTRIES, FeedError, ParsedFeed, html_to_text, parse_feed
from briefing.ingest.fetch import FetchPolicy, fetch
from tests.support.web import WebServer

FEED_URL = "https://news.example.org/feeds/main.xml"

LONG_BODY = "".join(
    f"<p>Paragraph {i}: the committee heard evidence from engineers, residents and the "
    f"operator about the state of the line and what repairs would cost over ten years.</p>"
    for i in range(8)
)

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example News</title>
  <link>/</link>
  <description>All the news</description>
  <item>
    <title>Rail line to reopen</title>
    <link>https://news.example.org/2024/rail-line</link>
    <guid isPermaLink="false">rail-123</guid>
    <pubDate>Tue, 02 Jan 2024 10:00:00 +0200</pubDate>
    <description>&lt;p&gt;The &lt;b&gt;rail&lt;/b&gt; line will reopen.&lt;/p&gt;</description>
    <content:encoded><![CDATA[{LONG_BODY}<script>alert('x')</script>]]></content:encoded>
  </item>
  <item>
    <title>Teaser only &amp; short</title>
    <link>/2024/teaser</link>
    <pubDate>Wed, 03 Jan 2024 08:00:00 GMT</pubDate>
    <description>&lt;p&gt;Read more on our site.&lt;/p&gt;</description>
  </item>
  <item>
    <title>No link here</title>
    <guid isPermaLink="false">orphan</guid>
    <description>Nothing to click.</description>
  </item>
  <item>
    <title>Script link</title>
    <link>javascript:alert(1)</link>
  </item>
</channel>
</rss>
""".encode()

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Atom &amp;amp; Co</title>
  <link rel="alternate" href="https://atom.example.com/"/>
  <link rel="self" href="https://atom.example.com/feed"/>
  <id>urn:uuid:feed</id>
  <updated>2024-02-01T12:00:00Z</updated>
  <entry>
    <title>Full article</title>
    <link rel="alternate" href="posts/full"/>
    <id>urn:uuid:1</id>
    <published>2024-02-01T09:15:00-05:00</published>
    <summary>Short teaser.</summary>
    <content type="html">{LONG_BODY.replace("<", "&lt;").replace(">", "&gt;")}</content>
  </entry>
  <entry>
    <title>Summary only</title>
    <link rel="alternate" href="https://atom.example.com/posts/summary"/>
    <id>urn:uuid:2</id>
    <updated>2024-01-15T00:00:00Z</updated>
    <summary type="text">Just a line of text.</summary>
  </entry>
</feed>
""".encode()


@pytest.fixture(scope="module")
def rss() -> ParsedFeed:
    return parse_feed(RSS, FEED_URL)


def test_rss_feed_metadata(rss: ParsedFeed) -> None:
    assert rss.title == "Example News"
    assert rss.link == "https://news.example.org/"


def test_rss_entries_newest_first_and_linkless_dropped(rss: ParsedFeed) -> None:
    assert [e.title for e in rss.entries] == ["Teaser only & short", "Rail line to reopen"]


def test_rss_entry_fields(rss: ParsedFeed) -> None:
    entry = rss.entries[1]
    assert entry.url == "https://news.example.org/2024/rail-line"
    assert entry.guid == "rail-123"
    assert entry.published_at == datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
    assert entry.summary == "The rail line will reopen."
    assert entry.text is not None
    assert entry.text.startswith("Paragraph 0: the committee heard evidence")
    assert "alert" not in entry.text
    assert "<p>" not in entry.text
    assert entry.text.count("\n\n") == 7  # one blank line between each of 8 paragraphs
    assert entry.has_full_text


def test_relative_links_resolved_against_feed_url(rss: ParsedFeed) -> None:
    assert rss.entries[0].url == "https://news.example.org/2024/teaser"


def test_teaser_only_entry_has_no_full_text(rss: ParsedFeed) -> None:
    teaser = rss.entries[0]
    assert teaser.text is None
    assert teaser.summary == "Read more on our site."
    assert not teaser.has_full_text


def test_atom_feed() -> None:
    feed = parse_feed(ATOM, "https://atom.example.com/feed")
    assert feed.title == "Atom & Co"
    assert feed.link == "https://atom.example.com/"
    full, summary_only = feed.entries
    assert full.url == "https://atom.example.com/posts/full"
    assert full.guid == "urn:uuid:1"
    assert full.published_at == datetime(2024, 2, 1, 14, 15, tzinfo=UTC)
    assert full.summary == "Short teaser."
    assert full.has_full_text
    assert summary_only.published_at == datetime(2024, 1, 15, tzinfo=UTC)
    assert summary_only.summary == "Just a line of text."
    assert summary_only.text is None
    assert not summary_only.has_full_text


def test_long_description_counts_as_full_text() -> None:
    escaped = LONG_BODY.replace("<", "&lt;").replace(">", "&gt;")
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>Whole story</title><link>https://x.example/s</link>"
        f"<description>{escaped}</description></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed(body, "https://x.example/feed").entries
    assert entry.has_full_text
    assert entry.text == entry.summary


def test_content_without_teaser_is_not_duplicated_as_summary() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" '
        b'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        b"<item><title>A</title><link>https://x.example/a</link>"
        b"<content:encoded><![CDATA[<p>Body only.</p>]]></content:encoded></item>"
        b"</channel></rss>"
    )
    (entry,) = parse_feed(body, "https://x.example/feed").entries
    assert entry.text == "Body only."
    assert entry.summary is None


def _big_feed(count: int) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    # Entries in scrambled order, so "newest" cannot mean "first in the file".
    order = [(i * 7919) % count for i in range(count)]
    items = "".join(
        f"<item><title>Story {i}</title><link>https://big.example/{i}</link>"
        f"<guid>big-{i}</guid>"
        f"<pubDate>{(start + timedelta(hours=i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        f"<description>&lt;p&gt;Teaser {i}&lt;/p&gt;</description></item>"
        for i in order
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}'
        "</channel></rss>"
    ).encode()


def test_huge_feed_is_bounded_to_newest_entries() -> None:
    count = 10_000
    feed = parse_feed(_big_feed(count), "https://big.example/feed")
    assert len(feed.entries) == MAX_ENTRIES
    expected = [f"Story {i}" for i in range(count - 1, count - 1 - MAX_ENTRIES, -1)]
    assert [e.title for e in feed.entries] == expected


def test_duplicate_links_are_kept_once() -> None:
    item = "<item><title>{}</title><link>https://x.example/same</link></item>"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        + item.format("first")
        + item.format("second")
        + "</channel></rss>"
    ).encode()
    assert [e.title for e in parse_feed(body, "https://x.example/f").entries] == ["first"]


def test_bozo_feed_with_entries_is_accepted() -> None:
    # An unescaped ampersand makes the XML ill-formed; feedparser recovers.
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Q & A</title>'
        b"<item><title>Fish & chips</title><link>https://x.example/fish</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(body, "https://x.example/feed")
    assert [e.url for e in feed.entries] == ["https://x.example/fish"]


def test_valid_feed_with_no_entries_is_not_an_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(body, "https://x.example/feed")
    assert feed.title == "Quiet"
    assert feed.entries == ()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"this is not xml at all",
        b'{"version": "https://jsonfeed.org/version/1"}',
        b"\x00\x01\x02\xff binary",
        b"%PDF-1.4\n" + bytes(range(256)),
    ],
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError, match=r"https://x\.example/feed"):
        parse_feed(body, "https://x.example/feed")


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
        b"<html><body><a href='/feed.xml'>Our feed</a></body></html>",
        b"\xef\xbb\xbf<!-- generated --><!doctype HTML><html lang=en><p>x</p></html>",
    ],
)
def test_html_page_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(body, "https://x.example/page")


def test_external_entities_are_not_resolved(tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>T</title><item><title>&xxe;</title>'
        "<link>https://x.example/a</link><description>&xxe;</description></item>"
        "</channel></rss>"
    ).encode()
    with contextlib.suppress(FeedError):
        feed = parse_feed(body, "https://x.example/feed")
        for entry in feed.entries:
            assert "TOP-SECRET" not in f"{entry.title} {entry.summary}"


def test_parsing_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parse_feed tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    # Even a body that is itself a URL must be treated as (bad) content.
    with pytest.raises(FeedError):
        parse_feed(b"https://example.com/feed.xml", "https://x.example/feed")
    assert parse_feed(RSS, FEED_URL).entries


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=2000)
    | st.lists(
        st.sampled_from(
            ["<rss>", "<channel>", "<item>", "<title>", "</title>", "<link>", "x", "&amp;", "<"]
        )
    ).map(lambda parts: "".join(parts).encode())
)
def test_arbitrary_bytes_never_crash(body: bytes) -> None:
    with contextlib.suppress(FeedError):
        parse_feed(body, "https://x.example/feed")


def test_html_to_text() -> None:
    html = (
        "<div><p>One &amp; <b>two</b></p><ul><li>a</li><li>b</li></ul>"
        "tail<br>end<style>x</style></div>"
    )
    assert html_to_text(html) == "One & two\n\na\n\nb\n\ntail\n\nend"


def test_conditional_fetch_and_parse_round_trip(web: WebServer) -> None:
    web.route("/feed.xml", RSS, content_type="application/rss+xml", etag='"rss-1"')
    policy = FetchPolicy(allow_private=True)
    first = fetch(web.url("/feed.xml"), policy)
    feed = parse_feed(first.body, first.url)
    assert feed.entries[0].url == web.url("/2024/teaser")
    again = fetch(web.url("/feed.xml"), policy, etag=first.etag)
    assert again.not_modified
