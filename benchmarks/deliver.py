"""Delivery speed and memory: one edition through the real pipeline into a counting SMTP sink.

Usage (from the repository root)::

    python -m benchmarks.deliver [--subscribers 100000] [--quick] [--py-spy DIR]
        [--database sqlite|postgresql] [--processes N]

Each pipeline run gets a fresh SQLite database in a temporary folder (readers bulk-inserted),
a private `redis-server`, a real `celery -A workers worker --concurrency=2` (no beat) and a
fresh sink process (`tests/support/sink.py`). The edition is built by the worker through
`workers.dispatch.build_editions`, with BRIEFING_SEND_CONCURRENCY=2, so two SMTP connections
send it. Speed is taken at the sink, from its first accepted message to its last.

The ceiling is what the same two connections manage with nothing but a bare smtplib loop
(`sendmail` of one reader's finished copy from the pipeline), into a fresh sink.

Peak RSS is each process's VmHWM from /proc (no extra dependency): the worker's parent and
pool children, the sink, and this script. A 10,000-reader run comes first so the table shows
whether memory grows with the number of readers. Everything started here is stopped on the
way out, Ctrl-C and failures included.

With `--database postgresql` each run gets a scratch database on the PostgreSQL server at
BRIEFING_TEST_POSTGRES_URL (default 127.0.0.1:5432, as the tests use), dropped afterwards.
`--processes N` runs N worker pool processes and N SMTP connections (and N smtplib loops for
the ceiling) instead of 2.

The last line is ``RESULT msgs_per_s=<n> ceiling_msgs_per_s=<n> ratio=<r> peak_rss_mb=<n>``
(msgs_per_s and peak_rss_mb from the largest run; peak_rss_mb is its largest process).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.databases import scratch_postgres
from tests.support.sink import Sink

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "deliver.md"
SLUG = "daily"
CONNECTIONS = 2            # BRIEFING_SEND_CONCURRENCY, and the ceiling's smtplib loops
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


# --- Processes we start, and their memory -----------------------------------------------------

def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far: robust where wall time suffers from a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_members(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                # Field 5 of stat is the process group; the name in (…) may hold spaces.
                if int((entry / "stat").read_text().rpartition(")")[2].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return sorted(pids)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for_redis(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_redis(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start on port {port}")


@contextlib.contextmanager
def celery_worker(env: dict[str, str], logfile: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`celery worker` (no beat) in its own process group, stopped with all its children."""
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker",
               f"--concurrency={connections()}", "--loglevel=WARNING", "--without-gossip",
               "--without-mingle", "--without-heartbeat", f"--logfile={logfile}"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def py_spy(pids: list[int], folder: Path | None) -> Iterator[None]:
    """Optionally sample each worker child with py-spy for the whole run."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    beside = Path(sys.executable).with_name("py-spy")  # installed into this virtualenv?
    binary = str(beside) if beside.exists() else "py-spy"
    spies = [subprocess.Popen([binary, "record", "--pid", str(pid), "--format", "raw",
                               "--rate", "200", "--output", str(folder / f"worker-{pid}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid in pids]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for spy in spies:
            spy.wait(timeout=60)


# --- Runs ---------------------------------------------------------------------------------------

@dataclass
class Run:
    label: str
    messages: int
    seconds: float
    rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)  # "senders" and "sink"

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def bench_env(workdir: Path, redis_url: str, sink: Sink) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(database_env(workdir))
    env.update({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_BROKER_URL": redis_url,
                "BRIEFING_SECRET_KEY": "b" * 40, "BRIEFING_API_TOKEN": "bench",
                "BRIEFING_SEND_CONCURRENCY": str(connections()), "BRIEFING_LOG_LEVEL": "WARNING",
                "BRIEFING_SEND_COMMIT_EVERY": str(OPTIONS["commit_every"]), **sink.env()})
    return env


def connections() -> int:
    """Worker pool processes, SMTP connections and ceiling loops: one each per process."""
    return int(OPTIONS["processes"])


def database_env(workdir: Path) -> dict[str, str]:
    """BRIEFING_DATABASE_URL for the run in `workdir` (none: SQLite in the data dir)."""
    url = DATABASES.get(workdir)
    return {"BRIEFING_DATABASE_URL": url} if url else {}


def run_pipeline(readers: int, workdir: Path, redis_url: str, spy: Path | None) -> Run:
    from briefing.core.config import load_settings
    from briefing.core.db import Database, upgrade

    workdir.mkdir(parents=True)
    with Sink() as sink:
        env = bench_env(workdir, redis_url, sink)
        settings = load_settings(env)
        db = Database(settings.database_url)
        upgrade(db)
        started = time.monotonic()
        seed_list(db, readers)
        seed_articles(db, settings)
        print(f"  seeded {readers:,} readers in {time.monotonic() - started:.1f} s", flush=True)
        with celery_worker(env, workdir / "worker.log") as worker:
            edition_id = enqueue_edition(db, settings)
            wait_for_first(sink, worker)
            children = [pid for pid in group_members(worker.pid) if pid != worker.pid]
            before = _cpu(children, sink.pid)
            with py_spy(children, spy):
                wait_until_sent(db, edition_id, sink, readers, worker)
            stats = sink.stats()
            after = _cpu(children, sink.pid)
            rss = process_memory(worker.pid, sink.pid)
        db.dispose()
    return Run(f"pipeline, {readers:,} readers", stats.messages, stats.seconds, rss,
               {name: after[name] - before[name] for name in after})


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


def pipeline_copy(workdir: Path) -> tuple[str, str, bytes]:
    """(sender, recipient, message) of one reader's copy exactly as the pipeline builds it."""
    from sqlalchemy import select

    from briefing.core.config import load_settings
    from briefing.core.db import Database
    from briefing.core.models import Delivery
    from briefing.delivery import claims
    from briefing.delivery import send_edition as deliver

    settings = load_settings({"BRIEFING_DATA_DIR": str(workdir),
                              "BRIEFING_SECRET_KEY": "b" * 40, **database_env(workdir)})
    db = Database(settings.database_url)
    with db.session() as session:
        row = session.execute(select(Delivery).order_by(Delivery.id).limit(1)).scalar_one()
        claimed = claims.Claimed(row.id, row.email, row.name, row.subscriber_id,
                                  row.subscription_id, row.attempts)
    prepared, domain = deliver.prepared_message(db, row.edition_id, settings)
    envelope = prepared.for_reader(deliver.reader_for(claimed, row.edition_id, settings, domain))
    db.dispose()
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
                                 args=(sink.port, copy, messages // connections(), results))
                 for _ in range(connections())]
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
    return Run(f"ceiling: bare smtplib, {connections()} connections", stats.messages,
               stats.seconds, rss, cpu)


