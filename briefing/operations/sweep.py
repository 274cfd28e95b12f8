"""The sweep: hand over again whatever a lost message, a flushed broker or a dead worker left.

Every few minutes the scheduler runs it. It reads only the database — rows whose status says
work is owed and that nobody has touched for `BRIEFING_STUCK_AFTER_SECONDS` — and hands their
ids to the work queue again; every task is safe to run twice, so a sweep that overlaps a slow
worker costs a little time and never a second copy.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.work import WorkQueue
from briefing.delivery import claims
from briefing.operations import heartbeats, jobs
from briefing.subscribers import confirmations, import_jobs

log = logging.getLogger(__name__)


def sweep(db: Database, settings: Settings, work: WorkQueue) -> dict[str, int]:
    """Hand out owed work again and record the sweep's heartbeat; returns what it found."""
    stuck = jobs.find_stuck(db, settings)
    if stuck.article_ids or stuck.request_ids:
        log.warning("sweep: re-enqueuing %d articles and %d summary requests",
                    len(stuck.article_ids), len(stuck.request_ids))
    work.summarize_articles(stuck.article_ids)
    work.summarize_requests(stuck.request_ids)
    recovered = claims.recover_stale_claims(db, settings)
    building, due = claims.editions_needing_work(db, settings)
    work.build_editions(building)
    resumed = sorted(set(due) | set(recovered))
    work.send_editions(resumed, settings.send_concurrency)
    unsent = confirmations.unsent_confirmations(db, settings)
    if unsent:
        log.warning("sweep: re-enqueuing %d confirmation emails never mailed", len(unsent))
    work.send_confirmations(unsent)
    work.import_subscribers(import_jobs.unfinished_jobs(
        db, timedelta(seconds=settings.stuck_after_seconds)))
    counts = {"articles": len(stuck.article_ids), "requests": len(stuck.request_ids),
              "editions_rebuilt": len(building), "editions_resumed": len(resumed),
              "confirmations": len(unsent)}
    heartbeats.record(db, heartbeats.Beat.SWEEP, counts)
    return counts
