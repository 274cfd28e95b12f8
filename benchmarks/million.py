"""Building an edition for a million readers and sending it: time, speed and peak memory.

For each size in `--sizes`, on SQLite and on PostgreSQL (the machine's server, a scratch
database), a fresh process seeds a list of that many readers (bulk inserts, as an import ends
up), then builds today's edition: compose, render once, and queue one delivery row per reader
(`INSERT … SELECT` in the database, so no reader passes through Python). Each size runs in its
own process so peak memory is that size's alone. Memory must not grow with the readers; the
build time should grow linearly (the baseline is the smallest size in the same run: time per
reader at each size against it).

With `--send` the built edition is then sent: a real `celery -A workers worker
--concurrency=2` over the machine's Redis (`--broker`, default redis://127.0.0.1:6379/12)
takes the two `send_edition` tasks (BRIEFING_SEND_CONCURRENCY=2) and sends into a fresh local
SMTP sink (`tests/support/sink.py`). Speed is taken at the sink, first accepted message to
last; the baseline is a bare smtplib loop over the same two connections sending one reader's
copy, measured once in the same run (after the first send). Peak RSS (VmHWM) is reported for
every process: the building process, the worker's parent and each pool child, and the sink
(which keeps a tally per recipient and Message-ID by design, to count duplicates: it is the
one process expected to grow with the readers).

    python -m benchmarks.million [--sizes 100000,1000000] [--databases sqlite,postgresql]
                                 [--send] [--broker redis://127.0.0.1:6379/12]
                                 [--results benchmarks/results/million.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "million.md"
BROKER = "redis://127.0.0.1:6379/12"  # the machine's Redis, a database number of its own
CEILING_MESSAGES = 20_000


def build_once(readers: int, database_url: str, workdir: Path) -> dict[str, float]:
    """Run in the child process: seed, then build; the figures as a dict."""
    from benchmarks.deliver import seed_articles, seed_list
    from briefing.core.config import load_settings
    from briefing.core.db import Database, upgrade
    from briefing.core.models import Delivery
    from briefing.editions.compose import build_edition
    from briefing.editions.service import ensure_edition

    settings = load_settings({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_SECRET_KEY": "m" * 40,
                              "BRIEFING_DATABASE_URL": database_url})
    db = Database(settings.database_url)
    upgrade(db)
    started = time.monotonic()
    seed_list(db, readers)
    seed_articles(db, settings, count=3)
    seeded = time.monotonic() - started
    rss_before_build = _peak_mb()
    edition_id, _ = ensure_edition(db, "daily")
    started = time.monotonic()
    build_edition(db, edition_id, settings)
    built = time.monotonic() - started
    with db.session() as session:
        queued = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.edition_id == edition_id))
    db.dispose()
    return {"readers": readers, "queued": float(queued or 0), "seed_s": seeded,
            "build_s": built, "peak_mb_before_build": rss_before_build, "peak_mb": _peak_mb(),
            "edition_id": edition_id}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def scratch_database(database: str) -> Iterator[tuple[str, Path]]:
    """(database URL, work folder) of a fresh database of that kind, gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-million-") as folder:
        if database == "sqlite":
            yield f"sqlite:///{folder}/briefing.db", Path(folder)
            return
        from tests.support.databases import scratch_postgres

        with scratch_postgres("briefing_million") as url:
            yield url, Path(folder)


