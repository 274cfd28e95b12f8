"""`briefing status`: is the scheduler alive, what waits in the queue, what is being sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial

import typer

from briefing.cli.common import JsonFlag, context
from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.editions.service import EditionInfo
from briefing.operations import status as service


def status(as_json: JsonFlag = False) -> None:
    """Is the scheduler alive (its last tick, sweep and feed poll, and when it started), how many
    tasks wait in the queue, the feeds' state and the editions being built or sent. `--json`
    gives the same as `GET /api/status`, times in ISO 8601 UTC (e.g. `scheduler.last_tick`)."""
    ctx = context(with_tasks=False)
    report = service.service_status(ctx.db, ctx.settings, _queue_probe(ctx.settings))
    if as_json:
        typer.echo(json.dumps(service.as_json(report), indent=2))
        return
    _print_scheduler(report.scheduler)
    _print_queue(report.queue)
    feeds = report.feeds
    _line("feeds", f"{feeds.total} ({feeds.failing} failing), last polled "
                   f"{_when(feeds.last_polled_at)}")
    _print_editions(report.editions_in_flight)


def _line(label: str, text: str, *, indent: int = 0, color: str | None = None) -> None:
    typer.secho(f"{' ' * indent}{label:<{20 - indent}}{text}", fg=color)


def _queue_probe(settings: Settings) -> Callable[[], int] | None:
    if settings.embedded:
        return None
    from workers.probes import queue_depth

    return partial(queue_depth, settings.broker_url)


def _print_scheduler(scheduler: service.SchedulerStatus) -> None:
    state = str(scheduler.state)
    if scheduler.state == service.SchedulerState.LATE:
        state += (f": no tick for over {scheduler.late_after_seconds} s (is a `briefing "
                  "worker` with beat running, and can it reach the broker?)")
    _line("scheduler", state, color=None if scheduler.healthy else typer.colors.RED)
    host = f" on {scheduler.tick_host}" if scheduler.tick_host else ""
    for label, moment, where in (("last tick", scheduler.last_tick, host),
                                 ("last sweep", scheduler.last_sweep, ""),
                                 ("last feed poll", scheduler.last_feed_poll, ""),
                                 ("started", scheduler.started_at, "")):
        _line(label, _when(moment) + where, indent=2)


def _print_queue(queue: service.QueueStatus) -> None:
    if queue.broker == "embedded":
        _line("queue", "none (embedded mode: tasks run in-process)")
    elif queue.depth is None:
        _line("queue", f"unknown: {queue.problem}", color=typer.colors.RED)
    else:
        _line("queue", f"{queue.depth} task{'' if queue.depth == 1 else 's'} waiting")


def _print_editions(infos: list[EditionInfo]) -> None:
    _line("editions in flight", str(len(infos) or "none"))
    for info in infos:
        counts = ", ".join(f"{n} {state}" for state, n in info.counts.items() if n)
        typer.echo(f"  {info.id:>5}  {info.list_slug:<16} {info.edition_date}  "
                   f"{info.status!s:<8} {counts or 'no deliveries yet'}")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    ago = int((utcnow() - moment).total_seconds())
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({_ago(ago)})"


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
