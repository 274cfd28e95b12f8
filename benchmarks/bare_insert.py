"""The baseline of the import benchmark: the same rows bulk-inserted with nothing else.

No CSV parsing, no address checks, no look-ups of who is already there, no conflict handling:
each batch is one transaction with one executemany INSERT of subscribers and one of their
subscriptions, through the same SQLAlchemy engine the import uses. The database is fresh, so
the subscribers' ids are given rather than read back (the cheapest way there is). What the
import costs above this is the price of reading and checking a real file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.models import ConsentSource, Subscriber, Subscription, SubscriptionStatus


def bare_insert(db: Database, list_id: int, csv_path: Path, batch_size: int) -> int:
    """Insert every row of `csv_path` as an active subscriber of `list_id` into a database
    with no subscribers yet; returns the count."""
    from sqlalchemy import insert

    done = 0
    for batch in _batches(csv_path, batch_size):
        now = utcnow()
        ids = range(done + 1, done + len(batch) + 1)
        with db.session() as session:
            session.execute(insert(Subscriber), [
                {"id": subscriber_id, **_subscriber(row, now)}
                for subscriber_id, row in zip(ids, batch, strict=True)])
            session.execute(insert(Subscription), [
                {"list_id": list_id, "subscriber_id": subscriber_id,
                 "status": SubscriptionStatus.ACTIVE, "consent_source": ConsentSource.IMPORT,
                 "consent_at": now, "confirmed_at": now, "created_at": now, "updated_at": now}
                for subscriber_id in ids])
        done += len(batch)
    return done


def _subscriber(row: dict[str, str], now: Any) -> dict[str, Any]:
    # The import stores the address as given and lower-cased as its key; the rows here are
    # already lower case, so both are the address.
    return {"email": row["email"], "email_key": row["email"], "name": row["name"],
            "attributes": {"city": row["city"]}, "bounce_count": 0, "created_at": now,
            "updated_at": now}


def _batches(csv_path: Path, size: int) -> Iterator[list[dict[str, str]]]:
    # Streamed like the import, so memory stays flat; parsing is a small share of the time.
    with csv_path.open(newline="", encoding="utf-8") as stream:
        rows = csv.DictReader(stream)
        while batch := list(islice(rows, size)):
            yield batch
