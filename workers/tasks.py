"""Thin Celery tasks: take ids, call `briefing.operations.jobs`, decide about retries.

Transient errors (database or network briefly away) are retried with exponential backoff;
when retries run out the failure is written on the row. If even that write fails, the row
stays where it was and the periodic sweep hands it out again: nothing vanishes silently.
"""

from __future__ import annotations

import imaplib
import logging
from datetime import timedelta
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_init
from sqlalchemy.exc import OperationalError

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.models import EditionStatus
from briefing.delivery import send_edition as deliver
from briefing.editions import compose as edition
from briefing.editions import schedule
from briefing.feedback import imap, reports
from briefing.ingest import feeds
from briefing.mail.senders import MailError, PermanentError, TransientError
from briefing.operations import heartbeats, jobs
from briefing.operations import sweep as sweeping
from briefing.subscribers import confirmations, import_jobs
from workers import dispatch, runtime
from workers.app import app

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


def _backoff(retries: int) -> int:
    return int(min(600, 5 * 2**retries))


def _retry_or_give_up(task: Task, exc: Exception, give_up: Any) -> str:
    if task.request.retries >= runtime.settings().task_max_retries:
        log.error("giving up after %d retries: %s", task.request.retries, exc)
        give_up(f"gave up after {task.request.retries} retries: {exc}")
        return "failed"
    raise task.retry(exc=exc, countdown=_backoff(task.request.retries))


@app.task(bind=True, name="briefing.summarize_article", max_retries=None)
def summarize_article(self: Task, article_id: int, force: bool = False) -> str:
    db, settings = runtime.database(), runtime.settings()
    try:
        return jobs.summarize_article(db, article_id, settings, force=force)
    except SoftTimeLimitExceeded:
        jobs.fail_article(db, article_id, "summarizing took longer than "
                          f"{settings.summary_time_limit} s")
        return "failed"
    except TRANSIENT as exc:
        return _retry_or_give_up(self, exc, lambda e: jobs.fail_article(db, article_id, e))


@app.task(bind=True, name="briefing.summarize_request", max_retries=None)
def summarize_request(self: Task, request_id: str) -> str:
    db, settings = runtime.database(), runtime.settings()
    try:
        return jobs.run_summary_request(db, request_id, settings)
    except SoftTimeLimitExceeded:
        jobs.fail_request(db, request_id, "summarizing took too long")
        return "failed"
    except TRANSIENT as exc:
        return _retry_or_give_up(self, exc, lambda e: jobs.fail_request(db, request_id, e))


@worker_init.connect
def _summary_time_limits(**_: Any) -> None:
    """The worker's own BRIEFING_SUMMARY_TIME_LIMIT, read as it starts. Set on the tasks here
    (not at import, not in the message), the worker's pool enforces it whoever sent the task.
    The soft limit raises inside the task so the failure is recorded; the hard one is a
    backstop."""
    limit = runtime.settings().summary_time_limit
    for task in (summarize_article, summarize_request):
        task.soft_time_limit, task.time_limit = limit, limit + 30


@app.task(name="briefing.sweep")
def sweep() -> dict[str, int]:
    """Hand out again whatever a lost message, a flushed broker or a dead worker left."""
    return sweeping.sweep(runtime.database(), runtime.settings(), dispatch)


@app.task(name="briefing.tick")
def tick() -> int:
    """Every minute: create the editions whose local send time has come."""
    created = schedule.create_due_editions(runtime.database())
    dispatch.build_editions(created)
    # Recorded by the task, not by beat: a heartbeat proves beat, broker and a worker all work.
    heartbeats.record(runtime.database(), heartbeats.Beat.TICK, {"editions_created": len(created)})
    return len(created)


@app.task(bind=True, name="briefing.build_edition", max_retries=None)
def build_edition(self: Task, edition_id: int) -> str:
    db, settings = runtime.database(), runtime.settings()
    try:
        status = edition.build_edition(db, edition_id, settings)
    except TRANSIENT as exc:
        return _retry_or_give_up(self, exc, lambda e: log.error(
            "edition %d not built (the sweep will retry): %s", edition_id, e))
    if status == EditionStatus.SENDING:
        dispatch.send_editions([edition_id], settings.send_concurrency)
    return str(status)


@app.task(bind=True, name="briefing.send_edition", max_retries=None)
def send_edition(self: Task, edition_id: int) -> dict[str, int]:
    """Send what is due; come back for rows waiting out a backoff."""
    db, settings = runtime.database(), runtime.settings()
    try:
        result = deliver.send_some(db, edition_id, settings)
    except TRANSIENT as exc:
        # send_some handed its claim back; a dropped connection is usually gone by now
        # (the pool opens a fresh one), so the first retry is at once, later ones back off.
        retries = self.request.retries
        raise self.retry(exc=exc, countdown=_backoff(retries) if retries else 0) from None
    _come_back_later(edition_id, db, settings)
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed,
            "skipped": result.skipped}


