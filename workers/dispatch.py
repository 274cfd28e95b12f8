"""Enqueue work after the caller's transaction committed; a broker outage loses nothing.

If Redis is down the rows are already in the database with their `new`/`pending` status,
so the periodic sweep enqueues them once the broker is back. Callers are told, not failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)


def summarize_articles(article_ids: Iterable[int], *, force: bool = False) -> bool:
    from workers.tasks import summarize_article

    try:
        for article_id in article_ids:
            summarize_article.apply_async((article_id,), {"force": force})
    except BrokerError as exc:
        log.warning("broker unavailable, the sweep will enqueue later: %s", exc)
        return False
    return True


def summarize_requests(request_ids: Iterable[str]) -> bool:
    from workers.tasks import summarize_request

    try:
        for request_id in request_ids:
            summarize_request.apply_async((request_id,))
    except BrokerError as exc:
        log.warning("broker unavailable, the sweep will enqueue later: %s", exc)
        return False
    return True
