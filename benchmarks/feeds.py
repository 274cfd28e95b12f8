"""Feeds at scale: 1,000 feeds polled through `briefing.ingest.feeds.poll_feed` against a local
web server, with a bare HTTP GET of the same feeds over the same thread pool as the baseline.

Three passes over the same feeds, each timed:
1. first poll: every feed is new (3 full-text entries each become articles);
2. second poll: nothing changed, so every feed answers 304 to the conditional GET;
3. the same, with `--slow` feeds that trickle their headers (held only to the fetch deadline)
   and `--dead` feeds that answer 503: the healthy feeds' finish time is reported beside the
   slow ones', to show that a slow feed holds up nobody else.
The baseline is `httpx.get` of every feed URL over the same `--threads` pool, measured in the
same run; the ratio is briefing's 304 pass against it (absolute figures vary between machines).

    python -m benchmarks.feeds [--feeds 1000] [--threads 8] [--slow 10] [--dead 20]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from briefing.core.config import Settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Feed
from briefing.ingest import feeds
from briefing.text.normalize import normalize_url, url_hash
from tests.support.databases import make_settings
from tests.support.web import WebServer

BODY = ("The regional council approved the new budget on Tuesday after a long debate about "
        "transport, schools and the harbour, with most members backing the plan. ") * 6


def feed_xml(n: int) -> str:
    items = "".join(
        f"<item><title>Feed {n} story {i}</title><link>http://example.org/{n}/{i}</link>"
        f"<guid>feed-{n}-{i}</guid><pubDate>Mon, 30 Nov 2026 0{i}:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{BODY} Feed {n}, story {i}.</p>]]></description></item>"
        for i in range(3))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {n}</title>"
            f"<link>http://example.org/{n}</link>{items}</channel></rss>")


@dataclass
class Pass:
    name: str
    feeds: int
    seconds: float
    failed: int
    healthy_done_s: float | None = None

    @property
    def per_second(self) -> float:
        return self.feeds / self.seconds if self.seconds else 0.0


def timed_pool(calls: Iterable[Callable[[], bool]], threads: int) -> tuple[float, list[tuple[
        float, bool]]]:
    """Run `calls` on `threads` threads; each call's finish time (since start) and success."""
    started = time.monotonic()

    def run(call: Callable[[], bool]) -> tuple[float, bool]:
        ok = call()
        return time.monotonic() - started, ok

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(run, calls))
    return time.monotonic() - started, results


def poll_all(db: Database, settings: Settings, ids: list[int], threads: int) -> tuple[
        float, list[tuple[float, bool]]]:
    def poll(feed_id: int) -> Callable[[], bool]:
        return lambda: feeds.poll_feed(db, feed_id, settings).failed is None
    return timed_pool((poll(i) for i in ids), threads)


def bare_get_all(urls: list[str], threads: int) -> float:
    client = httpx.Client(timeout=10)

    def get(url: str) -> Callable[[], bool]:
        return lambda: client.get(url).status_code == 200
    seconds, _ = timed_pool((get(u) for u in urls), threads)
    client.close()
    return seconds


def serve_feeds(web: WebServer, count: int) -> list[str]:
    for n in range(count):
        web.route(f"/f/{n}.xml", feed_xml(n), content_type="application/rss+xml",
                  etag=f'"v1-{n}"')
    return [web.url(f"/f/{n}.xml") for n in range(count)]


def add_all(db: Database, urls: list[str]) -> list[int]:
    with db.session() as session:
        # As `briefing feeds add` stores them, without its one check-fetch per feed.
        rows = [Feed(url=normalize_url(url), url_hash=url_hash(normalize_url(url))) for url in urls]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def measure(args: argparse.Namespace, workdir: Path) -> tuple[list[Pass], float]:
    settings = make_settings(workdir, BRIEFING_ALLOW_PRIVATE_URLS="true",
                             BRIEFING_FETCH_TIMEOUT=str(args.timeout))
    db = Database(settings.database_url)
    upgrade(db)
    web = WebServer()
    web.start()
    try:
        urls = serve_feeds(web, args.feeds)
        ids = add_all(db, urls)
        bare = bare_get_all(urls, args.threads)
        passes = [_pass("first poll (new entries)", db, settings, ids, args.threads),
                  _pass("second poll (304 Not Modified)", db, settings, ids, args.threads)]
        passes.append(_faulty_pass(db, settings, web, ids, args))
    finally:
        web.stop()
        db.dispose()
    return passes, args.feeds / bare


def _pass(name: str, db: Database, settings: Settings, ids: list[int], threads: int) -> Pass:
    seconds, results = poll_all(db, settings, ids, threads)
    return Pass(name, len(ids), seconds, sum(not ok for _, ok in results))


def _faulty_pass(db: Database, settings: Settings, web: WebServer, ids: list[int],
                 args: argparse.Namespace) -> Pass:
    faulty = len(ids) // 2  # in the middle of the queue, not at its end
    for n in range(args.slow):
        web.trickle(f"/f/{faulty + n}.xml", part="headers")
    for n in range(args.slow, args.slow + args.dead):
        web.route(f"/f/{faulty + n}.xml", "down", status=503)
    bad = set(ids[faulty:faulty + args.slow + args.dead])
    seconds, results = poll_all(db, settings, ids, args.threads)
    healthy = [done for feed_id, (done, _) in zip(ids, results, strict=True)
               if feed_id not in bad]
    return Pass(f"with {args.slow} trickling and {args.dead} dead feeds", len(ids), seconds,
                sum(not ok for _, ok in results), max(healthy))


def table(passes: list[Pass], bare_rate: float, threads: int) -> str:
    lines = [f"| pass ({threads} threads) | feeds | seconds | feeds/s | failed | healthy feeds "
             "done at |", "|---|---:|---:|---:|---:|---:|",
             f"| bare httpx GET (baseline) | {passes[0].feeds} | "
             f"{passes[0].feeds / bare_rate:.2f} | {bare_rate:.0f} | 0 | |"]
    for p in passes:
        done = f"{p.healthy_done_s:.2f} s" if p.healthy_done_s is not None else ""
        lines.append(f"| {p.name} | {p.feeds} | {p.seconds:.2f} | {p.per_second:.0f} | "
                     f"{p.failed} | {done} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--slow", type=int, default=10)
    parser.add_argument("--dead", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=5.0, help="BRIEFING_FETCH_TIMEOUT")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        passes, bare_rate = measure(args, Path(scratch))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(table(passes, bare_rate, args.threads))
    print(f"\npeak memory of the polling process: {peak_mb:.0f} MB")
    first, unchanged, faulty = passes
    print(f"RESULT feeds={args.feeds} first_poll_feeds_per_s={first.per_second:.0f} "
          f"not_modified_feeds_per_s={unchanged.per_second:.0f} "
          f"bare_get_per_s={bare_rate:.0f} "
          f"ratio_304_vs_bare={unchanged.per_second / bare_rate:.2f} "
          f"faulty_pass_s={faulty.seconds:.1f} healthy_done_s={faulty.healthy_done_s:.1f} "
          f"peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
