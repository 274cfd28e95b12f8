"""Enqueue work after the caller's transaction committed; a broker outage loses nothing.

If Redis is down the rows are already in the database with their `new`/`pending` status,
so the periodic sweep enqueues them once the broker is back. Callers are told, not failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)


def _enqueue(task_name: str, calls: Iterable[tuple[tuple[Any, ...], dict[str, Any]]]) -> bool:
    import workers.tasks  # noqa: F401  (registers the tasks on the app)
    from workers.app import app

    task = app.tasks[task_name]
    try:
        for args, kwargs in calls:
            task.apply_async(args, kwargs)
    except BrokerError as exc:
        log.warning("broker unavailable, %s not queued (the sweep retries): %s", task_name, exc)
        return False
    return True


def summarize_articles(article_ids: Iterable[int], *, force: bool = False) -> bool:
    return _enqueue("briefing.summarize_article",
                    (((article_id,), {"force": force}) for article_id in article_ids))


def summarize_requests(request_ids: Iterable[str]) -> bool:
    return _enqueue("briefing.summarize_request", (((rid,), {}) for rid in request_ids))


def send_confirmations(subscription_ids: Iterable[int]) -> bool:
    return _enqueue("briefing.send_confirmation", (((sid,), {}) for sid in subscription_ids))


def build_editions(edition_ids: Iterable[int]) -> bool:
    return _enqueue("briefing.build_edition", (((eid,), {}) for eid in edition_ids))


def send_editions(edition_ids: Iterable[int], concurrency: int = 1) -> bool:
    """`concurrency` senders per edition: each holds its own SMTP connection."""
    return _enqueue("briefing.send_edition",
                    (((eid,), {}) for eid in edition_ids for _ in range(concurrency)))


def import_subscribers(job_ids: Iterable[int]) -> bool:
    return _enqueue("briefing.import_subscribers", (((jid,), {}) for jid in job_ids))


def poll_feeds(feed_ids: Iterable[int]) -> bool:
    return _enqueue("briefing.poll_feed", (((fid,), {}) for fid in feed_ids))
