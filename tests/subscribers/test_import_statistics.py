"""A large import on PostgreSQL refreshes the statistics its look-ups are planned from."""

from __future__ import annotations

from sqlalchemy import text

from briefing.core.db import Database
from briefing.subscribers.transfer import ANALYZE_FIRST
from tests.subscribers.test_subscriber_io import make_list, run


def analyses(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables "
            "WHERE relname = 'subscriptions'")) or 0)


def test_a_growing_import_reanalyses_the_tables_as_it_doubles_them(_postgres_db: Database
                                                                   ) -> None:
    db = _postgres_db
    list_id = make_list(db, "growing")
    before = analyses(db)
    rows = "\n".join(f"reader{n}@example.net,Reader {n}" for n in range(2 * ANALYZE_FIRST))
    report = run(db, list_id, f"email,name\n{rows}\n", batch_size=500)
    assert report.created == 2 * ANALYZE_FIRST
    # At ANALYZE_FIRST created rows, and again once that has doubled (statistics are
    # counted by the server's collector a moment later, hence "at least one").
    assert analyses(db) >= before + 1
