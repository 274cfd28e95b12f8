"""How long one page of a list's readers takes at 100,000 readers: the admin's keyset pages
(start after the last address shown) against OFFSET pages (the JSON API's `offset`, the
usual way), on the same SQLite database in the same run.

    .venv/bin/python -m benchmarks.admin_pages [--readers 100000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from briefing.backoffice.browse import readers
from briefing.core.db import Database, upgrade
from briefing.subscribers.lists import ListChanges, create_list
from briefing.subscribers.subscriptions import list_subscribers
from briefing.subscribers.transfer import import_csv

PAGE = 50
RUNS = 7


def _seed(db: Database, count: int) -> int:
    list_id = create_list(db, "big", ListChanges(name="Big", from_address="a@example.org")).id
    lines = "\n".join(["email,name"] + [f"reader{n:06d}@example.com,Reader {n}"
                                        for n in range(count)])
    import_csv(db, list_id, io.BytesIO(lines.encode()), batch_size=5000)
    return list_id


def _median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=100_000)
    count = parser.parse_args().readers
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(db)
        list_id = _seed(db, count)
        rows = []
        for where in (0, count // 2, count - PAGE):
            after = f"reader{where - 1:06d}@example.com" if where else ""
            keyset = _median_ms(lambda a=after: readers(db, list_id, after=a, limit=PAGE))
            offset = _median_ms(lambda w=where: list_subscribers(db, "big", limit=PAGE,
                                                                 offset=w))
            rows.append((where, keyset, offset))
        db.dispose()
    print(f"{'page starting at reader':>24} | {'keyset ms':>9} | {'offset ms':>9}")
    print(f"{'-' * 24}-+-{'-' * 9}-+-{'-' * 9}")
    for where, keyset, offset in rows:
        print(f"{where:>24,} | {keyset:>9.1f} | {offset:>9.1f}")
    last = rows[-1]
    print(f"RESULT readers={count} keyset_last_ms={last[1]:.1f} offset_last_ms={last[2]:.1f} "
          f"keyset_first_ms={rows[0][1]:.1f} speedup_last={last[2] / last[1]:.1f}")


if __name__ == "__main__":
    main()
