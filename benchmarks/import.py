"""Speed and memory of the subscriber CSV import on SQLite, as a Markdown table.

Usage (from the repository root)::

    python -m benchmarks.import [--rows 100000] [--small 10000] [--batch-size 1000]

Generates a CSV of unique addresses with a name and one extra column (city), then imports the
first `--small` rows and all `--rows` rows, each into a fresh SQLite database in a temporary
directory.  Each run happens in its own child process, so the peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`) belongs to that run alone and the two are comparable:
a streaming import should peak at about the same memory whatever the file size.

The last line is ``RESULT rows_per_s=<n> peak_rss_mb_10k=<n> peak_rss_mb_100k=<n>``
(rows_per_s from the large run).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST = ("Ann", "Bob", "Chiara", "Dev", "Eva", "Femi", "Greta", "Hiro", "Ines", "José")
LAST = ("Morgan", "Okafor", "Rossi", "Patel", "Novák", "Adeyemi", "Berg", "Tanaka", "Silva")
DOMAINS = ("example.com", "example.org", "mail.example.net", "post.example.co.uk")
CITIES = ("Oslo", "Lagos", "Rome", "Pune", "Brno", "Kyoto", "Lisbon")


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "city"])
        for i in range(rows):
            first, last = FIRST[i % len(FIRST)], LAST[i // len(FIRST) % len(LAST)]
            email = f"{first.lower()}.{last.lower()}.{i}@{DOMAINS[i % len(DOMAINS)]}"
            writer.writerow([email.replace("é", "e").replace("á", "a"), f"{first} {last}",
                             CITIES[i % len(CITIES)]])


def head(source: Path, target: Path, rows: int) -> None:
    with source.open("rb") as src, target.open("wb") as out:
        for _ in range(rows + 1):
            out.write(src.readline())


def child(csv_path: Path, db_path: Path, batch_size: int) -> None:
    """One measured import in this (fresh) process; prints one JSON line."""
    from briefing.core.db import Database, upgrade
    from briefing.core.models import MailingList
    from briefing.subscribers.transfer import import_csv

    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    with db.session() as session:
        mailing_list = MailingList(slug="bench", name="Bench", from_name="Bench",
                                   from_address="bench@example.com")
        session.add(mailing_list)
        session.flush()
        list_id = mailing_list.id
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with csv_path.open("rb") as stream:
        report = import_csv(db, list_id, stream, batch_size=batch_size)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": report.rows, "created": report.created,
                      "rejected": report.rejected_count, "seconds": seconds,
                      "before_mb": before_kb / 1024, "peak_mb": peak_kb / 1024}))


def measure(csv_path: Path, workdir: Path, batch_size: int) -> dict[str, float]:
    db_path = workdir / f"{csv_path.stem}.db"
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), str(db_path), str(batch_size)],
        check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["created"] != result["rows"] or result["rejected"]:
        raise SystemExit(f"import of {csv_path.name} was incomplete: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefing-import-") as tmp:
        workdir = Path(tmp)
        large, small = workdir / "large.csv", workdir / "small.csv"
        write_csv(large, args.rows)
        head(large, small, args.small)
        results = [measure(path, workdir, args.batch_size) for path in (small, large)]
    print("| rows | seconds | rows/s | RSS before import MB | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {int(r['rows']):,} | {r['seconds']:.2f} | {r['rows'] / r['seconds']:,.0f} "
              f"| {r['before_mb']:.1f} | {r['peak_mb']:.1f} |")
    rate = results[1]["rows"] / results[1]["seconds"]
    print(f"RESULT rows_per_s={rate:.0f} peak_rss_mb_10k={results[0]['peak_mb']:.1f} "
          f"peak_rss_mb_100k={results[1]['peak_mb']:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
