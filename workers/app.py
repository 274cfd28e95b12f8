"""The Celery app, configured from Settings.

With no broker configured (embedded mode) tasks run eagerly in the caller's process: the same
task code a worker would run, minus the queue.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

from briefing.core.config import Settings
from briefing.core.db import ensure_schema
from briefing.core.outages import ServiceUnreachable, open_database
from workers import runtime
from workers.observed import ObservedTask

log = logging.getLogger(__name__)
MEMORY_BROKER = "memory://localhost/"  # embedded mode: tasks run eagerly, nothing is queued


def configure(app: Celery, settings: Settings) -> None:
    app.conf.update(
        broker_url=settings.broker_url or MEMORY_BROKER,
        task_always_eager=settings.embedded,
        task_eager_propagates=True,
        task_ignore_result=True,  # results live in the database, not in the broker
        task_serializer="json",
        accept_content=["json"],
        # A task is acknowledged only once it has run, and a worker that dies hands its
        # messages back: with idempotent tasks the worst case is running twice, never zero.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(settings.broker_url),
        # A lost connection hands a running task's message back to the queue (RabbitMQ at
        # once, Redis after its visibility timeout), so its ack can never arrive. Cancelling
        # the task would cut a sender off mid-message; letting it finish is safe because a
        # redelivered copy finds the rows already claimed. (Celery 6 flips the default.)
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # AMQP heartbeats let both ends notice a dead peer (a broker host gone without a
        # FIN) within two intervals instead of at the next TCP timeout, minutes later.
        broker_heartbeat=30,
        # Wait out a broker outage of any length: Celery's default gives up after 100 tries
        # (about 50 minutes) and the worker exits, leaving editions unsent until restarted.
        broker_connection_max_retries=None,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 1.0},
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
        beat_scheduler="workers.beat:Scheduler",  # makes its folder; records that it started
        worker_hijack_root_logger=True,
    )


def transport_options(broker_url: str) -> dict[str, Any]:
    """What each broker needs that the other has no word for."""
    if broker_url.startswith("redis"):
        # Redis redelivers a message unacknowledged this long, running or not: it must
        # outlast the longest task and the longest countdown (a send task coming back after
        # a throttling pause waits up to 600 s). A redelivery is harmless, only wasted work.
        return {"visibility_timeout": 3600}
    if broker_url.startswith("amqp"):
        # Publishing returns only once RabbitMQ has taken the message (persistent, on a
        # durable queue): an id handed over after a commit is not lost in a socket buffer.
        return {"confirm_publish": True}
    return {}


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "tick": {"task": "briefing.tick", "schedule": float(settings.tick_seconds)},
        "sweep": {"task": "briefing.sweep", "schedule": float(settings.sweep_seconds)},
        "poll-feeds": {"task": "briefing.poll_feeds",
                       "schedule": float(settings.feed_poll_minutes * 60)},
        **({"poll-bounce-mailbox": {"task": "briefing.poll_bounce_mailbox",
                                    "schedule": float(settings.bounce_imap_minutes * 60)}}
           if settings.bounce_imap_url else {}),
    }


app = Celery("briefing", include=["workers.tasks"], task_cls=ObservedTask)


@app.on_after_configure.connect
def _configure_from_environment(sender: Celery, **_: Any) -> None:
    # Celery's configuration is read when first needed (a worker starting, a task being sent),
    # not at import: importing `workers` neither reads the environment nor writes files.
    configure(sender, runtime.settings())


def setup(settings: Settings) -> Celery:
    """Point this process (its tasks and the Celery app) at `settings`."""
    runtime.use(settings)
    if app.conf.broker_url != (settings.broker_url or MEMORY_BROKER):
        _forget_broker_connections(app)
    configure(app, settings)
    return app


def _forget_broker_connections(celery: Celery) -> None:
    """Celery keeps the broker connection pool and producers it made for the first message,
    so after pointing the app at another broker it would go on publishing to the old one
    (unseen: the message is "sent"). Drop them, as Celery itself does after a fork."""
    celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@worker_init.connect
def _migrate_on_start(**_: Any) -> None:
    # Before forking: bring the schema up to date, then drop the connection so that no child
    # inherits a socket.
    if runtime.settings().embedded:
        log.error("BRIEFING_BROKER_URL is not set: this worker listens on an in-memory queue "
                  "that nothing else can reach (set it, e.g. redis://127.0.0.1:6379/0)")
    try:
        db = open_database(runtime.settings().database_url)
    except ServiceUnreachable as exc:  # one line, not the driver's traceback (and exit 1)
        log.critical("%s", exc)
        raise SystemExit(1) from None
    try:
        ensure_schema(db)
    finally:
        db.dispose()


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    runtime.reset()
