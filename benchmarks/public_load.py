"""The public endpoints under load: what mail providers do after a big send.

`briefing serve --workers 2` on a scratch PostgreSQL database holding a list of `--readers`
readers and one sent edition. An open-loop generator (requests start on schedule whether or
not earlier ones have finished, as a provider's burst does) drives, at each rate in `--rates`:

- `POST /u/{token}`: one-click unsubscribes (RFC 8058), each for a different reader;
- `GET /unsubscribe/{token}`: the page a person sees after clicking;
- `GET /archive/{slug}/{date}`: the edition's web version;
- `GET /healthz`: the baseline, measured in the same run on the same server: what the
  server answers when the request touches almost nothing.

It reports throughput, p50/p99 latency and errors (anything but the expected status, or no
answer within 10 s). The per-address rate limit is raised for the run: providers post from many
addresses, the generator from one.

    python -m benchmarks.public_load [--readers 20000] [--rates 50,100,200,400] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select, update

from benchmarks.deliver import seed_articles, seed_list
from briefing.core.config import load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Edition, EditionStatus, Subscription
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.subscribers.subscriptions import unsubscribe_token
from tests.support.browser import ServeProcess
from tests.support.databases import scratch_postgres

SLUG = "daily"


@dataclass
class Step:
    endpoint: str
    rate: int
    sent: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return (self.sent - self.errors) / self.seconds

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def drive(base: str, rate: int, seconds: float, call: Callable[[httpx.AsyncClient, int],
                object], expected: int) -> tuple[int, int, float, list[float]]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        latencies: list[float] = []
        errors = 0
        total = int(rate * seconds)
        started = time.monotonic()

        async def one(n: int) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            sent_at = time.monotonic()
            try:
                # Our own deadline too: httpx's pool can wait past its timeout when the
                # generator outruns the server, and a step must end.
                answer = await asyncio.wait_for(call(client, n), 10)  # type: ignore[arg-type]
                if answer.status_code != expected:
                    errors += 1
                    return
            except (httpx.HTTPError, TimeoutError):
                errors += 1
                return
            latencies.append(time.monotonic() - sent_at)

        await asyncio.gather(*(one(n) for n in range(total)))
        return total, errors, time.monotonic() - started, latencies


def seed(url: str, readers: int, workdir: Path) -> tuple[dict[str, str], list[str], str]:
    env = {"BRIEFING_DATA_DIR": str(workdir / "var"), "BRIEFING_DATABASE_URL": url,
           "BRIEFING_SECRET_KEY": "s" * 40, "BRIEFING_PUBLIC_RATE_LIMIT": "100000"}
    settings = load_settings(env)
    db = Database(url)
    upgrade(db)
    seed_list(db, readers)
    seed_articles(db, settings, count=3)
    edition_id, _ = ensure_edition(db, SLUG)
    build_edition(db, edition_id, settings)
    with db.session() as session:  # as if sent: the archive shows sent editions
        session.execute(update(Edition).where(Edition.id == edition_id).values(
            status=EditionStatus.SENT))
        day = session.scalar(select(Edition.edition_date).where(Edition.id == edition_id))
        ids = list(session.scalars(select(Subscription.id).order_by(Subscription.id)))
    tokens = [unsubscribe_token(settings, sid) for sid in ids]
    db.dispose()
    assert isinstance(day, date)
    return env, tokens, day.isoformat()


def endpoints(tokens: list[str], day: str) -> dict[str, tuple[Callable[..., object], int]]:
    cursor = {"one-click": 0}

    def one_click(client: httpx.AsyncClient, _: int) -> object:
        cursor["one-click"] += 1  # a different reader every time, as after a real send
        token = tokens[cursor["one-click"] % len(tokens)]
        return client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})

    return {
        "GET /healthz (baseline)": (lambda c, n: c.get("/healthz"), 200),
        "POST /u/{token}": (one_click, 200),
        "GET /unsubscribe/{token}": (
            lambda c, n: c.get(f"/unsubscribe/{tokens[n % len(tokens)]}"), 200),
        "GET /archive/{slug}/{date}": (lambda c, n: c.get(f"/archive/{SLUG}/{day}"), 200),
    }


def table(steps: list[Step]) -> str:
    lines = ["| endpoint | offered req/s | done req/s | p50 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {s.endpoint} | {s.rate} | {s.throughput:.0f} | {s.percentile(0.5):.0f} | "
              f"{s.percentile(0.99):.0f} | {s.errors} |" for s in steps]
    return "\n".join(lines)


def saturation(steps: list[Step], endpoint: str) -> int:
    """The highest offered rate the endpoint kept up with: no errors, ≥ 95% of it done."""
    kept = [s.rate for s in steps if s.endpoint == endpoint and s.errors == 0
            and s.throughput >= 0.95 * s.rate]
    return max(kept, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=20_000)
    parser.add_argument("--rates", default="50,100,200,400")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    steps: list[Step] = []
    with tempfile.TemporaryDirectory() as scratch, scratch_postgres("briefing_load") as url:
        env, tokens, day = seed(url, args.readers, Path(scratch))
        server = ServeProcess({**_base_env(), **env}, Path(scratch) / "serve.log",
                              workers=args.workers)
        server.start()
        try:
            for name, (call, expected) in endpoints(tokens, day).items():
                # Warm each route up first (imports, templates, pooled connections).
                asyncio.run(drive(server.url, 20, 1.0, call, expected))
                for rate in rates:
                    sent, errors, seconds, lat = asyncio.run(
                        drive(server.url, rate, args.seconds, call, expected))
                    steps.append(Step(name, rate, sent, errors, seconds, lat))
                    print(f"{name} at {rate}/s: {errors} errors", file=sys.stderr)
        finally:
            server.stop()
    print(table(steps))
    names = list(endpoints(["x"], "2026-01-01"))
    p99 = {n: max((s.percentile(0.99) for s in steps if s.endpoint == n and s.rate == rates[0]),
                  default=0.0) for n in names}
    print("RESULT " + " ".join(
        [f"readers={args.readers}", f"workers={args.workers}"]
        + [f"{_key(n)}_saturation_rps={saturation(steps, n)}" for n in names]
        + [f"{_key(n)}_p99_ms_at_{rates[0]}={p99[n]:.0f}" for n in names]))


def _key(endpoint: str) -> str:
    words = {"GET /healthz (baseline)": "healthz", "POST /u/{token}": "one_click",
             "GET /unsubscribe/{token}": "unsubscribe_page",
             "GET /archive/{slug}/{date}": "archive"}
    return words[endpoint]


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}


if __name__ == "__main__":
    main()
