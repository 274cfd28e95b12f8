"""Per-reader time zone, frequency and topics: what they cost against one briefing for all.

Usage (from the repository root)::

    python -m benchmarks.reader_choices [--readers 100000]

Two scenarios, each on a fresh SQLite database with the same seven seed articles, tagged with
four topics:

* **uniform**: every reader daily, in the list's zone, no topics: one edition, one render;
* **choices**: the list sends at each reader's local time; readers are spread evenly over 30
  time zones, 3 frequencies (daily, weekdays, weekly on one of seven days) and 5 choices of
  topics (everything, markets, science, markets+science, sport+culture). Today's daily edition
  (a weekday: daily and weekday readers) and this week's weekly edition are built.

Building happens in a child process of its own (its peak memory is the build's); the
renders performed are counted there (every call of the edition renderer) and compared with
the distinct (edition, choice of topics) pairs the readers' choices need. Then every queued
copy is made due now (the due times span a day of zones and a week of weekdays; what is
measured is sending, not waiting) and a real `celery worker --concurrency=2` over a private
Redis sends them into a counting sink; speed is taken at the sink. The ceiling is a bare
smtplib loop over the same two connections with one reader's finished copy, measured before
the first send and after the last (the ratio is against their mean).

The last line is ``RESULT renders=<n> distinct_choices=<n> msgs_per_s=<n> ratio=<r>
uniform_msgs_per_s=<n> uniform_ratio=<r> ceiling_msgs_per_s=<n> peak_rss_mb=<n>``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.brokers import broker_server
from benchmarks.deliver import (
    CEILING_MESSAGES,
    CONNECTIONS,
    ROOT,
    SEED_CHUNK,
    bench_env,
    celery_worker,
    pipeline_copy,
    process_memory,
    run_ceiling,
)
from tests.support.sink import Sink

RESULTS = ROOT / "benchmarks" / "results" / "reader_choices.md"
SLUG = "daily"
TOPICS = ("markets", "science", "sport", "culture")
CHOICES: tuple[tuple[str, ...], ...] = ((), ("markets",), ("science",), ("markets", "science"),
                                        ("culture", "sport"))
ZONES = ("Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
         "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
         "America/Argentina/Buenos_Aires", "Atlantic/Azores", "Europe/London", "Europe/Lisbon",
         "Europe/Berlin", "Europe/Paris", "Africa/Lagos", "Europe/Athens", "Africa/Cairo",
         "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
         "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide",
         "Australia/Sydney", "Pacific/Noumea", "Pacific/Auckland")
FREQUENCIES = ("daily", "weekdays", "weekly")


@dataclass
class Built:
    scenario: str
    readers: int
    editions: int
    renders: int
    distinct_choices: int
    queued: int
    skipped: int
    build_s: float
    build_peak_mb: float
    due_spread_h: float
    edition_ids: list[int] = field(default_factory=list)


# --- Seeding and building (in a child process) --------------------------------------------

def _settings(workdir: Path) -> Any:
    from briefing.core.config import load_settings

    return load_settings({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_SECRET_KEY": "b" * 40})


def seed(db: Any, settings: Any, readers: int, choices: bool) -> None:
    from sqlalchemy import update

    from briefing.core.models import MailingList
    from briefing.subscribers.list_rules import RulesChange
    from briefing.subscribers.lists import ListChanges, create_list

    create_list(db, SLUG, ListChanges(
        name="Daily Briefing", from_address="news@briefing.example.org",
        timezone="Europe/London", reader_time=choices,
        rules=RulesChange(tags=list(TOPICS))))
    with db.session() as session:  # made weeks ago: this week's weekly is its due
        session.execute(update(MailingList).values(
            created_at=datetime.now(UTC) - timedelta(days=30)))
    for first in range(0, readers, SEED_CHUNK):
        _insert_readers(db, range(first, min(readers, first + SEED_CHUNK)), choices)
    _seed_articles(db, settings)


def _insert_readers(db: Any, numbers: range, choices: bool) -> None:
    from sqlalchemy import insert, select

    from briefing.core.models import (
        ConsentSource,
        Frequency,
        MailingList,
        Subscriber,
        Subscription,
        SubscriptionStatus,
    )
    from briefing.subscribers.topics import topics_key

    with db.session() as session:
        list_id = session.scalar(select(MailingList.id).where(MailingList.slug == SLUG))
        people = [{"email": f"reader{n}@example.net", "email_key": f"reader{n}@example.net",
                   "name": f"Reader {n}",
                   "timezone": ZONES[n % len(ZONES)] if choices else None} for n in numbers]
        ids = session.scalars(insert(Subscriber).returning(
            Subscriber.id, sort_by_parameter_order=True), people).all()
        rows = []
        for n, subscriber_id in zip(numbers, ids, strict=True):
            # Spread independently: zone by n, frequency by n // 30, topics by n // 90.
            often = FREQUENCIES[(n // len(ZONES)) % 3] if choices else "daily"
            chosen = CHOICES[(n // (len(ZONES) * 3)) % len(CHOICES)] if choices else ()
            rows.append({"list_id": list_id, "subscriber_id": subscriber_id,
                         "consent_source": ConsentSource.IMPORT,
                         "status": SubscriptionStatus.ACTIVE, "frequency": Frequency(often),
                         "weekly_day": (n // 450) % 7, "topics": topics_key(chosen)})
        session.execute(insert(Subscription), rows)


def _seed_articles(db: Any, settings: Any) -> None:
    from dataclasses import replace

    from briefing.ingest import adding as ingest
    from briefing.operations import jobs

    ids = []
    for n, path in enumerate(ingest.seed_files(ROOT / "seeds")):
        article = replace(ingest.from_file(path), tags=(TOPICS[n % len(TOPICS)],))
        with db.session() as session:
            ids.append(ingest.add_article(session, article).article_id)
    for article_id in ids:
        assert jobs.summarize_article(db, article_id, settings) == "summarized"


def build_child(workdir: str, readers: int, choices: bool, results: Any) -> None:
    """Seed, then build today's edition (and this week's weekly): the figures, queued."""
    from briefing.core.db import Database, upgrade
    from briefing.editions import compose

    settings = _settings(Path(workdir))
    db = Database(settings.database_url)
    upgrade(db)
    seed(db, settings, readers, choices)
    renders = [0]
    original = compose.render_edition

    def counted(*args: Any, **kwargs: Any) -> Any:
        renders[0] += 1
        return original(*args, **kwargs)

    compose.render_edition = counted  # type: ignore[assignment]
    edition_ids = _editions(db, choices)
    started = time.monotonic()
    for edition_id in edition_ids:
        compose.build_edition(db, edition_id, settings)
    built = time.monotonic() - started
    figures = _figures(db, edition_ids, choices)
    results.put(Built("choices" if choices else "uniform", readers, len(edition_ids),
                      renders[0], build_s=built, edition_ids=edition_ids,
                      build_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      **figures))
    db.dispose()


def _editions(db: Any, choices: bool) -> list[int]:
    from briefing.core.models import Edition, EditionKind
    from briefing.editions.service import ensure_edition, today_for
    from briefing.editions.weekly import week_monday
    from briefing.subscribers.lists import get_list

    daily, _ = ensure_edition(db, SLUG)
    if not choices:
        return [daily]
    monday = week_monday(today_for(get_list(db, SLUG)))
    with db.session() as session:
        weekly = Edition(list_id=get_list(db, SLUG).id, edition_date=monday,
                         kind=EditionKind.WEEKLY)
        session.add(weekly)
        session.flush()
        return [daily, weekly.id]


def _figures(db: Any, edition_ids: list[int], choices: bool) -> dict[str, Any]:
    from sqlalchemy import func, select

    from briefing.core.models import Delivery, DeliveryStatus, Edition, Subscription
    from briefing.subscribers.frequency import wanted_by
    from briefing.subscribers.topics import effective_topics

    with db.session() as session:
        needed = 0
        for edition in session.scalars(select(Edition).where(Edition.id.in_(edition_ids))):
            keys = session.scalars(select(Subscription.topics).distinct().where(
                Subscription.frequency.in_(wanted_by(edition.kind, edition.edition_date))))
            needed += len({effective_topics(key, TOPICS) for key in keys} | {frozenset()})
        counts = dict(session.execute(select(Delivery.status, func.count()).group_by(
            Delivery.status)).all())
        first, last = session.execute(select(func.min(Delivery.due_at),
                                             func.max(Delivery.due_at))).one()
    return {"distinct_choices": needed, "queued": counts.get(DeliveryStatus.QUEUED, 0),
            "skipped": counts.get(DeliveryStatus.SKIPPED, 0),
            "due_spread_h": (last - first).total_seconds() / 3600 if choices else 0.0}


# --- Sending (a real worker) ----------------------------------------------------------------

@dataclass
class Sent:
    messages: int
    seconds: float
    rss_mb: dict[str, float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def send_all(workdir: Path, built: Built, broker_url: str) -> Sent:
    from sqlalchemy import update

    from briefing.core.db import Database
    from briefing.core.models import Delivery, DeliveryStatus
    from workers import dispatch
    from workers.app import setup

    with Sink() as sink:
        env = bench_env(workdir, broker_url, sink, CONNECTIONS, None)
        settings = _settings(workdir)
        db = Database(settings.database_url)
        with db.session() as session:  # measure sending, not waiting for each zone's 07:00
            session.execute(update(Delivery).where(Delivery.status == DeliveryStatus.QUEUED)
                            .values(due_at=datetime.now(UTC) - timedelta(seconds=1)))
        with celery_worker(env, workdir / "worker.log", CONNECTIONS) as worker:
            setup(_settings_for(env))
            if not dispatch.send_editions(built.edition_ids, concurrency=CONNECTIONS):
                raise RuntimeError("the broker refused the send tasks")
            _wait(sink, built.queued, worker)
            stats = sink.stats()
            rss = process_memory(worker.pid, sink.pid)
        db.dispose()
    return Sent(stats.messages, stats.seconds, rss)


def _settings_for(env: dict[str, str]) -> Any:
    from briefing.core.config import load_settings

    return load_settings(env)


def _wait(sink: Sink, expected: int, worker: Any) -> None:
    last = time.monotonic()
    while sink.stats().messages < expected:
        if worker.poll() is not None:
            raise RuntimeError(f"the celery worker exited with code {worker.returncode}")
        if time.monotonic() - last > 10:
            print(f"  … {sink.stats().messages:,} of {expected:,} sent", flush=True)
            last = time.monotonic()
        time.sleep(0.2)


# --- Report ---------------------------------------------------------------------------------

def build_in_child(workdir: Path, readers: int, choices: bool) -> Built:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=build_child, args=(str(workdir), readers, choices, results))
    child.start()
    built: Built = results.get(timeout=3600)
    child.join()
    return built


def table(rows: list[tuple[Built, Sent]], ceiling: float) -> str:
    lines = ["| scenario | readers | editions | renders | distinct choices | copies queued "
             "| skipped (no story in topics) | due times span h | build s | build peak MB "
             "| msgs/s | bare smtplib msgs/s | ratio | worker peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for built, sent in rows:
        worker = max(mb for name, mb in sent.rss_mb.items() if name.startswith("worker"))
        lines.append(
            f"| {built.scenario} | {built.readers:,} | {built.editions} | {built.renders} "
            f"| {built.distinct_choices} | {built.queued:,} | {built.skipped:,} "
            f"| {built.due_spread_h:.0f} | {built.build_s:.1f} | {built.build_peak_mb:.0f} "
            f"| {sent.rate:,.0f} | {ceiling:,.0f} | {sent.rate / ceiling:.2f} | {worker:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=100_000)
    args = parser.parse_args()
    rows: list[tuple[Built, Sent]] = []
    with tempfile.TemporaryDirectory(prefix="bench-choices-") as folder:
        root = Path(folder)
        os.environ.update({"BRIEFING_DATA_DIR": str(root), "BRIEFING_SECRET_KEY": "b" * 40})
        with broker_server("redis", root / "redis") as url:
            built_runs: dict[bool, Built] = {}
            for choices in (False, True):
                workdir = root / ("choices" if choices else "uniform")
                workdir.mkdir()
                print(f"{workdir.name}: seeding and building for {args.readers:,} readers",
                      flush=True)
                built_runs[choices] = build_in_child(workdir, args.readers, choices)
                print(f"  {built_runs[choices].renders} renders", flush=True)
            copy = pipeline_copy({"BRIEFING_DATA_DIR": str(root / "uniform"),
                                  "BRIEFING_SECRET_KEY": "b" * 40})
            # The ceiling before the first send and after the last, so a machine that got
            # busier or quieter in between moves the baseline with the runs it is compared to.
            first = run_ceiling(copy, CEILING_MESSAGES).rate
            for choices in (False, True):
                workdir = root / ("choices" if choices else "uniform")
                built = built_runs[choices]
                print(f"{workdir.name}: sending {built.queued:,} copies", flush=True)
                rows.append((built, send_all(workdir, built, url)))
            last = run_ceiling(copy, CEILING_MESSAGES).rate
        ceiling = (first + last) / 2
        print(f"ceiling: {first:,.0f} msgs/s before, {last:,.0f} after", flush=True)
    report = table(rows, ceiling)
    (_, uniform_sent), (choice, choice_sent) = rows
    peak = max(max(sent.rss_mb.values()) for _, sent in rows)
    result = (f"RESULT renders={choice.renders} distinct_choices={choice.distinct_choices} "
              f"msgs_per_s={choice_sent.rate:.0f} ratio={choice_sent.rate / ceiling:.2f} "
              f"uniform_msgs_per_s={uniform_sent.rate:.0f} "
              f"uniform_ratio={uniform_sent.rate / ceiling:.2f} "
              f"ceiling_msgs_per_s={ceiling:.0f} peak_rss_mb={peak:.0f}")
    print(report)
    RESULTS.write_text("# Reader choices: per-reader zone, frequency and topics\n\n"
                       f"Command: `python -m benchmarks.reader_choices --readers {args.readers}`"
                       f"\n\n{report}\n\n`{result}`\n")
    print(result)


if __name__ == "__main__":
    main()
