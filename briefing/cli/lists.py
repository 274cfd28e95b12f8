"""`briefing lists create|list|show|update|rm`."""

from __future__ import annotations

from typing import Annotated

import typer

from briefing.cli.common import context
from briefing.core.models import MailingList
from briefing.subscribers import lists

app = typer.Typer(help="Subscriber lists: who sends what, when, in which time zone.",
                  no_args_is_help=True)

Name = Annotated[str | None, typer.Option(help="Display name.")]
FromAddress = Annotated[str | None, typer.Option("--from", help="From address.")]
FromName = Annotated[str | None, typer.Option(help="From name (default: the list name).")]
ReplyTo = Annotated[str | None, typer.Option(help="Reply-To address.")]
SendTime = Annotated[str | None, typer.Option(help="Daily send time, HH:MM, local time.")]
Timezone = Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Berlin.")]
MaxArticles = Annotated[int | None, typer.Option(help="Most articles per edition.")]
Sentences = Annotated[int | None, typer.Option(help="Summary sentences per article.")]
Postal = Annotated[str | None, typer.Option(help="Sender's postal address for the footer.")]
Description = Annotated[str | None, typer.Option(help="What the list is about.")]


def _changes(name: str | None, from_address: str | None, from_name: str | None,
             reply_to: str | None, send_time: str | None, timezone: str | None,
             max_articles: int | None, sentences: int | None, postal: str | None,
             description: str | None) -> lists.ListChanges:
    return lists.ListChanges(
        name=name, from_address=from_address, from_name=from_name, reply_to=reply_to,
        send_time=send_time, timezone=timezone, max_articles=max_articles,
        summary_sentences=sentences, postal_address=postal, description=description)


def _show(row: MailingList, counts: dict[str, int] | None = None) -> None:
    typer.secho(f"{row.slug}: {row.name}", bold=True)
    for label, value in (("from", f"{row.from_name} <{row.from_address}>"),
                         ("reply-to", row.reply_to), ("sends at", f"{row.send_time:%H:%M} "
                                                      f"{row.timezone}"),
                         ("articles", f"up to {row.max_articles}, "
                                      f"{row.summary_sentences} sentences each"),
                         ("postal", row.postal_address), ("about", row.description)):
        if value:
            typer.echo(f"  {label:<9} {value}")
    if counts is not None:
        typer.echo("  readers   " + ", ".join(f"{n} {status}" for status, n in counts.items()))


@app.command("create")
def create(slug: str, name: Name = None, from_address: FromAddress = None,
           from_name: FromName = None, reply_to: ReplyTo = None, send_time: SendTime = None,
           timezone: Timezone = None, max_articles: MaxArticles = None,
           sentences: Sentences = None, postal: Postal = None,
           description: Description = None) -> None:
    """Create a subscriber list."""
    row = lists.create_list(context(with_tasks=False).db, slug, _changes(
        name, from_address, from_name, reply_to, send_time, timezone, max_articles,
        sentences, postal, description))
    _show(row)


@app.command("update")
def update(slug: str, name: Name = None, from_address: FromAddress = None,
           from_name: FromName = None, reply_to: ReplyTo = None, send_time: SendTime = None,
           timezone: Timezone = None, max_articles: MaxArticles = None,
           sentences: Sentences = None, postal: Postal = None,
           description: Description = None) -> None:
    """Change a list."""
    row = lists.update_list(context(with_tasks=False).db, slug, _changes(
        name, from_address, from_name, reply_to, send_time, timezone, max_articles,
        sentences, postal, description))
    _show(row)


@app.command("list")
def list_() -> None:
    """Lists with active readers and send time."""
    db = context(with_tasks=False).db
    for row in lists.all_lists(db):
        counts = lists.subscriber_counts(db, row.id)
        typer.echo(f"{row.slug:<20} {row.name:<30} {counts['active']:>6} active  "
                   f"{row.send_time:%H:%M} {row.timezone}")


@app.command("show")
def show(slug: str) -> None:
    """One list's settings and reader counts by status."""
    db = context(with_tasks=False).db
    row = lists.get_list(db, slug)
    _show(row, lists.subscriber_counts(db, row.id))


@app.command("rm")
def rm(slug: str, force: Annotated[bool, typer.Option(
        help="Delete even when the list has editions.")] = False) -> None:
    """Delete a list and its subscriptions."""
    lists.delete_list(context(with_tasks=False).db, slug, force=force)
    typer.echo(f"deleted list {slug}")
