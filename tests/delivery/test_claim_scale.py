"""Claiming stays cheap however much of an edition has gone out.

A million-reader edition is claimed 200 rows at a time, 5,000 times. If a claim reads the
rows sent before it, the send slows down as it goes (quadratic in the readers); each claim
must read only the rows it takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from benchmarks.deliver import seed_list
from briefing.core.clock import utcnow
from briefing.core.db import Database, upgrade
from briefing.core.models import Delivery, DeliveryStatus, Edition, EditionStatus, Subscription
from briefing.delivery import claims
from tests.support.databases import scratch_postgres

READERS = 10_000
SENT = 9_000
BATCH = 200


@pytest.fixture
def postgres_db() -> Iterator[Database]:
    with scratch_postgres("briefing_claims") as url:
        db = Database(url)
        upgrade(db)
        yield db
        db.dispose()


def edition_partly_sent(db: Database) -> tuple[int, int]:
    """An edition to READERS readers whose first SENT deliveries are sent; (its id, the id of
    its first queued delivery)."""
    list_id = seed_list(db, READERS)
    with db.session() as session:
        edition = Edition(list_id=list_id, edition_date=utcnow().date(),
                          status=EditionStatus.SENDING)
        session.add(edition)
        session.flush()
        readers = session.execute(select(Subscription.id, Subscription.subscriber_id)
                                  .order_by(Subscription.id)).all()
        ids = session.scalars(insert(Delivery).returning(
            Delivery.id, sort_by_parameter_order=True), [
            {"edition_id": edition.id, "subscription_id": subscription, "subscriber_id": who,
             "email": f"reader{n}@example.net",
             "status": DeliveryStatus.SENT if n < SENT else DeliveryStatus.QUEUED}
            for n, (subscription, who) in enumerate(readers)]).all()
        return edition.id, ids[SENT]


def scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Scan" in plan["Node Type"]:
        yield plan
    for child in plan.get("Plans", []):
        yield from scans(child)


def test_a_claim_reads_only_the_rows_it_takes_after_most_were_sent(postgres_db: Database
                                                                    ) -> None:
    edition_id, first_queued = edition_partly_sent(postgres_db)
    with postgres_db.engine.begin() as conn:
        conn.execute(text("ANALYZE deliveries"))
        statement = claims.due_rows(edition_id, utcnow(), BATCH).compile(
            postgres_db.engine, compile_kwargs={"literal_binds": True})
        plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")).scalar_one()
    read = [node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            for node in scans(plan[0]["Plan"])]
    assert read and max(read) <= BATCH, plan  # not the 9,000 sent, nor all 1,000 queued

    _, claimed = claims.claim_batch(postgres_db, edition_id, BATCH)
    assert [c.id for c in claimed] == list(range(first_queued, first_queued + BATCH))
