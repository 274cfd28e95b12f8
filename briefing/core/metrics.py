"""Counters and histograms every process adds to; `GET /metrics` reads them all together.

prometheus_client's multi-process mode: each process writes its values to memory-mapped files
in one folder (BRIEFING_METRICS_DIR), and the page sums the files, so the API's, the CLI's and
every worker's counts add up, and a worker child that is recycled keeps its counts.

A process records only once `start` has run (the CLI's entry point, `serve` and each worker
do); before that, as in the test suite's own process, recording costs one dict lookup and does
nothing. prometheus_client is imported by `start`, never at import: it picks where values live
from the environment when it makes them.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Metric", "count", "observe", "recording", "start", "stop"]


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None  # a histogram when set, else a counter


SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

ARTICLES_INGESTED = Metric("briefing_articles_ingested", "Articles stored (repeats not "
                           "counted), from a feed or not.", ("via",))
ARTICLES_SUMMARIZED = Metric("briefing_articles_summarized", "Articles summarized.")
ARTICLES_FAILED = Metric("briefing_articles_failed", "Articles whose summary failed for good.")
SUMMARY_SECONDS = Metric("briefing_summary_seconds", "Time to summarize one article.",
                         buckets=SECONDS)
EDITIONS_BUILT = Metric("briefing_editions_built", "Editions built, by list and by what came "
                        "of it (sending: readers queued; empty: no new articles).",
                        ("list", "status"))
EDITION_RENDERS = Metric("briefing_edition_renders", "Renderings of an edition (Jinja2 and "
                         "premailer): one for the edition and one per distinct choice of topics "
                         "among its readers, never one per reader; previews count too.",
                         ("list", "kind"))
DELIVERIES = Metric("briefing_deliveries", "Readers' copies by outcome: sent, retry (a "
                    "temporary failure, tried again later), failed, skipped (the reader left).",
                    ("list", "outcome"))
SMTP_REPLIES = Metric("briefing_smtp_replies", "SMTP answers to a reader's copy, by reply "
                      "class (2xx, 4xx, 5xx; none: no answer) and verdict: accepted, temporary, "
                      "throttled, hard, soft or blocked (a 5xx by what it says), refused_us "
                      "(our login or sender), no_answer (the connection failed).",
                      ("reply_class", "verdict"))
THROTTLE_PAUSES = Metric("briefing_throttle_pauses", "Pauses of every sender of the SMTP "
                         "account after the server said to slow down.")
FEEDBACK_REPORTS = Metric("briefing_feedback_reports", "Bounce and complaint reports "
                          "received (repeats not counted), by kind and by how they came.",
                          ("kind", "source"))
FEED_POLLS = Metric("briefing_feed_polls", "Feed polls done.")
FEED_POLL_ERRORS = Metric("briefing_feed_poll_errors", "Feed polls that failed.")
HTTP_REQUESTS = Metric("briefing_http_requests", "HTTP requests answered, by route template, "
                       "method and status.", ("route", "method", "status"))
HTTP_SECONDS = Metric("briefing_http_request_seconds", "Time to answer an HTTP request, by "
                      "route template.", ("route",), buckets=SECONDS)

ALL = (ARTICLES_INGESTED, ARTICLES_SUMMARIZED, ARTICLES_FAILED, SUMMARY_SECONDS,
       EDITIONS_BUILT, EDITION_RENDERS, DELIVERIES, SMTP_REPLIES, THROTTLE_PAUSES,
       FEEDBACK_REPORTS, FEED_POLLS, FEED_POLL_ERRORS, HTTP_REQUESTS, HTTP_SECONDS)

_live: dict[str, Any] = {}
# A labelled metric's child per label values: prometheus_client's `labels()` checks and locks
# on every call, several times the cost of the increment itself.
_children: dict[tuple[str, tuple[str, ...]], Any] = {}


def start(folder: Path) -> None:
    """Record this process's metrics into `folder`, shared with the installation's others.
    Once is enough (`briefing worker` reaches here twice: as a command, then as a worker)."""
    if _live and os.environ.get("PROMETHEUS_MULTIPROC_DIR") == str(folder):
        return
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    from prometheus_client import values

    # Chosen by prometheus_client when first imported, which may have been before the
    # variable was set; each metric made below takes its value class from here. Files are
    # named by host and pid, not pid alone: containers sharing the folder each have a pid 1.
    host = socket.gethostname().replace("_", "-")
    values.ValueClass = values.MultiProcessValue(  # type: ignore[no-untyped-call]
        lambda: f"{host}-{os.getpid()}")
    _live.clear()
    _children.clear()
    _live.update({metric.name: _made(metric) for metric in ALL})


def stop() -> None:
    """Record nothing more in this process (a test that recorded hands its process back)."""
    _live.clear()
    _children.clear()
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _made(metric: Metric) -> Any:
    from prometheus_client import Counter, Histogram

    if metric.buckets is not None:
        return Histogram(metric.name, metric.help, metric.labels, registry=None,
                         buckets=metric.buckets)
    return Counter(metric.name, metric.help, metric.labels, registry=None)


def recording() -> bool:
    return bool(_live)


def _series(metric: Metric, labels: dict[str, str]) -> Any:
    live = _live.get(metric.name)
    if live is None or not labels:
        return live
    key = (metric.name, tuple(labels[name] for name in metric.labels))
    child = _children.get(key)
    if child is None:
        child = _children[key] = live.labels(**labels)
    return child


def count(metric: Metric, amount: int = 1, **labels: str) -> None:
    series = _series(metric, labels)
    if series is not None and amount:
        series.inc(amount)


def observe(metric: Metric, value: float, **labels: str) -> None:
    series = _series(metric, labels)
    if series is not None:
        series.observe(value)
