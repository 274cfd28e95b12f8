"""Migrations carry real rows across, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from briefing.core.db import Database, current_revision
from tests.support.databases import scratch_postgres

ISSUED = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
LEFT = "not sent: the reader left before sending"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all (the shared test databases are already at head)."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield db
        db.dispose()
        return
    with scratch_postgres("briefing_migrate") as url:
        db = Database(url)
        yield db
        db.dispose()


def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("briefing") / "migrations"))
    config.attributes["engine"] = db.engine
    (command.downgrade if down else command.upgrade)(config, revision)
    assert current_revision(db) == revision


def insert(db: Database, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES "
                          f"({', '.join(':' + name for name in values)})"), values)


def seed_0003(db: Database) -> None:
    """A sent edition with one delivery per outcome that 0003 knew, and a pending reader."""
    stamps = {"created_at": ISSUED, "updated_at": ISSUED}
    insert(db, "lists", id=1, slug="daily", name="Daily", description="", from_name="",
           from_address="news@example.org", send_time="07:00:00", timezone="UTC",
           max_articles=10, summary_sentences=3, postal_address="", **stamps)
    for n, status in enumerate(["active", "unsubscribed", "pending"], start=1):
        insert(db, "subscribers", id=n, email=f"r{n}@example.com",
               email_key=f"r{n}@example.com", name="", attributes="{}", bounce_count=0,
               **stamps)
        insert(db, "subscriptions", id=n, list_id=1, subscriber_id=n, status=status,
               consent_source="form", consent_at=ISSUED,
               confirm_nonce="abc123" if status == "pending" else None,
               confirmation_sent_at=ISSUED if status == "pending" else None,
               confirmations_sent=int(status == "pending"), **stamps)
    insert(db, "editions", id=1, list_id=1, edition_date=ISSUED.date(), status="sent",
           **stamps)
    for n, reply in [(1, "550 5.1.1 no such user"), (2, LEFT)]:
        insert(db, "deliveries", id=n, edition_id=1, subscriber_id=n, subscription_id=n,
               email=f"r{n}@example.com", name="", status="failed", attempts=1,
               last_reply=reply, due_at=ISSUED, created_at=ISSUED)


def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_0004_upgrades_and_downgrades_a_database_holding_deliveries_and_sign_ups(
        empty_db: Database) -> None:
    migrate(empty_db, "0003")
    seed_0003(empty_db)

    migrate(empty_db, "0004")
    # Only the reader who left is skipped; a real refusal stays a failure.
    assert rows(empty_db, "SELECT id, status, subscription_id FROM deliveries ORDER BY id") == [
        (1, "failed", 1), (2, "skipped", 2)]
    # Whether the pending reader's confirmation went out is unknown: it counts as mailed
    # when issued, so the sweep sends nobody a second one after the upgrade.
    ((mailed_at,),) = rows(empty_db, "SELECT confirmation_mailed_at FROM subscriptions "
                                     "WHERE status = 'pending'")
    assert mailed_at is not None
    assert rows(empty_db, "SELECT count(*) FROM subscriptions "
                          "WHERE confirmation_mailed_at IS NOT NULL") == [(1,)]

    migrate(empty_db, "0003", down=True)
    assert rows(empty_db, "SELECT id, status, subscription_id FROM deliveries ORDER BY id") == [
        (1, "failed", 1), (2, "failed", 2)]  # and no delivery lost its subscription
    columns = {c["name"] for c in inspect(empty_db.engine).get_columns("subscriptions")}
    assert "confirmation_mailed_at" not in columns and "confirmation_sent_at" in columns
    assert rows(empty_db, "SELECT count(*) FROM subscriptions") == [(3,)]

    migrate(empty_db, "0004")  # and up again
    assert rows(empty_db, "SELECT status FROM deliveries ORDER BY id") == [
        ("failed",), ("skipped",)]


def test_0014_marks_no_summary_edited_and_a_downgrade_keeps_the_sentences(
        empty_db: Database) -> None:
    migrate(empty_db, "0006")
    insert(empty_db, "articles", id=1, title="Harbour", content_hash="h" * 64, text="Text.",
           status="summarized", summary='["Edited by hand."]', attempts=1,
           created_at=ISSUED, updated_at=ISSUED)
    migrate(empty_db, "0014")
    assert rows(empty_db, "SELECT summary_edited_at FROM articles") == [(None,)]
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE articles SET summary_edited_at = :at"), {"at": ISSUED})
    migrate(empty_db, "0013", down=True)
    columns = {c["name"] for c in inspect(empty_db.engine).get_columns("articles")}
    assert "summary_edited_at" not in columns
    ((article_id, summary),) = rows(empty_db, "SELECT id, summary FROM articles")
    # JSON comes back parsed on PostgreSQL, as text on SQLite.
    assert article_id == 1 and summary in (["Edited by hand."], '["Edited by hand."]')


def test_0009_adds_the_signup_name_and_takes_it_away_keeping_every_sign_up(
        empty_db: Database) -> None:
    migrate(empty_db, "0003")
    seed_0003(empty_db)
    migrate(empty_db, "0006")

    migrate(empty_db, "0009")
    # Sign-ups from before kept their names on the person, as they were: none is pending here.
    assert rows(empty_db, "SELECT id, status, signup_name FROM subscriptions ORDER BY id") == [
        (1, "active", None), (2, "unsubscribed", None), (3, "pending", None)]
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE subscriptions SET signup_name = 'Ann' WHERE id = 3"))

    migrate(empty_db, "0006", down=True)
    columns = {c["name"] for c in inspect(empty_db.engine).get_columns("subscriptions")}
    assert "signup_name" not in columns
    assert rows(empty_db, "SELECT id, status, confirm_nonce FROM subscriptions ORDER BY id") == [
        (1, "active", None), (2, "unsubscribed", None), (3, "pending", "abc123")]
    migrate(empty_db, "0009")  # and up again
    assert rows(empty_db, "SELECT count(*) FROM subscriptions") == [(3,)]
def test_0007_adds_the_heartbeats_table_and_takes_it_away_again(empty_db: Database) -> None:
    migrate(empty_db, "0007")
    insert(empty_db, "heartbeats", name="tick", at=ISSUED, host="vm:1", detail="{}")
    assert rows(empty_db, "SELECT name, host FROM heartbeats") == [("tick", "vm:1")]
    migrate(empty_db, "0006", down=True)
    assert "heartbeats" not in inspect(empty_db.engine).get_table_names()
    migrate(empty_db, "0007")
    assert rows(empty_db, "SELECT count(*) FROM heartbeats") == [(0,)]


def test_0013_adds_admin_accounts_and_imports_and_takes_them_away_keeping_the_rest(
        empty_db: Database) -> None:
    migrate(empty_db, "0003")
    seed_0003(empty_db)
    migrate(empty_db, "0012")

    migrate(empty_db, "0013")
    insert(empty_db, "admin_users", id=1, email="ann@example.org", email_key="ann@example.org",
           role="admin", password_hash="$argon2id$x", created_at=ISSUED, updated_at=ISSUED)
    insert(empty_db, "import_jobs", id=1, list_id=1, user_id=1, filename="a.csv",
           as_pending=False, status="done", size_bytes=10, rows_expected=1, rows_done=1,
           created_at=ISSUED)
    insert(empty_db, "import_chunks", job_id=1, seq=0, data=b"email\n")

    migrate(empty_db, "0012", down=True)
    tables = set(inspect(empty_db.engine).get_table_names())
    assert not tables & {"admin_users", "admin_sessions", "api_tokens", "sign_in_failures",
                         "import_jobs", "import_chunks"}
    assert rows(empty_db, "SELECT count(*) FROM subscriptions") == [(3,)]
    migrate(empty_db, "0013")  # and up again
    assert rows(empty_db, "SELECT count(*) FROM admin_users") == [(0,)]
