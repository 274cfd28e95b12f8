"""How long a fetch from a hostile, trickling server lasts: briefing's deadline against httpx.

A local server trickles one byte every 0.5 s (status line and headers, or the body), or
redirects through slow hops. Each case is fetched with `briefing.ingest.fetch` under
`BRIEFING_FETCH_TIMEOUT=T`, and, as the baseline measured in the same run, with a plain
`httpx.get(url, timeout=T)` — httpx's own timeout, which bounds each read, not the fetch.
Baseline fetches are given up after `--cap` seconds (they would go on for hours).

    python -m benchmarks.fetch_deadline [--timeout 2] [--cap 20]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from briefing.ingest.feeds import fetch_policy
from briefing.ingest.fetch import FetchError, fetch
from tests.support.databases import make_settings
from tests.support.web import WebServer


def timed(call: Callable[[], object], cap: float) -> tuple[float, str]:
    """Seconds `call` took (at most `cap`: it is then left running on a daemon thread)."""
    outcome: list[str] = []

    def run() -> None:
        try:
            call()
            outcome.append("finished")
        except (FetchError, httpx.HTTPError) as exc:
            outcome.append(type(exc).__name__)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(cap)
    return time.monotonic() - started, outcome[0] if outcome else f"still going at {cap:g} s"


def serve(web: WebServer) -> dict[str, str]:
    web.trickle("/headers", part="headers")
    web.trickle("/body", part="body")
    for n in range(20):
        web.redirect(f"/hop{n}", f"/hop{n + 1}").delay_s = 0.5
    web.route("/hop20", "<html><body><p>the end</p></body></html>")
    return {"slow headers": "/headers", "slow body": "/body", "20 slow redirects": "/hop0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--cap", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefing-fetch-") as tmp:
        policy = fetch_policy(make_settings(Path(tmp), BRIEFING_FETCH_TIMEOUT=str(args.timeout)))
    web = WebServer()
    web.start()
    rows = []
    try:
        for name, path in serve(web).items():
            url = web.url(path)
            ours = timed(partial(fetch, url, policy), args.cap)
            base = timed(partial(httpx.get, url, timeout=args.timeout, follow_redirects=True),
                         args.cap)
            rows.append((name, base, ours))
    finally:
        web.stop()
    print(f"| case (timeout {args.timeout:g} s) | httpx timeout= | outcome | "
          "briefing deadline | outcome |")
    print("|---|---:|---|---:|---|")
    for name, (base_s, base_how), (ours_s, ours_how) in rows:
        print(f"| {name} | {base_s:.2f} s | {base_how} | {ours_s:.2f} s | {ours_how} |")
    overshoot = max(ours_s - args.timeout for _, _, (ours_s, _) in rows)
    capped = sum(1 for _, (_, how), _ in rows if how.startswith("still going"))
    print(f"RESULT timeout_s={args.timeout:g} max_overshoot_s={overshoot:.2f} "
          f"baseline_still_going={capped}/{len(rows)}")


if __name__ == "__main__":
    main()
