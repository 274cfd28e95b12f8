"""Garbage is refused with a message wherever it comes in; short real news in any language
is not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import Article, SummaryRequest
from briefing.ingest.adding import add_article, from_text
from briefing.server import create_app
from briefing.summarize.summarizer import SummaryError, split_sentences, summarize_text
from briefing.text.readability import unreadable_reason
from tests.support.cli import run
from tests.support.texts import GARBAGE, SHORT_NEWS

AUTH = {"Authorization": "Bearer test-token"}
# Text that JSON and a terminal can carry (NUL bytes are refused earlier, as binary input).
TYPABLE = {kind: pair for kind, pair in GARBAGE.items() if kind != "binary-ish"}
SHORT_TEXTS = {f"{code} ({size})": text
               for code, news in SHORT_NEWS.items()
               for size, text in (("news", news), ("one sentence", split_sentences(news, code)[0]))}


def count(db: Database, model: type[object] = Article) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_each_kind_of_garbage_is_refused_by_the_summarizer_with_its_reason(kind: str) -> None:
    text, reason = GARBAGE[kind]
    with pytest.raises(SummaryError, match=f"not readable: .*{reason}"):
        summarize_text(text)


@pytest.mark.parametrize("label", sorted(SHORT_TEXTS))
def test_short_real_news_in_every_evaluation_language_is_readable(label: str) -> None:
    assert unreadable_reason(SHORT_TEXTS[label]) is None
    assert summarize_text(SHORT_TEXTS[label]).sentences


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_ingestion_refuses_garbage_and_stores_nothing(any_db: Database, kind: str) -> None:
    text, reason = GARBAGE[kind]
    with any_db.session() as session, pytest.raises(InputError, match=reason):
        add_article(session, from_text(text))
    assert count(any_db) == 0


def test_ingestion_stores_short_news_in_every_language(any_db: Database) -> None:
    for code, text in SHORT_NEWS.items():
        with any_db.session() as session:
            add_article(session, from_text(text))
        with any_db.session() as session:
            row = session.scalars(select(Article).order_by(Article.id.desc())).first()
            assert row is not None and (row.language, row.language_source) == (code, "detected")
    assert count(any_db) == len(SHORT_NEWS)


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_cli_refuses_garbage_in_one_line(cli: CliRunner, kind: str) -> None:
    text, reason = GARBAGE[kind]
    for command in (["articles", "add", "-"], ["summarize", "-"]):
        out = run(cli, *command, input=text, code=1)
        assert "error:" in out and "Traceback" not in out
        assert reason in out or "binary" in out, out


def test_cli_summarizes_and_stores_short_news_in_every_language(cli: CliRunner) -> None:
    for code, text in SHORT_NEWS.items():
        out = json.loads(run(cli, "summarize", "-", "--json", input=text))
        assert out["language"] == code and out["summary"]
    for text in SHORT_NEWS.values():
        assert "added article" in run(cli, "articles", "add", "-", input=text)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from workers import runtime

    with TestClient(create_app(settings)) as client:
        yield client
    runtime.use(None)


def _db(client: TestClient) -> Database:
    return client.app.state.db  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("kind", sorted(TYPABLE))
def test_api_refuses_garbage_articles_and_summaries(client: TestClient, kind: str) -> None:
    text, reason = TYPABLE[kind]
    for path in ("/api/articles", "/api/summaries"):
        response = client.post(path, json={"text": text}, headers=AUTH)
        assert response.status_code == 422, response.text
        assert reason in response.json()["error"]["message"]
    assert count(_db(client)) == 0 and count(_db(client), SummaryRequest) == 0


def test_api_accepts_short_news_in_every_language(client: TestClient) -> None:
    for code, text in SHORT_NEWS.items():
        created = client.post("/api/articles", json={"text": text}, headers=AUTH)
        assert created.status_code == 201, created.text
        assert (created.json()["language"], created.json()["status"]) == (code, "summarized")
        asked = client.post("/api/summaries", json={"text": text}, headers=AUTH)
        assert asked.status_code == 202, asked.text
        done = client.get(asked.json()["url"], params={"wait": 10}, headers=AUTH).json()
        assert (done["status"], done["language"]) == ("done", code)
