"""Delivery speed and memory: one edition through the real pipeline into a counting SMTP sink.

Usage (from the repository root)::

    python -m benchmarks.deliver [--subscribers 100000] [--quick] [--broker redis|rabbitmq|both]
                                 [--database sqlite|postgresql|both] [--processes 1,2,4]
                                 [--commit-every N] [--py-spy DIR]

Each pipeline run gets a fresh database (`--database`: a SQLite file in a temporary folder, or
a scratch database on the PostgreSQL server at BRIEFING_TEST_POSTGRES_URL, 127.0.0.1:5432 as
the tests use, dropped afterwards; readers bulk-inserted), a private broker (`--broker`: a
`redis-server`, or a RabbitMQ node of its own; `both` runs each in turn), a real
`celery -A workers worker --concurrency=N` (no beat) and a fresh sink process
(`tests/support/sink.py`). N is each of `--processes` in turn (default 2): N worker pool
processes, and BRIEFING_SEND_CONCURRENCY=N, so N SMTP connections send the edition, which the
worker builds through `workers.dispatch.build_editions`. Speed is taken at the sink, from its
first accepted message to its last.

The ceiling is measured once per invocation and shared by every run: what 2 connections
manage with nothing but a bare smtplib loop (`sendmail` of one reader's finished copy from
the pipeline), into a fresh sink.

Peak RSS is each process's VmHWM from /proc (no extra dependency): the worker's parent and
pool children, the sink, and this script. A 10,000-reader run comes first so the table shows
whether memory grows with the number of readers. Everything started here is stopped on the
way out, Ctrl-C and failures included.

The last line is ``RESULT msgs_per_s=<n> ceiling_msgs_per_s=<n> ratio=<r> peak_rss_mb=<n>``
(msgs_per_s and ratio from the largest SQLite run with 2 processes; peak_rss_mb is the largest
process of the largest runs). With `--broker both`, msgs_per_s and ratio come once per broker,
as redis_msgs_per_s=… and so on. Other databases and process counts add their own keys:
postgresql_msgs_per_s / postgresql_ratio (2 processes), and with a `--processes` list,
sqlite_ratio_p1=…, postgresql_ratio_p4=… for every count (see `benchmarks/deliver_report.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.brokers import BROKERS, broker_server
from benchmarks.deliver_report import (
    DEFAULT_PROCESSES,
    Conditions,
    Run,
    Setup,
    markdown,
    result_line,
    results_path,
)
from benchmarks.processes import (
    celery_worker,
    cpu_seconds,
    group_members,
    peak_rss_mb,
    py_spy,
)
from tests.support.sink import Sink

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "deliver.md"
SLUG = "daily"
CONNECTIONS = 2            # the ceiling's smtplib loops (the pipeline's default too)
DATABASES = ("sqlite", "postgresql")
CEILING_MESSAGES = 20_000
SEED_CHUNK = 5_000         # readers per INSERT batch: keeps this script's memory flat


# --- Seeding: also used by tests/delivery/test_delivery_crash.py ---------------------------

def reader_email(n: int) -> str:
    return f"reader{n}@example.net"


def seed_list(db: Any, active: int, *, inactive: int = 0, slug: str = SLUG) -> int:
    """A list with `active` readers (reader0…) and `inactive` unsubscribed ones after them."""
    from briefing.subscribers.lists import ListChanges, create_list

    mailing_list = create_list(db, slug, ListChanges(
        name="Daily Briefing", from_address="news@briefing.example.org"))
    total = active + inactive
    for first in range(0, total, SEED_CHUNK):
        _insert_readers(db, mailing_list.id, range(first, min(total, first + SEED_CHUNK)),
                        active)
    return mailing_list.id


def _insert_readers(db: Any, list_id: int, numbers: range, active: int) -> None:
    from sqlalchemy import insert

    from briefing.core.models import ConsentSource, Subscriber, Subscription, SubscriptionStatus

    people = [{"email": reader_email(n), "email_key": reader_email(n), "name": f"Reader {n}"}
              for n in numbers]
    with db.session() as session:
        ids = session.scalars(insert(Subscriber).returning(
            Subscriber.id, sort_by_parameter_order=True), people).all()
        session.execute(insert(Subscription), [
            {"list_id": list_id, "subscriber_id": subscriber_id,
             "consent_source": ConsentSource.IMPORT,
             "status": SubscriptionStatus.ACTIVE if n < active
             else SubscriptionStatus.UNSUBSCRIBED}
            for n, subscriber_id in zip(numbers, ids, strict=True)])


def seed_articles(db: Any, settings: Any, count: int = 5) -> list[int]:
    """The first `count` seed articles, stored and summarized in this process."""
    from briefing.ingest import adding as ingest
    from briefing.operations import jobs

    ids = []
    for path in ingest.seed_files(ROOT / "seeds")[:count]:
        with db.session() as session:
            ids.append(ingest.add_article(session, ingest.from_file(path)).article_id)
    for article_id in ids:
        assert jobs.summarize_article(db, article_id, settings) == "summarized"
    return ids


def enqueue_edition(db: Any, settings: Any, slug: str = SLUG) -> int:
    """Today's edition for the list, built (and then sent) by whichever worker takes it."""
    from briefing.editions.service import ensure_edition
    from workers import dispatch
    from workers.app import setup

    edition_id, _ = ensure_edition(db, slug)
    setup(settings)
    if not dispatch.build_editions([edition_id]):
        raise RuntimeError("the broker refused the build_edition task")
    return edition_id


