"""`briefing feeds add|list|rm|poll`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from tqdm import tqdm

from briefing import feeds
from briefing.cli.common import context
from briefing.fetch import FetchError
from briefing.textnorm import InputError

app = typer.Typer(help="Subscribe to RSS/Atom feeds; new entries become articles.",
                  no_args_is_help=True)


@app.command("add")
def add(url: str) -> None:
    """Subscribe to a feed (checked by fetching it once)."""
    ctx = context(with_tasks=False)
    feed = feeds.add_feed(ctx.db, url, ctx.settings)
    typer.echo(f"added feed {feed.id}: {feed.title or feed.url}")


@app.command("list")
def list_() -> None:
    """List subscribed feeds with their last poll."""
    for feed in feeds.list_feeds(context(with_tasks=False).db):
        polled = (feed.last_polled_at.isoformat(timespec="seconds")
                  if feed.last_polled_at else "never")
        error = f"  last error: {feed.last_error}" if feed.last_error else ""
        typer.echo(f"{feed.id:>5}  {feed.title or '-'}  <{feed.url}>  polled {polled}{error}")


@app.command("rm")
def rm(feed_id: int) -> None:
    """Unsubscribe from a feed (its articles stay)."""
    if not feeds.remove_feed(context(with_tasks=False).db, feed_id):
        raise InputError(f"no feed {feed_id}")
    typer.echo(f"removed feed {feed_id}")


@app.command("poll")
def poll(feed_ids: Annotated[list[int] | None, typer.Argument(help="Feeds (default all).")]
         = None) -> None:
    """Poll feeds now and queue new articles for summarizing."""
    from workers import dispatch

    ctx = context()
    ids = feed_ids or [f.id for f in feeds.list_feeds(ctx.db)]
    added = failed = 0
    for feed_id in tqdm(ids, desc="polling", unit="feed", file=sys.stderr):
        try:
            outcome = feeds.poll_feed(ctx.db, feed_id, ctx.settings)
        except FetchError as exc:
            failed += 1
            tqdm.write(f"feed {feed_id}: {exc}", file=sys.stderr)
            continue
        for error in outcome.errors:
            tqdm.write(f"feed {feed_id}: {error}", file=sys.stderr)
        dispatch.summarize_articles(outcome.new_article_ids)
        added += len(outcome.new_article_ids)
    typer.echo(f"{added} new articles from {len(ids)} feeds, {failed} feeds failed")
