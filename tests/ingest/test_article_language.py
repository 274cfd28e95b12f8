"""An article's language is stored, shown, and carried by batch rows and migrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from briefing.core.config import ConfigError, Settings
from briefing.core.db import Database
from briefing.core.models import Article
from briefing.ingest import feeds
from briefing.ingest.adding import ArticleInput, add_article, from_text
from briefing.operations import jobs
from tests.core.test_migrations import empty_db as empty_db
from tests.core.test_migrations import insert, migrate, rows
from tests.support.cli import run
from tests.support.databases import make_settings
from tests.support.texts import FRENCH_ARTICLE, GERMAN_ARTICLE, SHORT_NEWS
from tests.support.web import WebServer


def summarized(db: Database, settings: Settings, article: ArticleInput) -> Article:
    with db.session() as session:
        article_id = add_article(session, article).article_id
    assert jobs.summarize_article(db, article_id, settings) == "summarized"
    with db.session() as session:
        row = session.get(Article, article_id)
        assert row is not None
        return row


def test_a_german_page_declared_english_is_summarized_in_german(db: Database,
                                                                settings: Settings) -> None:
    row = summarized(db, settings, ArticleInput(text=GERMAN_ARTICLE, language="en"))
    assert (row.language, row.language_source, row.declared_language) == ("de", "detected", "en")
    assert row.summary_params and row.summary_params["stop_words"] == "sumy-german"


def test_a_short_text_takes_its_declaration_and_otherwise_the_fallback(
        db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_SUMMARY_LANGUAGE="german")
    declared = summarized(db, settings,
                          ArticleInput(text="Nouveau budget voté hier", language="fr"))
    assert (declared.language, declared.language_source) == ("fr", "declared")
    # Too short to be sure of (the identifier gives English only 15 %), and nothing declared.
    fallback = summarized(db, settings, ArticleInput(text="A unanimous decision."))
    assert (fallback.language, fallback.language_source) == ("de", "fallback")
    french = summarized(db, settings, from_text(FRENCH_ARTICLE))
    assert (french.language, french.language_source) == ("fr", "detected")


def test_an_unknown_fallback_language_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BRIEFING_SUMMARY_LANGUAGE"):
        make_settings(tmp_path / "var", BRIEFING_SUMMARY_LANGUAGE="klingon")


def test_article_json_shows_the_language_and_where_it_came_from(cli: CliRunner) -> None:
    run(cli, "articles", "add", "-", input=SHORT_NEWS["cs"])
    shown = json.loads(run(cli, "articles", "show", "1", "--json"))
    assert (shown["language"], shown["language_source"]) == ("cs", "detected")
    assert shown["summary_params"]["stemmer"] == "sumy-czech"
    assert "cs (detected)" in run(cli, "articles", "show", "1")


def _rows(output: str) -> list[dict[str, object]]:
    # The runner mixes the progress bar (stderr) into the output: keep the JSON lines.
    return [json.loads(line[line.index('{"id"'):]) for line in output.splitlines()
            if '{"id"' in line]


def test_jsonl_rows_carry_the_language(cli: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"id": code, "text": text})
                                for code, text in SHORT_NEWS.items())
                      + "\n" + json.dumps({"id": "declared", "text": "Nouveau budget voté hier",
                                           "language": "fr"}) + "\n", encoding="utf-8")
    lines = _rows(run(cli, "summarize", "--jsonl", str(source)))
    assert {line["id"]: line["language"] for line in lines} == {
        **{code: code for code in SHORT_NEWS}, "declared": "fr"}
    forced = _rows(run(cli, "summarize", "--jsonl", str(source), "--language", "de"))
    assert {line["language"] for line in forced} == {"de"}


def test_0012_keeps_the_old_language_as_the_declaration(empty_db: Database) -> None:
    migrate(empty_db, "0006")
    stamp = datetime(2026, 5, 4, tzinfo=UTC)
    for n, language in [(1, "de"), (2, None)]:
        insert(empty_db, "articles", id=n, title="t", content_hash=f"h{n}", text="x",
               language=language, status="new", attempts=0, created_at=stamp, updated_at=stamp)
    migrate(empty_db, "0012")
    assert rows(empty_db, "SELECT id, language, declared_language, language_source "
                          "FROM articles ORDER BY id") == [(1, "de", "de", "declared"),
                                                           (2, None, None, None)]
    insert(empty_db, "summary_requests", id="r", status="pending", algorithm="default",
           language="fr", created_at=stamp)
    migrate(empty_db, "0006", down=True)
    columns = {c["name"] for c in inspect(empty_db.engine).get_columns("articles")}
    assert "declared_language" not in columns and "language_source" not in columns
    assert rows(empty_db, "SELECT language FROM articles ORDER BY id") == [("de",), (None,)]
    migrate(empty_db, "0012")


def test_a_feeds_declared_language_reaches_its_articles(web: WebServer, db: Database,
                                                         settings: Settings) -> None:
    web.route("/gone", "nope", status=404)  # the page is gone: the teaser is the article
    web.route("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Le Journal"
              "</title><link>http://example.org/</link><language>fr-FR</language><item>"
              f"<title>Budget</title><link>{web.url('/gone')}</link>"
              "<description>Nouveau budget voté hier</description></item></channel></rss>",
              content_type="application/rss+xml")
    feed = feeds.add_feed(db, web.url("/feed.xml"), settings)
    assert len(feeds.poll_feed(db, feed.id, settings).new_article_ids) == 1
    with db.session() as session:
        row = session.scalars(select(Article)).one()
    assert (row.declared_language, row.language, row.language_source) == (
        "fr-FR", "fr", "declared")
