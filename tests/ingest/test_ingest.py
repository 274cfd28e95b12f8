"""Storage and de-duplication, on SQLite and PostgreSQL alike."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import Article, ArticleStatus
from briefing.ingest.adding import (
    ArticleInput,
    add_article,
    from_file,
    from_html,
    from_text,
    from_url,
)
from briefing.ingest.feeds import fetch_policy
from briefing.ingest.fetch import FetchError
from tests.support.databases import make_settings

SEED = Path(__file__).resolve().parents[2] / "seeds" / "s400-turkey-ukraine.txt"
BODY = ("The council approved the new budget on Tuesday after a long debate. "
        "Members argued about road repairs and library hours for most of the evening. "
        "The final vote was seven to four, with two members absent.")


def count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(Article.id))) or 0)


def add(db: Database, article) -> object:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return add_article(session, article)


def test_seed_article_is_stored_with_its_headline_and_without_boilerplate(any_db: Database
                                                                           ) -> None:
    result = add(any_db, from_file(SEED))
    with any_db.session() as session:
        article = session.get(Article, result.article_id)
    assert article.title.startswith("The United States suggested that Turkey")
    assert article.status == ArticleStatus.NEW
    assert "Comments are closed" not in article.text
    assert "By subscribing" not in article.text
    assert article.text.startswith("The United States has informally discussed")
    assert article.created_at.tzinfo is not None


def test_same_text_is_never_stored_twice(any_db: Database) -> None:
    first = add(any_db, from_text(BODY, title="Budget passes"))
    again = add(any_db, from_text("  " + BODY.upper().replace(" ", "   ") + "\n",
                                  title="Other title"))
    assert first.created and not again.created
    assert again.duplicate_of == first.article_id and again.reason == "same text"
    assert count(any_db) == 1


def test_same_url_is_never_stored_twice(any_db: Database) -> None:
    first = add(any_db, ArticleInput(text=BODY, url="https://News.example.com/a?utm_source=x#top"))
    other_text = BODY.replace("seven to four", "eight to three")
    again = add(any_db, ArticleInput(text=other_text, url="https://news.example.com/a"))
    assert again.duplicate_of == first.article_id and again.reason == "same URL"
    assert count(any_db) == 1


@pytest.mark.parametrize("raw", [b"", b"   \n\t  ", b"\x00\x01\x02binary\xff\xfe",
                                 b"\xc3\x28 invalid utf-8 \xa0\xa1", b"1234 5678 !!! ???"])
def test_unusable_text_is_refused_and_nothing_is_written(any_db: Database, raw: bytes) -> None:
    with pytest.raises(InputError):
        add(any_db, from_text(raw))
    assert count(any_db) == 0


def test_twenty_megabytes_of_text_is_refused_by_size(any_db: Database) -> None:
    huge = ("word " * 4_200_000).encode()
    with pytest.raises(InputError, match="limit"):
        add(any_db, from_text(huge, max_bytes=2_000_000))
    assert count(any_db) == 0


def test_html_with_no_text_is_refused(any_db: Database) -> None:
    with pytest.raises(InputError):
        add(any_db, from_html("<html><body><nav><a href='/'>Home</a></nav></body></html>"))
    assert count(any_db) == 0


def test_markdown_gives_title_and_plain_text(any_db: Database) -> None:
    md = f"# Budget passes\n\nThe **council** voted. [Read the minutes](https://x.org).\n\n{BODY}"
    result = add(any_db, from_text(md, markdown=True))
    with any_db.session() as session:
        article = session.get(Article, result.article_id)
    assert article.title == "Budget passes"
    assert "**" not in article.text and "](" not in article.text


def test_page_from_url_keeps_url_title_and_date(any_db: Database, web, tmp_path: Path) -> None:
    page = (f"<html lang='en'><head><title>Budget passes</title>"
            f"<meta property='article:published_time' content='2026-11-20T08:00:00Z'>"
            f"</head><body><article><h1>Budget passes</h1><p>{BODY}</p><p>{BODY}</p>"
            f"</article></body></html>")
    web.route("/news/budget", page)
    article_input = from_url(web.url("/news/budget"), fetch_policy(make_settings(tmp_path)))
    result = add(any_db, article_input)
    with any_db.session() as session:
        article = session.get(Article, result.article_id)
    assert article.url == web.url("/news/budget")
    assert article.title == "Budget passes"
    assert article.published_at is not None and article.published_at.year == 2026


@pytest.mark.parametrize(("head", "source"), [
    ("", "127.0.0.1"),  # the page names no site: its domain, never "127.0.0.1:47613"
    ("<meta property='og:site_name' content='Valley Gazette'>", "Valley Gazette"),
])
def test_a_page_names_its_source_or_gets_its_domain(web, tmp_path: Path, head: str,
                                                    source: str) -> None:
    web.route("/news/budget", f"<html><head><title>Budget</title>{head}</head><body>"
              f"<article><p>{BODY}</p><p>{BODY}</p></article></body></html>")
    page = from_url(web.url("/news/budget"), fetch_policy(make_settings(tmp_path)))
    assert page.source == source


@pytest.mark.parametrize("case", ["unreachable", "404", "500", "pdf", "loop"])
def test_bad_urls_give_a_clear_error(web, tmp_path: Path, case: str) -> None:
    web.route("/missing", "nope", status=404)
    web.route("/broken", "oops", status=500)
    web.route("/paper.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    web.redirect("/a", "/b")
    web.redirect("/b", "/a")
    url = {"unreachable": "http://127.0.0.1:9/x", "404": web.url("/missing"),
           "500": web.url("/broken"), "pdf": web.url("/paper.pdf"), "loop": web.url("/a")}[case]
    with pytest.raises(FetchError) as error:
        from_url(url, fetch_policy(make_settings(tmp_path)))
    assert str(error.value)
