"""Curation as readers see it: each list its own sources, one item per story, no repeats.

Real feeds over local HTTP, a real SMTP server, the briefing parsed back from the wire.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Article, Edition, EditionStatus
from briefing.delivery import send_edition as deliver
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.ingest import feeds
from briefing.ingest.adding import add_article, from_text
from briefing.operations import jobs
from briefing.subscribers.list_rules import RulesChange
from briefing.subscribers.lists import ListChanges, update_list
from tests.mail.test_briefing_message import bodies, parsed
from tests.support.briefing_data import add_readers, list_database, make_list
from tests.support.databases import make_settings
from tests.support.smtp import SMTPServer
from tests.support.stories import BRIDGE, BRIDGE_FOLLOW_UP, OTHER_NEWS, Piece, feed_xml
from tests.support.web import WebServer

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL="https://news.example.org",
                         **smtp_server.env())


@pytest.fixture
def db(settings: Settings, clock: time_machine.Coordinates) -> Iterator[Database]:
    with list_database(settings) as database:
        yield database


def store(db: Database, settings: Settings, piece: Piece, **extra: object) -> int:
    article = replace(from_text(piece.text, title=piece.title), url=piece.url,
                      source=piece.outlet, **extra)  # type: ignore[arg-type]
    with db.session() as session:
        article_id = add_article(session, article).article_id
    assert jobs.summarize_article(db, article_id, settings) == "summarized"
    return article_id


def send(db: Database, settings: Settings, slug: str, day: date | None = None) -> EditionStatus:
    edition_id, _ = ensure_edition(db, slug, day)
    status = build_edition(db, edition_id, settings)
    assert status is not None
    if status == EditionStatus.SENDING:
        assert deliver.send_some(db, edition_id, settings).failed == 0
    return status


def html_for(smtp: SMTPServer, address: str) -> str:
    copies = smtp.recorder.to(address)
    assert copies, f"{address} got nothing"
    return bodies(parsed(copies[-1]))[1]


def story_titles(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip()
            for t in re.findall(r'class="story-title"[^>]*>(.*?)</p>', page, re.S)]


def test_two_lists_fed_from_different_feeds_and_tags_get_different_editions(
        db: Database, settings: Settings, smtp_server: SMTPServer, web: WebServer,
        clock: time_machine.Coordinates) -> None:
    world = [replace(p, url=web.url(f"/gone/{n}")) for n, p in enumerate(OTHER_NEWS)]
    bridge = [replace(BRIDGE[0], url=web.url("/gone/bridge"))]
    web.route("/culture.xml", feed_xml("Culture Wire", world[:1]),
              content_type="application/rss+xml")
    web.route("/city.xml", feed_xml("City Desk", [*world[1:], *bridge],
                                    categories={bridge[0].url: ["Transport"]}),
              content_type="application/rss+xml")
    culture = feeds.add_feed(db, web.url("/culture.xml"), settings, tags=["arts"])
    city = feeds.add_feed(db, web.url("/city.xml"), settings)
    for feed in (culture, city):
        for article_id in feeds.poll_feed(db, feed.id, settings).new_article_ids:
            assert jobs.summarize_article(db, article_id, settings) == "summarized"
    make_list(db, "arts", name="Arts", rules=RulesChange(tags=["Arts"]))
    make_list(db, "transport", name="Transport", rules=RulesChange(tags=["transport"]))
    update_list(db, "daily", ListChanges(rules=RulesChange(feeds=[city.id],
                                                           exclude=['"Fishing fleet"'])))
    for slug in ("arts", "transport", "daily"):
        add_readers(db, slug, 1, prefix=slug)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    for slug in ("arts", "transport", "daily"):
        assert send(db, settings, slug) == EditionStatus.SENDING

    assert story_titles(html_for(smtp_server, "arts00000@example.com")) == [world[0].title]
    assert story_titles(html_for(smtp_server, "transport00000@example.com")) == [
        bridge[0].title]
    # The city feed, less what the exclude rule keeps out.
    assert story_titles(html_for(smtp_server, "daily00000@example.com")) == [bridge[0].title]
    with db.session() as session:
        tags = {a.title: a.tags for a in session.scalars(select(Article))}
    assert tags[world[0].title] == ["arts"] and tags[bridge[0].title] == ["transport"]


def test_five_outlets_on_one_event_are_one_story_with_five_source_links(
        db: Database, settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    for piece in [*BRIDGE, *OTHER_NEWS]:
        store(db, settings, piece)
    add_readers(db, "daily", 1)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily") == EditionStatus.SENDING

    page = html_for(smtp_server, "reader00000@example.com")
    titles = story_titles(page)
    assert len(titles) == 3  # the bridge once, and the two other events
    bridge_titles = {p.title for p in BRIDGE}
    assert titles[0] in bridge_titles  # covered by five outlets: it leads
    bridge_item = page.split('class="story"')[1]
    for piece in BRIDGE:
        assert f'href="{piece.url}"' in bridge_item, piece.outlet
    assert "Also covered by" in bridge_item and "Top stories" in page
    assert "3 stories today" in page
    summary = re.findall(r"<li[^>]*>(.*?)</li>", bridge_item.split('class="summary"')[1]
                         .split("</ul>")[0], re.S)
    assert 1 <= len(summary) <= 3 and any("Elwyn" in s for s in summary)
    with db.session() as session:
        stories = {a.story_id for a in session.scalars(select(Article))
                   if a.title in bridge_titles}
    assert len(stories) == 1


def test_a_story_sent_yesterday_is_not_repeated_and_comes_back_marked_as_an_update(
        db: Database, settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    for piece in BRIDGE[:3]:
        store(db, settings, piece)
    add_readers(db, "daily", 1)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily") == EditionStatus.SENDING

    # Overnight one outlet has news on the same event: the story comes back once, marked as
    # an update, with only the new article; Wednesday brings nothing and nothing is sent.
    clock.move_to(datetime(2026, 5, 4, 20, 0, tzinfo=UTC))
    store(db, settings, BRIDGE_FOLLOW_UP)
    store(db, settings, OTHER_NEWS[0])
    clock.move_to(datetime(2026, 5, 5, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily", date(2026, 5, 5)) == EditionStatus.SENDING
    page = html_for(smtp_server, "reader00000@example.com")
    titles = story_titles(page)
    assert len(titles) == 2
    update = [t for t in titles if t.startswith("Update")]
    assert update == [f"Update{BRIDGE_FOLLOW_UP.title}"]
    assert OTHER_NEWS[0].title in titles

    clock.move_to(datetime(2026, 5, 6, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily", date(2026, 5, 6)) == EditionStatus.EMPTY
    with db.session() as session:
        sent = list(session.scalars(select(Edition).order_by(Edition.id)))
    assert len(sent[0].story_ids or []) == 1 and sent[1].story_ids
    assert set(sent[0].story_ids or []) & set(sent[1].story_ids or [])


def test_a_german_list_says_its_words_and_dates_in_german(
        db: Database, settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    update_list(db, "daily", ListChanges(locale="de"))
    for piece in [*BRIDGE[:2], *OTHER_NEWS]:
        store(db, settings, piece)
    add_readers(db, "daily", 1)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily") == EditionStatus.SENDING
    page = html_for(smtp_server, "reader00000@example.com")
    for words in ("Guten Morgen", "3 Meldungen heute", "Top-Meldungen", "Auch berichtet von",
                  "Montag, 4. Mai 2026", "Abmelden", 'lang="de"'):
        assert words in page, words
    assert "Good morning" not in page


def test_the_cap_counts_stories_and_the_best_covered_come_first(
        db: Database, settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    update_list(db, "daily", ListChanges(max_articles=2))
    store(db, settings, OTHER_NEWS[0])
    for piece in BRIDGE:
        store(db, settings, piece)
    store(db, settings, OTHER_NEWS[1])
    add_readers(db, "daily", 1)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily") == EditionStatus.SENDING
    titles = story_titles(html_for(smtp_server, "reader00000@example.com"))
    assert len(titles) == 2 and titles[0] in {p.title for p in BRIDGE}


def test_a_weight_puts_a_single_outlet_ahead_and_zero_mutes_one(
        db: Database, settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    update_list(db, "daily", ListChanges(rules=RulesChange(weights={"Coast Courier": 9})))
    store(db, settings, OTHER_NEWS[0])  # Harbour Herald
    store(db, settings, OTHER_NEWS[1])  # Coast Courier, weighs 9
    add_readers(db, "daily", 1)
    clock.move_to(datetime(2026, 5, 4, 7, 0, tzinfo=UTC))
    assert send(db, settings, "daily") == EditionStatus.SENDING
    titles = story_titles(html_for(smtp_server, "reader00000@example.com"))
    assert titles == [OTHER_NEWS[1].title, OTHER_NEWS[0].title]
