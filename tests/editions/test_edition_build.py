"""Building an edition on SQLite and PostgreSQL: what the build log tells the operator."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from briefing.core.db import Database
from briefing.core.models import EditionStatus
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from tests.support.briefing_data import add_news, add_readers, make_list
from tests.support.databases import make_settings


def test_the_build_log_counts_the_readers_queued_on_every_database(
        tmp_path: Path, any_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    # psycopg reports -1 as the rowcount of an INSERT … SELECT.
    settings = make_settings(tmp_path / "var", BRIEFING_DATABASE_URL=any_db.url)
    make_list(any_db)
    add_readers(any_db, "daily", 5)
    add_news(any_db, settings, 2)
    edition_id, _ = ensure_edition(any_db, "daily")
    with caplog.at_level(logging.INFO, logger="briefing.editions.compose"):
        assert build_edition(any_db, edition_id, settings) == EditionStatus.SENDING
    assert f"edition {edition_id}: 2 stories, 5 readers queued" in caplog.text
