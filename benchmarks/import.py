"""Speed and memory of the subscriber CSV import, against a bare bulk insert, as a table.

Usage (from the repository root)::

    python -m benchmarks.import [--rows 100000] [--small 10000] [--batch-size 1000]
                                [--databases sqlite,postgresql]

Generates a CSV of unique addresses with a name and one extra column (city), then imports the
first `--small` rows and all `--rows` rows, each into a fresh database: a SQLite file in a
temporary directory, or a scratch database on the machine's PostgreSQL
(BRIEFING_TEST_POSTGRES_URL's server, dropped afterwards). The same rows are then written into
another fresh database of the same kind by a bare bulk insert (`benchmarks/bare_insert.py`),
in the same run: absolute rows/s vary threefold between machines here, the ratio
import ÷ bare insert much less. Each run happens in its own child process, so the peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`) belongs to that run alone and the runs are comparable:
a streaming import should peak at about the same memory whatever the file size.

The last line is ``RESULT rows_per_s=<n> ratio=<r> postgresql_rows_per_s=<n>
postgresql_ratio=<r> peak_rss_mb_10k=<n> peak_rss_mb_100k=<n>`` (from the large runs; the
unprefixed keys are SQLite's, and peak memory is the import's on SQLite).
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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


def child(mode: str, csv_path: Path, url: str, batch_size: int) -> None:
    """One measured run (`import` or `bare`) in this fresh process; prints one JSON line."""
    from benchmarks.bare_insert import bare_insert
    from briefing.core.db import Database, upgrade
    from briefing.core.models import MailingList
    from briefing.subscribers.transfer import import_csv

    db = Database(url)
    upgrade(db)
    with db.session() as session:
        mailing_list = MailingList(slug="bench", name="Bench", from_name="Bench",
                                   from_address="bench@example.com")
        session.add(mailing_list)
        session.flush()
        list_id = mailing_list.id
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if mode == "bare":
        rows = created = bare_insert(db, list_id, csv_path, batch_size)
        rejected = 0
    else:
        with csv_path.open("rb") as stream:
            report = import_csv(db, list_id, stream, batch_size=batch_size)
        rows, created, rejected = report.rows, report.created, report.rejected_count
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    db.dispose()
    print(json.dumps({"rows": rows, "created": created, "rejected": rejected,
                      "seconds": seconds, "before_mb": before_kb / 1024,
                      "peak_mb": peak_kb / 1024}))


@contextmanager
def fresh_database(kind: str, workdir: Path, name: str) -> Iterator[str]:
    """The URL of an empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / name}.db"
        return
    from tests.support.databases import scratch_postgres

    with scratch_postgres("briefing_import") as url:
        yield url


def measure(mode: str, csv_path: Path, kind: str, workdir: Path,
            batch_size: int) -> dict[str, float]:
    with fresh_database(kind, workdir, f"{mode}-{csv_path.stem}") as url:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.import", "--child", mode, str(csv_path), url,
             str(batch_size)], cwd=ROOT, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["created"] != result["rows"] or result["rejected"]:
        raise SystemExit(f"{mode} of {csv_path.name} was incomplete: {result}")
    return result


@dataclass
class Pair:
    database: str
    imported: dict[str, float]
    bare: dict[str, float]

    @property
    def rows(self) -> int:
        return int(self.imported["rows"])

    def rate(self, run: dict[str, float]) -> float:
        return run["rows"] / run["seconds"]

    @property
    def ratio(self) -> float:
        return self.rate(self.imported) / self.rate(self.bare)


def table(pairs: list[Pair]) -> str:
    lines = ["| database | rows | import s | import rows/s | bare insert rows/s | ratio "
             "| RSS before import MB | peak RSS MB (import) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for p in pairs:
        lines.append(f"| {p.database} | {p.rows:,} | {p.imported['seconds']:.2f} "
                     f"| {p.rate(p.imported):,.0f} | {p.rate(p.bare):,.0f} | {p.ratio:.2f} "
                     f"| {p.imported['before_mb']:.1f} | {p.imported['peak_mb']:.1f} |")
    return "\n".join(lines)


def result_line(pairs: list[Pair]) -> str:
    large = {p.database: p for p in pairs[1::2]}  # each database: small run, then large
    parts = []
    for database, pair in large.items():
        prefix = "" if database == "sqlite" else f"{database}_"
        parts += [f"{prefix}rows_per_s={pair.rate(pair.imported):.0f}",
                  f"{prefix}ratio={pair.ratio:.2f}"]
    first = next(iter(large.values()))
    small = next(p for p in pairs if p.database == first.database)
    return (f"RESULT {' '.join(parts)} peak_rss_mb_10k={small.imported['peak_mb']:.1f} "
            f"peak_rss_mb_100k={first.imported['peak_mb']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    pairs = []
    with tempfile.TemporaryDirectory(prefix="briefing-import-") as tmp:
        workdir = Path(tmp)
        large, small = workdir / "large.csv", workdir / "small.csv"
        write_csv(large, args.rows)
        head(large, small, args.small)
        for kind in args.databases.split(","):
            for path in (small, large):
                print(f"{kind}: {path.stem} file", flush=True)
                pairs.append(Pair(kind, measure("import", path, kind, workdir, args.batch_size),
                                  measure("bare", path, kind, workdir, args.batch_size)))
    print(table(pairs))
    print(result_line(pairs))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        main()