# --- Report ---------------------------------------------------------------------------------

def markdown(runs: list[Run], message_bytes: int) -> str:
    lines = ["| run | messages | seconds | msgs/s | sender CPU µs/msg | sink CPU µs/msg "
             "| peak RSS per process (MB) |", "|---|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        memory = ", ".join(f"{name} {mb:.0f}" for name, mb in run.rss_mb.items())
        per_message = {k: v / max(1, run.messages) * 1e6 for k, v in run.cpu_s.items()}
        lines.append(f"| {run.label} | {run.messages:,} | {run.seconds:.1f} | {run.rate:,.0f} "
                     f"| {per_message['senders']:,.0f} | {per_message['sink']:,.0f} "
                     f"| {memory} |")
    lines += ["", f"One reader's copy is {message_bytes:,} bytes. {connections()} SMTP connections "
              "(BRIEFING_SEND_CONCURRENCY) in every run; msgs/s is measured at the sink, from "
              "its first accepted message to its last. Sender CPU is the worker pool children "
              "(or the smtplib loops) over the same stretch. Python "
              f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, {database_name()}; "
              f"BRIEFING_SEND_COMMIT_EVERY={OPTIONS['commit_every']} (sent messages recorded per "
              f"database commit); load average before the run {LOAD_BEFORE[0]:.1f}."]
    return "\n".join(lines)


def result_line(big: Run, ceiling: Run) -> str:
    ratio = big.rate / ceiling.rate if ceiling.rate else 0.0
    return (f"RESULT msgs_per_s={big.rate:.0f} ceiling_msgs_per_s={ceiling.rate:.0f} "
            f"ratio={ratio:.2f} peak_rss_mb={max(big.rss_mb.values()):.0f}")


def measure(sizes: list[int], workdir: Path, spy: Path | None) -> tuple[list[Run], int]:
    runs = []
    # Importing `workers` reads the environment: keep this process off ./var and the .env.
    os.environ.update({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_SECRET_KEY": "b" * 40})
    with redis_server(workdir) as redis_url, contextlib.ExitStack() as databases:
        for readers in sizes:
            print(f"pipeline: {readers:,} readers", flush=True)
            if OPTIONS["database"] == "postgresql":  # kept until the ceiling took its copy
                DATABASES[workdir / f"run-{readers}"] = databases.enter_context(
                    scratch_postgres("bench_deliver"))
            runs.append(run_pipeline(readers, workdir / f"run-{readers}", redis_url,
                                     spy / str(readers) if spy else None))
            print(f"  {runs[-1].rate:,.0f} msgs/s", flush=True)
        copy = pipeline_copy(workdir / f"run-{sizes[-1]}")
    print(f"ceiling: {CEILING_MESSAGES:,} messages over {connections()} connections", flush=True)
    runs.append(run_ceiling(copy, CEILING_MESSAGES))
    return runs, len(copy[2])


LOAD_BEFORE = os.getloadavg()
OPTIONS: dict[str, int | str] = {"commit_every": 1, "database": "sqlite",
                                 "processes": CONNECTIONS}
DATABASES: dict[Path, str] = {}  # a run's folder -> its scratch PostgreSQL database


def database_name() -> str:
    return "PostgreSQL" if OPTIONS["database"] == "postgresql" else "SQLite"


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with`, so cleanup runs


def append_section(args: argparse.Namespace, table: str, result: str) -> None:
    """Other databases and process counts get their own section; the file's head stays the
    default run's."""
    command = (f"python -m benchmarks.deliver --subscribers {args.subscribers} --commit-every "
               f"{args.commit_every} --database {OPTIONS['database']} --processes {args.processes}")
    with RESULTS.open("a") as results:
        results.write(f"\n## {database_name()}, {args.processes} processes\n\n"
                      f"Command: `{command}`\n\n{table}\n\n`{result}`\n")


def add_database_options(parser: argparse.ArgumentParser) -> None:
    # Given at all (even `sqlite`), the results go to a section of their own.
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default=None,
                        help="where the deliveries live (default sqlite; postgresql: a "
                        "scratch database)")
    parser.add_argument("--processes", type=int, default=CONNECTIONS, metavar="N",
                        help=f"worker processes and SMTP connections (default {CONNECTIONS})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="only the 10,000-reader run")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="DIR",
                        help="sample the worker children with py-spy into DIR")
    parser.add_argument("--commit-every", type=int, default=1, metavar="N",
                        help="BRIEFING_SEND_COMMIT_EVERY for the workers (default 1: exact)")
    add_database_options(parser)
    args = parser.parse_args()
    OPTIONS["commit_every"] = args.commit_every
    OPTIONS.update(database=args.database or "sqlite", processes=args.processes)
    signal.signal(signal.SIGTERM, _terminate)
    sizes = [10_000] if args.quick else sorted({10_000, args.subscribers})
    with tempfile.TemporaryDirectory(prefix="bench-deliver-") as folder:
        runs, message_bytes = measure(sizes, Path(folder), args.py_spy)
    table = markdown(runs, message_bytes)
    print(table)
    if not args.quick and (args.database, args.processes) != (None, CONNECTIONS):
        append_section(args, table, result_line(runs[-2], runs[-1]))
    elif not args.quick:
        RESULTS.write_text("# Delivery: pipeline vs bare smtplib\n\nCommand: `python -m "
                           f"benchmarks.deliver --subscribers {args.subscribers} "
                           f"--commit-every {args.commit_every}`\n\n"
                           f"{table}\n\n`{result_line(runs[-2], runs[-1])}`\n")
    print(result_line(runs[-2], runs[-1]))


if __name__ == "__main__":
    main()