def bench_env(workdir: Path, broker_url: str, sink: Sink, processes: int,
              database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_BROKER_URL": broker_url,
                "BRIEFING_SECRET_KEY": "b" * 40, "BRIEFING_API_TOKEN": "bench",
                "BRIEFING_SEND_CONCURRENCY": str(processes), "BRIEFING_LOG_LEVEL": "WARNING",
                "BRIEFING_SEND_COMMIT_EVERY": str(OPTIONS["commit_every"]), **sink.env()})
    if database_url is not None:  # None: SQLite in the data dir
        env["BRIEFING_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str | None]:
    """BRIEFING_DATABASE_URL of an empty database of `kind` (None: SQLite in the run's data
    dir), removed afterwards."""
    if kind == "sqlite":
        yield None
        return
    from tests.support.databases import scratch_postgres

    with scratch_postgres("bench_deliver") as url:
        yield url


def run_pipeline(readers: int, workdir: Path, setup: Setup, broker_url: str,
                 spy: Path | None) -> tuple[Run, tuple[str, str, bytes]]:
    """One edition to `readers` through `setup`, and one reader's copy as it was sent."""
    workdir.mkdir(parents=True)
    with fresh_database(setup.database) as database_url, Sink() as sink:
        env = bench_env(workdir, broker_url, sink, setup.processes, database_url)
        run = _deliver(readers, env, sink, setup, spy)
        copy = pipeline_copy(env)
    return run, copy


def _deliver(readers: int, env: dict[str, str], sink: Sink, setup: Setup,
             spy: Path | None) -> Run:
    from briefing.core.config import load_settings
    from briefing.core.db import Database, upgrade

    settings = load_settings(env)
    db = Database(settings.database_url)
    try:
        upgrade(db)
        started = time.monotonic()
        seed_list(db, readers)
        seed_articles(db, settings)
        refresh_statistics(db)
        print(f"  seeded {readers:,} readers in {time.monotonic() - started:.1f} s", flush=True)
        with celery_worker(env, Path(env["BRIEFING_DATA_DIR"]) / "worker.log",
                           setup.processes) as worker:
            edition_id = enqueue_edition(db, settings)
            wait_for_first(sink, worker)
            children = [pid for pid in group_members(worker.pid) if pid != worker.pid]
            before = _cpu(children, sink.pid)
            with py_spy(children, spy):
                wait_until_sent(db, edition_id, sink, readers, worker)
            stats = sink.stats()
            after = _cpu(children, sink.pid)
            rss = process_memory(worker.pid, sink.pid)
    finally:
        db.dispose()  # a scratch PostgreSQL database is dropped only without connections
    label = f"pipeline, {setup.database}, {setup.broker}, {setup.processes} processes, " \
            f"{readers:,} readers"
    return Run(label, stats.messages, stats.seconds, rss,
               {name: after[name] - before[name] for name in after}, setup, readers)


def refresh_statistics(db: Any) -> None:
    """PostgreSQL: plan from the seeded list's statistics, as for a list that grew through
    imports (they re-analyse as they go) or sat long enough for autovacuum. Planned from an
    empty table's, the departed-reader check read the whole list every batch."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE subscribers, subscriptions"))
            connection.commit()


def _cpu(senders: list[int], sink_pid: int) -> dict[str, float]:
    return {"senders": sum(cpu_seconds(pid) for pid in senders), "sink": cpu_seconds(sink_pid)}


def process_memory(worker_pid: int, sink_pid: int) -> dict[str, float]:
    children = [pid for pid in group_members(worker_pid) if pid != worker_pid]
    rss = {"worker parent": peak_rss_mb(worker_pid)}
    rss.update({f"worker child {n}": peak_rss_mb(pid) for n, pid in enumerate(children, 1)})
    rss.update({"sink": peak_rss_mb(sink_pid), "script": peak_rss_mb(os.getpid())})
    return rss


def wait_for_first(sink: Sink, worker: subprocess.Popen[bytes]) -> None:
    while sink.stats().messages == 0:
        _check_alive(worker)
        time.sleep(0.05)


def wait_until_sent(db: Any, edition_id: int, sink: Sink, readers: int,
                    worker: subprocess.Popen[bytes]) -> None:
    from briefing.core.models import Edition, EditionStatus

    last_report = time.monotonic()
    while True:
        _check_alive(worker)
        if sink.stats().messages >= readers:
            with db.session() as session:
                edition = session.get(Edition, edition_id)
                if edition is not None and edition.status == EditionStatus.SENT:
                    return
        if time.monotonic() - last_report > 10:
            print(f"  … {sink.stats().messages:,} sent", flush=True)
            last_report = time.monotonic()
        time.sleep(0.2)


def _check_alive(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        raise RuntimeError(f"the celery worker exited with code {worker.returncode}")


def pipeline_copy(env: dict[str, str]) -> tuple[str, str, bytes]:
    """(sender, recipient, message) of one reader's copy exactly as the pipeline builds it."""
    from sqlalchemy import select

    from briefing.core.config import load_settings
    from briefing.core.db import Database
    from briefing.core.models import Delivery
    from briefing.delivery import claims
    from briefing.delivery import send_edition as deliver

    settings = load_settings(env)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            row = session.execute(select(Delivery).order_by(Delivery.id).limit(1)).scalar_one()
            claimed = claims.Claimed(row.id, row.email, row.name, row.subscriber_id,
                                      row.subscription_id, row.attempts)
        prepared, domain = deliver.prepared_message(db, row.edition_id, settings)
        reader = deliver.reader_for(claimed, row.edition_id, settings, domain)
    finally:
        db.dispose()
    envelope = prepared.for_reader(reader)
    return envelope.sender, envelope.recipient, envelope.data


def _smtplib_loop(port: int, copy: tuple[str, str, bytes], count: int,
                  results: Any) -> None:
    sender, recipient, data = copy
    started = time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for _ in range(count):
            connection.sendmail(sender, [recipient], data)
    results.put((peak_rss_mb(os.getpid()), time.process_time() - started))


def run_ceiling(copy: tuple[str, str, bytes], messages: int) -> Run:
    # spawn, not fork: a forked child would count this script's pages as its own memory.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with Sink() as sink:
        loops = [context.Process(target=_smtplib_loop,
                                 args=(sink.port, copy, messages // CONNECTIONS, results))
                 for _ in range(CONNECTIONS)]
        for loop in loops:
            loop.start()
        sink_before = cpu_seconds(sink.pid)
        reports = [results.get(timeout=600) for _ in loops]
        for loop in loops:
            loop.join()
        stats = sink.stats()
        rss = {f"smtplib loop {n}": mb for n, (mb, _) in enumerate(reports, 1)}
        rss["sink"] = peak_rss_mb(sink.pid)
        cpu = {"senders": sum(seconds for _, seconds in reports),
               "sink": cpu_seconds(sink.pid) - sink_before}
    return Run(f"ceiling: bare smtplib, {CONNECTIONS} connections", stats.messages,
               stats.seconds, rss, cpu, None, messages)


# --- Runs and report ------------------------------------------------------------------------

def measure(sizes: list[int], setups: list[Setup], workdir: Path, spy: Path | None
            ) -> tuple[list[Run], Run, int]:
    """Every size through every setup, then the one ceiling they are all compared with."""
    runs = []
    copy: tuple[str, str, bytes] | None = None
    # Importing `workers` reads the environment: keep this process off ./var and the .env.
    os.environ.update({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_SECRET_KEY": "b" * 40})
    for broker in dict.fromkeys(setup.broker for setup in setups):
        with broker_server(broker, workdir / broker) as url:
            for setup in (s for s in setups if s.broker == broker):
                for readers in sizes:
                    print(f"pipeline: {setup.database}, {broker}, {setup.processes} "
                          f"processes, {readers:,} readers", flush=True)
                    name = f"{broker}-{setup.database}-p{setup.processes}-{readers}"
                    run, copy = run_pipeline(readers, workdir / f"run-{name}", setup, url,
                                             spy / name if spy else None)
                    runs.append(run)
                    print(f"  {run.rate:,.0f} msgs/s", flush=True)
    assert copy is not None
    print(f"ceiling: {CEILING_MESSAGES:,} messages over {CONNECTIONS} connections", flush=True)
    return runs, run_ceiling(copy, CEILING_MESSAGES), len(copy[2])


LOAD_BEFORE = os.getloadavg()
OPTIONS: dict[str, int] = {"commit_every": 1}


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with`, so cleanup runs


def process_counts(raw: str) -> list[int]:
    counts = [int(part) for part in raw.split(",") if part.strip()]
    if not counts or any(n < 1 or n > 64 for n in counts):
        raise argparse.ArgumentTypeError("expected counts from 1 to 64, like 1,2,4")
    return counts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="only the 10,000-reader run")
    parser.add_argument("--broker", choices=[*BROKERS, "both"], default="redis",
                        help="the Celery broker of the pipeline runs (both: one after the "
                             "other, against one ceiling)")
    parser.add_argument("--database", choices=[*DATABASES, "both"], default=None,
                        help="where the deliveries live (default sqlite; postgresql: a "
                             "scratch database per run; both: one after the other)")
    parser.add_argument("--processes", type=process_counts, default=[DEFAULT_PROCESSES],
                        metavar="N[,N…]", help="worker processes and SMTP connections, each "
                        f"count in turn (default {DEFAULT_PROCESSES})")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="DIR",
                        help="sample the worker children with py-spy into DIR")
    parser.add_argument("--commit-every", type=int, default=1, metavar="N",
                        help="BRIEFING_SEND_COMMIT_EVERY for the workers (default 1: exact)")
    return parser.parse_args()


def setups_of(args: argparse.Namespace) -> list[Setup]:
    brokers = list(BROKERS) if args.broker == "both" else [args.broker]
    chosen = args.database or "sqlite"
    databases = list(DATABASES) if chosen == "both" else [chosen]
    # Databases alternate within each process count, so a change in the machine's load
    # during the invocation (other jobs share it) falls on both rather than on the last.
    return [Setup(broker, database, processes) for broker in brokers
            for processes in args.processes for database in databases]


def main() -> None:
    args = parse_args()
    OPTIONS["commit_every"] = args.commit_every
    signal.signal(signal.SIGTERM, _terminate)
    sizes = [10_000] if args.quick else sorted({10_000, args.subscribers})
    with tempfile.TemporaryDirectory(prefix="bench-deliver-") as folder:
        runs, ceiling, message_bytes = measure(sizes, setups_of(args), Path(folder),
                                               args.py_spy)
    table = markdown(runs, ceiling, Conditions(message_bytes, CONNECTIONS,
                                               args.commit_every, LOAD_BEFORE[0]))
    print(table)
    result = result_line(runs, ceiling)
    if not args.quick:
        write_results(args, table, result)
    print(result)


def write_results(args: argparse.Namespace, table: str, result: str) -> None:
    path = results_path(RESULTS, args.broker, args.database, args.processes)
    command = (f"python -m benchmarks.deliver --subscribers {args.subscribers} --broker "
               f"{args.broker} --commit-every {args.commit_every}")
    if args.database is not None:
        command += f" --database {args.database}"
    if args.processes != [DEFAULT_PROCESSES]:
        command += f" --processes {','.join(str(n) for n in args.processes)}"
    path.write_text(f"# Delivery: pipeline vs bare smtplib\n\nCommand: `{command}`\n\n"
                    f"{table}\n\n`{result}`\n")


if __name__ == "__main__":
    main()
