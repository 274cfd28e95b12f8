"""Summary jobs are idempotent, record failures, and the sweep recovers lost work."""

from datetime import timedelta

import time_machine
from sqlalchemy import update

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Article, ArticleStatus
from briefing.ingest.adding import add_article, from_text
from briefing.operations import jobs

TEXT = " ".join(
    f"Sentence number {i} describes how the harbour authority handled shipment {i} this week."
    for i in range(1, 12))


def stored(db: Database, text: str = TEXT) -> int:
    with db.session() as session:
        return add_article(session, from_text(text, title="Harbour")).article_id


def article(db: Database, article_id: int) -> Article:
    with db.session() as session:
        row = session.get(Article, article_id)
        assert row is not None
        return row


def test_summarizing_twice_summarizes_once(db: Database, settings: Settings) -> None:
    article_id = stored(db)
    assert jobs.summarize_article(db, article_id, settings) == "summarized"
    first = article(db, article_id)
    assert jobs.summarize_article(db, article_id, settings) == "skipped"
    again = article(db, article_id)
    assert first.status == again.status == ArticleStatus.SUMMARIZED
    assert again.attempts == 1 and again.summarized_at == first.summarized_at
    assert len(again.summary or []) == settings.summary_sentences
    assert again.summary_algorithm and again.summary_params


def test_force_summarizes_again(db: Database, settings: Settings) -> None:
    article_id = stored(db)
    jobs.summarize_article(db, article_id, settings)
    assert jobs.summarize_article(db, article_id, settings, force=True) == "summarized"
    assert article(db, article_id).attempts == 2


def test_unsummarizable_text_is_a_recorded_failure(db: Database, settings: Settings) -> None:
    article_id = stored(db)
    with db.session() as session:  # what a broken import could have left behind
        session.execute(update(Article).values(text="!!! ??? ..."))
    assert jobs.summarize_article(db, article_id, settings) == "failed"
    row = article(db, article_id)
    assert row.status == ArticleStatus.FAILED and row.error


def test_a_running_claim_is_not_taken_but_a_stale_one_is(db: Database, settings: Settings
                                                         ) -> None:
    article_id = stored(db)
    assert jobs.claim_article(db, article_id, settings) is not None  # a worker that then died
    assert jobs.summarize_article(db, article_id, settings) == "skipped"
    assert jobs.find_stuck(db, settings).article_ids == []
    later = utcnow() + timedelta(seconds=settings.stuck_after_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert jobs.find_stuck(db, settings).article_ids == [article_id]
        assert jobs.summarize_article(db, article_id, settings) == "summarized"


def test_the_dead_claim_cannot_overwrite_the_new_result(db: Database, settings: Settings
                                                       ) -> None:
    article_id = stored(db)
    old = jobs.claim_article(db, article_id, settings)
    assert old is not None
    later = utcnow() + timedelta(seconds=settings.stuck_after_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert jobs.summarize_article(db, article_id, settings) == "summarized"
        assert not jobs._finish(db, old, status=ArticleStatus.FAILED, error="late")
    assert article(db, article_id).status == ArticleStatus.SUMMARIZED


def test_sweep_hands_back_new_articles_once_per_period(db: Database, settings: Settings) -> None:
    article_id = stored(db)
    assert jobs.find_stuck(db, settings).article_ids == []  # just added: its message is queued
    later = utcnow() + timedelta(seconds=settings.stuck_after_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert jobs.find_stuck(db, settings).article_ids == [article_id]
        assert jobs.find_stuck(db, settings).article_ids == []  # touched: not re-sent each sweep
