"""Correcting an article before it is sent: an edited summary outlives every re-summarize."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import Article, ArticleStatus
from briefing.editions.compose import summary_for
from briefing.ingest.adding import add_article, from_text
from briefing.ingest.articles import ArticleEdit, edit_article
from briefing.operations import jobs

TEXT = " ".join(
    f"Sentence number {i} describes how the harbour authority handled shipment {i} this week."
    for i in range(1, 12))
EDITED = ["The harbour handled eleven shipments.", "None was late."]


def stored(db: Database) -> int:
    with db.session() as session:
        return add_article(session, from_text(TEXT, title="Harbour")).article_id


def article(db: Database, article_id: int) -> Article:
    with db.session() as session:
        row = session.get(Article, article_id)
        assert row is not None
        return row


def test_an_edited_summary_survives_a_forced_re_summarize(any_db: Database,
                                                         settings: Settings) -> None:
    article_id = stored(any_db)
    jobs.summarize_article(any_db, article_id, settings)
    summarized_at = article(any_db, article_id).summarized_at

    edit_article(any_db, article_id, ArticleEdit(title="Harbour week", summary=EDITED))
    assert jobs.summarize_article(any_db, article_id, settings, force=True) == "skipped"

    row = article(any_db, article_id)
    assert (row.title, row.summary) == ("Harbour week", EDITED)
    assert row.summary_edited_at is not None
    assert row.summarized_at == summarized_at  # not pushed into the next edition again


def test_a_summary_task_running_during_the_edit_writes_nothing(db: Database,
                                                               settings: Settings) -> None:
    article_id = stored(db)
    claim = jobs.claim_article(db, article_id, settings)
    assert claim is not None
    edit_article(db, article_id, ArticleEdit(summary=EDITED))
    assert not jobs._finish(db, claim, status=ArticleStatus.SUMMARIZED, summary=["generated"])
    assert article(db, article_id).summary == EDITED


def test_an_article_whose_summary_failed_is_ready_to_send_once_edited(
        db: Database, settings: Settings) -> None:
    article_id = stored(db)
    with db.session() as session:
        session.execute(update(Article).where(Article.id == article_id).values(
            status=ArticleStatus.FAILED, error="summarizing took too long"))
    edit_article(db, article_id, ArticleEdit(summary=EDITED))
    row = article(db, article_id)
    assert row.status == ArticleStatus.SUMMARIZED and row.error is None
    assert row.summarized_at is not None


def test_restoring_the_summary_summarizes_the_article_again(db: Database,
                                                           settings: Settings) -> None:
    article_id = stored(db)
    jobs.summarize_article(db, article_id, settings)
    generated = article(db, article_id).summary
    edit_article(db, article_id, ArticleEdit(summary=EDITED))
    edit_article(db, article_id, ArticleEdit(restore_summary=True))
    assert jobs.summarize_article(db, article_id, settings) == "summarized"
    row = article(db, article_id)
    assert row.summary == generated and row.summary_edited_at is None


def test_an_edition_sends_the_edited_summary_whatever_length_the_list_wants(
        db: Database, settings: Settings) -> None:
    article_id = stored(db)
    jobs.summarize_article(db, article_id, settings)
    edit_article(db, article_id, ArticleEdit(summary=EDITED))
    assert summary_for(article(db, article_id), 5, "english") == EDITED


@pytest.mark.parametrize(("edit", "message"), [
    (ArticleEdit(title="   "), "title is empty"),
    (ArticleEdit(title="x" * 501), "longer than 500"),
    (ArticleEdit(summary=[]), "at least one sentence"),
    (ArticleEdit(summary=["Fine.", "  "]), "sentence 2 is empty"),
    (ArticleEdit(summary=["One."] * 51), "at most 50"),
    (ArticleEdit(summary=["x" * 2001]), "longer than 2000"),
    (ArticleEdit(summary=EDITED, restore_summary=True), "not both"),
])
def test_a_bad_edit_is_refused_and_changes_nothing(db: Database, settings: Settings,
                                                   edit: ArticleEdit, message: str) -> None:
    article_id = stored(db)
    jobs.summarize_article(db, article_id, settings)
    before = article(db, article_id)
    with pytest.raises(InputError, match=message):
        edit_article(db, article_id, edit)
    after = article(db, article_id)
    assert (after.title, after.summary) == (before.title, before.summary)


def test_editing_an_unknown_article_finds_nothing(db: Database) -> None:
    assert edit_article(db, 999, ArticleEdit(title="Nothing")) is None