def _come_back_later(edition_id: int, db: Any, settings: Settings) -> None:
    due = deliver.next_attempt(db, edition_id, settings)  # after a throttling pause, if any
    if due is None or app.conf.task_always_eager:  # in-process: `briefing sweep` resumes
        return
    wait = max(0.0, (due - utcnow()).total_seconds())  # due now: straight on
    if wait <= 600:  # further out, the periodic sweep picks it up
        send_edition.apply_async((edition_id,), countdown=wait)


@app.task(name="briefing.poll_feeds")
def poll_feeds() -> int:
    db, settings = runtime.database(), runtime.settings()
    ids = feeds.due_feed_ids(db, settings)
    for lane in feeds.host_lanes(db, ids, settings.feed_host_concurrency):
        poll_feed_lane.delay(lane)
    heartbeats.record(db, heartbeats.Beat.FEED_POLL, {"feeds_due": len(ids)})
    return len(ids)


@app.task(bind=True, name="briefing.poll_feed_lane", max_retries=None)
def poll_feed_lane(self: Task, feed_ids: list[int]) -> int:
    """Poll feeds of one host one after the other (see feeds.host_lanes)."""
    new = 0
    for index, feed_id in enumerate(feed_ids):
        try:
            new += _poll_one(feed_id)
        except TRANSIENT as exc:  # the database went away: the rest of the lane, later
            if self.request.retries >= runtime.settings().task_max_retries:
                log.error("feeds %s: giving up until their next poll: %s", feed_ids[index:], exc)
                return new
            raise self.retry(args=(feed_ids[index:],), exc=exc,
                             countdown=_backoff(self.request.retries)) from None
    return new


@app.task(bind=True, name="briefing.poll_feed", max_retries=None)
def poll_feed(self: Task, feed_id: int) -> int:
    try:
        return _poll_one(feed_id)
    except TRANSIENT as exc:
        _retry_or_give_up(self, exc, lambda e: None)
        return 0


def _poll_one(feed_id: int) -> int:
    """Poll one feed and queue its new articles; TRANSIENT errors propagate."""
    try:
        outcome = feeds.poll_feed(runtime.database(), feed_id, runtime.settings())
    except feeds.NoSuchFeed:  # unsubscribed since it was found due
        return 0
    if outcome.last_error:  # recorded on the feed by poll_feed; the next poll tries again
        log.warning("feed %d: %s", feed_id, outcome.last_error)
    dispatch.summarize_articles(outcome.new_article_ids)
    return len(outcome.new_article_ids)


@app.task(bind=True, name="briefing.send_confirmation", max_retries=None)
def send_confirmation(self: Task, subscription_id: int) -> str:
    try:
        return confirmations.send_confirmation(runtime.database(), subscription_id,
                                               runtime.settings())
    except PermanentError as exc:  # the address will not take mail: nothing to retry
        log.warning("confirmation for subscription %d refused: %s", subscription_id, exc)
        return "refused"
    except (TransientError, *TRANSIENT) as exc:
        return _retry_or_give_up(self, exc, lambda e: log.error(
            "confirmation for subscription %d not sent: %s", subscription_id, e))
    except MailError as exc:  # maybe sent: a second copy of a confirmation is harmless
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from None


@app.task(bind=True, name="briefing.import_subscribers", max_retries=None)
def import_subscribers(self: Task, job_id: int) -> str:
    """A CSV import started in the admin web app; its progress is written on the job."""
    db, settings = runtime.database(), runtime.settings()
    try:
        return import_jobs.run_import(db, job_id, timedelta(seconds=settings.stuck_after_seconds))
    except TRANSIENT as exc:
        try:
            import_jobs.release(db, job_id)
        except TRANSIENT:  # its heartbeat goes stale and the sweep hands it out again
            log.warning("import %d stays claimed until the sweep frees it", job_id)
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from None


@app.task(name="briefing.poll_bounce_mailbox")
def poll_bounce_mailbox() -> dict[str, int]:
    """Record the reports waiting in BRIEFING_BOUNCE_IMAP_URL and drop raw messages past
    BRIEFING_BOUNCE_KEEP_DAYS. A mailbox that cannot be reached is logged; the next poll
    tries again (nothing in it is lost: reports leave the mailbox only once recorded)."""
    db, settings = runtime.database(), runtime.settings()
    dropped = reports.drop_old_raw(db, settings)
    if not settings.bounce_imap_url:
        return {"recorded": 0, "dropped": dropped}
    try:
        poll = imap.poll_mailbox(db, settings, settings.bounce_imap_url)
    except (OSError, imaplib.IMAP4.error) as exc:
        log.warning("bounce mailbox not polled: %s", exc)
        return {"recorded": 0, "dropped": dropped}
    return {"recorded": poll.recorded, "left": poll.left, "dropped": dropped}