def run_child(readers: int, url: str, folder: Path) -> dict[str, float]:
    code = ("import json, sys; from pathlib import Path; from benchmarks.million import "
            "build_once; print(json.dumps(build_once(int(sys.argv[1]), sys.argv[2], "
            "Path(sys.argv[3]))))")
    out = subprocess.run([sys.executable, "-c", code, str(readers), url, str(folder)], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


# --- Sending ------------------------------------------------------------------------------

@dataclass
class Sent:
    messages: int
    seconds: float
    recipients: int  # distinct recipients at the sink: each reader got the edition
    rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def worker_env(folder: Path, url: str, broker: str, sink: Any) -> dict[str, str]:
    from benchmarks.deliver import CONNECTIONS

    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update({"BRIEFING_DATA_DIR": str(folder), "BRIEFING_DATABASE_URL": url,
                "BRIEFING_BROKER_URL": broker, "BRIEFING_SECRET_KEY": "m" * 40,
                "BRIEFING_API_TOKEN": "bench", "BRIEFING_SEND_CONCURRENCY": str(CONNECTIONS),
                "BRIEFING_LOG_LEVEL": "WARNING", **sink.env()})
    return env


def send_once(edition_id: int, readers: int, url: str, folder: Path, broker: str) -> Sent:
    """Send the built edition through a real worker into a fresh sink."""
    from benchmarks.deliver import (
        CONNECTIONS,
        celery_worker,
        process_memory,
        wait_for_first,
        wait_until_sent,
    )
    from briefing.core.config import load_settings
    from briefing.core.db import Database
    from tests.support.sink import Sink
    from workers import dispatch
    from workers.app import setup

    with Sink() as sink:
        env = worker_env(folder, url, broker, sink)
        settings = load_settings(env)
        app = setup(settings)
        app.control.purge()  # a task left by an interrupted run would join this one
        db = Database(url)
        try:
            with celery_worker(env, folder / "worker.log", CONNECTIONS) as worker:
                if not dispatch.send_editions([edition_id], CONNECTIONS):
                    raise RuntimeError("the broker refused the send_edition tasks")
                wait_for_first(sink, worker)
                wait_until_sent(db, edition_id, sink, readers, worker)
                stats = sink.stats()
                rss = process_memory(worker.pid, sink.pid)
        finally:
            db.dispose()
    return Sent(stats.messages, stats.seconds, stats.recipients, rss)


def reader_copy(url: str, folder: Path) -> tuple[str, str, bytes]:
    """(sender, recipient, message) of the first reader's copy, as the pipeline builds it."""
    from sqlalchemy import select

    from briefing.core.config import load_settings
    from briefing.core.db import Database
    from briefing.core.models import Delivery
    from briefing.delivery import claims
    from briefing.delivery import send_edition as deliver

    settings = load_settings({"BRIEFING_DATA_DIR": str(folder), "BRIEFING_DATABASE_URL": url,
                              "BRIEFING_SECRET_KEY": "m" * 40})
    db = Database(url)
    with db.session() as session:
        row = session.execute(select(Delivery).order_by(Delivery.id).limit(1)).scalar_one()
        claimed = claims.Claimed(row.id, row.email, row.name, row.subscriber_id,
                                  row.subscription_id, row.attempts)
    prepared, domain = deliver.prepared_message(db, row.edition_id, settings)
    envelope = prepared.for_reader(deliver.reader_for(claimed, row.edition_id, settings, domain))
    db.dispose()
    return envelope.sender, envelope.recipient, envelope.data


# --- Report -------------------------------------------------------------------------------

@dataclass
class Row:
    database: str
    built: dict[str, float]
    sent: Sent | None = None


def build_table(rows: list[Row]) -> str:
    lines = ["| database | readers | seed s | build s | build µs/reader | × smallest | peak MB "
             "(seeded) | peak MB (built) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    smallest: dict[str, float] = {}
    for row in rows:
        r = row.built
        per_reader = r["build_s"] / r["readers"] * 1e6
        smallest.setdefault(row.database, per_reader)
        lines.append(f"| {row.database} | {int(r['readers']):,} | {r['seed_s']:.1f} | "
                     f"{r['build_s']:.1f} | {per_reader:.1f} | "
                     f"{per_reader / smallest[row.database]:.2f} | "
                     f"{r['peak_mb_before_build']:.0f} | {r['peak_mb']:.0f} |")
    return "\n".join(lines)


def send_table(rows: list[Row], ceiling: float) -> str:
    lines = ["| database | readers | build s | send s | msgs/s | bare smtplib msgs/s | ratio "
             "| build MB | worker parent MB | worker children MB | sink MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if row.sent is None:
            continue
        s, mb = row.sent, row.sent.rss_mb
        children = " / ".join(f"{v:.0f}" for k, v in mb.items() if k.startswith("worker child"))
        lines.append(f"| {row.database} | {int(row.built['readers']):,} | "
                     f"{row.built['build_s']:.1f} | {s.seconds:.0f} | {s.rate:,.0f} | "
                     f"{ceiling:,.0f} | {s.rate / ceiling if ceiling else 0:.2f} | "
                     f"{row.built['peak_mb']:.0f} | {mb['worker parent']:.0f} | {children} | "
                     f"{mb['sink']:.0f} |")
    return "\n".join(lines)


def _size_key(readers: float) -> str:
    n = int(readers)
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def result_line(rows: list[Row], ceiling: float) -> str:
    parts = [f"{r.database}_{int(r.built['readers'])}_build_s={r.built['build_s']:.1f} "
             f"{r.database}_{int(r.built['readers'])}_peak_mb={r.built['peak_mb']:.0f}"
             for r in rows]
    for database in dict.fromkeys(r.database for r in rows):
        mine = [r for r in rows if r.database == database]
        parts.append(f"{database}_memory_growth="
                     f"{mine[-1].built['peak_mb'] / mine[0].built['peak_mb']:.2f}")
    workers: dict[str, float] = {}
    for r in rows:
        if r.sent is None:
            continue
        key = f"{r.database}_{_size_key(r.built['readers'])}"
        parts += [f"{key}_msgs_per_s={r.sent.rate:.0f}",
                  f"{key}_ratio={r.sent.rate / ceiling if ceiling else 0:.2f}"]
        size = _size_key(r.built["readers"])
        worker = max(v for k, v in r.sent.rss_mb.items() if k.startswith("worker"))
        workers[size] = max(workers.get(size, 0.0), worker)
    parts += [f"worker_peak_mb_{size}={mb:.0f}" for size, mb in workers.items()]
    if ceiling:
        parts.append(f"ceiling_msgs_per_s={ceiling:.0f}")
    return "RESULT " + " ".join(parts)


def report(rows: list[Row], ceiling: float, command: str) -> str:
    text = f"# Building an edition for a million readers\n\nCommand: `{command}`\n\n"
    text += build_table(rows) + "\n"
    if any(r.sent for r in rows):
        text += ("\n" + send_table(rows, ceiling) + "\n\nSent through a real Celery worker "
                 "(2 pool processes, BRIEFING_SEND_CONCURRENCY=2) over the machine's Redis into "
                 "a local sink; msgs/s at the sink, first message to last. bare smtplib: "
                 f"{CEILING_MESSAGES:,} copies over 2 connections, same run. build MB is the "
                 "building process; the sink keeps a tally per recipient. "
                 f"{os.cpu_count()} CPUs, load average before the run {LOAD_BEFORE[0]:.1f}.\n")
    return text + f"\n`{result_line(rows, ceiling)}`\n"


LOAD_BEFORE = os.getloadavg()


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with`: worker and sink stop too


def main() -> None:
    from benchmarks.deliver import run_ceiling

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--send", action="store_true",
                        help="also send each edition through a Celery worker into a sink")
    parser.add_argument("--broker", default=BROKER)
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="markdown file to write (after every size)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    sizes = [int(s) for s in args.sizes.split(",")]
    command = "python -m benchmarks.million " + " ".join(sys.argv[1:])
    rows: list[Row] = []
    ceiling = 0.0
    for database in args.databases.split(","):
        for readers in sizes:
            print(f"{database}: {readers:,} readers", file=sys.stderr, flush=True)
            with scratch_database(database) as (url, folder):
                row = Row(database, run_child(readers, url, folder))
                print(f"  built in {row.built['build_s']:.1f} s", file=sys.stderr, flush=True)
                if args.send:
                    row.sent = send_once(int(row.built["edition_id"]), readers, url, folder,
                                         args.broker)
                    print(f"  sent {row.sent.messages:,} at {row.sent.rate:,.0f} msgs/s, "
                          f"{row.sent.rss_mb}", file=sys.stderr, flush=True)
                    if not ceiling:
                        ceiling = run_ceiling(reader_copy(url, folder), CEILING_MESSAGES).rate
                        print(f"  bare smtplib: {ceiling:,.0f} msgs/s", file=sys.stderr,
                              flush=True)
            rows.append(row)
            # Written after every size, so a long run that is stopped keeps what it measured.
            args.results.write_text(report(rows, ceiling, command))
    print(build_table(rows))
    if args.send:
        print(send_table(rows, ceiling))
    print(result_line(rows, ceiling))


if __name__ == "__main__":
    main()
