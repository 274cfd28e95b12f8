"""`briefing feeds add|list|rm|poll`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from tqdm import tqdm

from briefing.cli.common import Context, context
from briefing.core.errors import InputError
from briefing.core.work import after_commit
from briefing.ingest import feeds

app = typer.Typer(help="Subscribe to RSS/Atom feeds; new entries become articles.",
                  no_args_is_help=True)


_TAGS = typer.Option("--tag", help="A tag every article from this feed carries (repeat).")


@app.command("add")
def add(url: str, tag: Annotated[list[str] | None, _TAGS] = None) -> None:
    """Subscribe to an RSS/Atom feed (checked by fetching it once); `--tag T` tags its
    articles, for lists that choose by tag."""
    ctx = context(with_tasks=False)
    feed = feeds.add_feed(ctx.db, url, ctx.settings, tags=tag or [])
    typer.echo(f"added feed {feed.id}: {feed.title or feed.url}{_tag_note(feed.tags)}")


@app.command("tag")
def tag_(feed_id: int, tag: Annotated[list[str] | None, _TAGS] = None) -> None:
    """Replace a feed's tags (none given: no tags); articles stored from now on carry them."""
    feed = feeds.tag_feed(context(with_tasks=False).db, feed_id, tag or [])
    typer.echo(f"feed {feed.id}: {'tags ' + ', '.join(feed.tags) if feed.tags else 'no tags'}")


def _tag_note(tags: list[str]) -> str:
    return f" (tags: {', '.join(tags)})" if tags else ""


@app.command("list")
def list_() -> None:
    """Feeds with their last poll and last error."""
    for feed in feeds.list_feeds(context(with_tasks=False).db):
        polled = (feed.last_polled_at.isoformat(timespec="seconds")
                  if feed.last_polled_at else "never")
        error = f"  last error: {feed.last_error}" if feed.last_error else ""
        typer.echo(f"{feed.id:>5}  {feed.title or '-'}  <{feed.url}>{_tag_note(feed.tags)}  "
                   f"polled {polled}{error}")


@app.command("rm")
def rm(feed_id: int) -> None:
    """Unsubscribe (the articles stay)."""
    if not feeds.remove_feed(context(with_tasks=False).db, feed_id):
        raise InputError(f"no feed {feed_id}")
    typer.echo(f"removed feed {feed_id}")


@app.command("poll")
def poll(feed_ids: Annotated[list[int] | None, typer.Argument(help="Feeds (default all).")]
         = None) -> None:
    """Poll now; new entries become articles (full text fetched when the feed has only a teaser). A
    feed's or an entry's failure is printed and kept as the feed's last error while the
    others are polled; the last line sums up ("3 feeds polled, 1 with errors: 12 new
    articles, 2 duplicates"). Exits 1 only when every feed failed."""
    from workers import dispatch

    ctx = context()
    ids = feed_ids or [f.id for f in feeds.list_feeds(ctx.db)]
    outcomes = []
    for feed_id in tqdm(ids, desc="polling", unit="feed", file=sys.stderr):
        outcome = _poll_one(ctx, feed_id)
        after_commit(dispatch.summarize_articles, outcome.new_article_ids)
        outcomes.append(outcome)
    typer.echo(poll_summary(outcomes))
    if outcomes and all(outcome.failed for outcome in outcomes):
        raise typer.Exit(1)


def _poll_one(ctx: Context, feed_id: int) -> feeds.PollOutcome:
    try:
        outcome = feeds.poll_feed(ctx.db, feed_id, ctx.settings)
    except feeds.NoSuchFeed as exc:
        outcome = feeds.PollOutcome(feed_id, failed=str(exc))
    if outcome.last_error:
        tqdm.write(f"feed {feed_id}: {outcome.last_error}", file=sys.stderr)
    if outcome.deferred:
        tqdm.write(f"feed {feed_id}: {outcome.deferred} new entries left for the next poll",
                   file=sys.stderr)
    return outcome


def poll_summary(outcomes: list[feeds.PollOutcome]) -> str:
    """One line, e.g. "3 feeds polled, 1 with errors: 12 new articles, 2 duplicates"."""
    troubled = sum(1 for o in outcomes if o.last_error)
    failed = sum(1 for o in outcomes if o.failed)
    added = sum(len(o.new_article_ids) for o in outcomes)
    duplicates = sum(o.duplicates for o in outcomes)
    line = f"{_count(len(outcomes), 'feed')} polled"
    if troubled:
        line += f", {troubled} with errors" + (f" ({failed} could not be polled)" if failed else "")
    return line + f": {_count(added, 'new article')}, {_count(duplicates, 'duplicate')}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
