"""Work that runs after a commit: the one interface the faces and the sweep hand ids to.

The database is the source of truth and the broker only carries ids, so the rule is always the
same: commit the rows first, then hand their ids over, and never fail the caller if handing
over fails — the rows wait with their `new`/`pending`/`queued` status and the sweep hands them
over again. `workers.dispatch` implements :class:`WorkQueue` with Celery; in embedded mode
(no broker) the same Celery tasks run in-process, eagerly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

SWEEP_BATCH = 5_000  # rows one sweep hands over per kind of work

T = TypeVar("T")


class WorkQueue(Protocol):
    """Where committed work goes. Each call returns False when the work could not be handed
    over now (broker down): the caller says so, the sweep retries."""

    def summarize_articles(self, article_ids: Iterable[int], *, force: bool = False) -> bool: ...
    def summarize_requests(self, request_ids: Iterable[str]) -> bool: ...
    def send_confirmations(self, subscription_ids: Iterable[int]) -> bool: ...
    def build_editions(self, edition_ids: Iterable[int]) -> bool: ...
    def send_editions(self, edition_ids: Iterable[int], concurrency: int = 1) -> bool: ...
    def import_subscribers(self, job_ids: Iterable[int]) -> bool: ...
    def poll_feeds(self, feed_ids: Iterable[int]) -> bool: ...


def after_commit(hand_over: Callable[[list[T]], bool], ids: list[T]) -> bool:
    """Hand committed rows' ids over; a failure here never fails the caller.

    The rows are committed already, so a broker outage (*hand_over* returns False) or an error
    in an eagerly run task (embedded mode) only delays the work: the sweep picks it up.
    """
    if not ids:
        return True
    try:
        return hand_over(ids)
    except Exception:
        log.exception("could not hand over %s; the sweep will retry", ids)
        return False
