"""`briefing lists create|list|show|update|rm`."""

from __future__ import annotations

from typing import Annotated

import typer

from briefing.cli.common import context
from briefing.core.models import MailingList
from briefing.subscribers import list_rules, lists

app = typer.Typer(help="Subscriber lists: who sends what, when, in which time zone.",
                  no_args_is_help=True)

Name = Annotated[str | None, typer.Option(help="Display name.")]
FromAddress = Annotated[str | None, typer.Option("--from", help="From address.")]
FromName = Annotated[str | None, typer.Option(help="From name (default: the list name).")]
ReplyTo = Annotated[str | None, typer.Option(help="Reply-To address.")]
SendTime = Annotated[str | None, typer.Option(help="Daily send time, HH:MM, local time.")]
Timezone = Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Berlin.")]
MaxArticles = Annotated[int | None, typer.Option(
    help="Most stories per edition (a story gathers every outlet's article on one event).")]
Sentences = Annotated[int | None, typer.Option(help="Summary sentences per article.")]
Postal = Annotated[str | None, typer.Option(help="Sender's postal address for the footer.")]
Description = Annotated[str | None, typer.Option(help="What the list is about.")]
Locale = Annotated[str | None, typer.Option(
    help="Language of the email's own words and dates (en, de, fr, …).")]
Feeds = Annotated[list[int] | None, typer.Option(
    "--feed", help="Take articles from this feed (repeat); with --tag: either one.")]
Tags = Annotated[list[str] | None, typer.Option(
    "--tag", help="Take articles with this tag (repeat).")]
Include = Annotated[list[str] | None, typer.Option(
    help='Only articles with any of these words or "quoted phrases".')]
Exclude = Annotated[list[str] | None, typer.Option(
    help='No article with any of these words or "quoted phrases".')]
Language = Annotated[str | None, typer.Option(
    help='Only articles in this language (ISO 639-1; "" for any).')]
Weights = Annotated[list[str] | None, typer.Option(
    "--weight", help="OUTLET=NUMBER: how much an outlet counts in the ranking (default 1).")]
ClearRules = Annotated[bool, typer.Option(
    "--clear-rules", help="Drop the list's rules first (then it takes every article).")]


def _changes(name: str | None, from_address: str | None, from_name: str | None,
             reply_to: str | None, send_time: str | None, timezone: str | None,
             max_articles: int | None, sentences: int | None, postal: str | None,
             description: str | None, locale: str | None,
             rules: list_rules.RulesChange) -> lists.ListChanges:
    return lists.ListChanges(
        name=name, from_address=from_address, from_name=from_name, reply_to=reply_to,
        send_time=send_time, timezone=timezone, max_articles=max_articles,
        summary_sentences=sentences, postal_address=postal, description=description,
        locale=locale, rules=rules)


def _rules(feed: list[int] | None, tag: list[str] | None, include: list[str] | None,
           exclude: list[str] | None, language: str | None, weight: list[str] | None,
           clear: bool = False) -> list_rules.RulesChange:
    weights = dict(list_rules.parse_weight(w) for w in weight) if weight is not None else None
    return list_rules.RulesChange(feeds=feed, tags=tag, include=include, exclude=exclude,
                                  language=language, weights=weights, clear=clear)


def _show(row: MailingList, counts: dict[str, int] | None = None) -> None:
    typer.secho(f"{row.slug}: {row.name}", bold=True)
    for label, value in (("from", f"{row.from_name} <{row.from_address}>"),
                         ("reply-to", row.reply_to), ("sends at", f"{row.send_time:%H:%M} "
                                                      f"{row.timezone}"),
                         ("stories", f"up to {row.max_articles}, "
                                     f"{row.summary_sentences} sentences each"),
                         ("locale", row.locale),
                         ("postal", row.postal_address), ("about", row.description)):
        if value:
            typer.echo(f"  {label:<9} {value}")
    for index, line in enumerate(list_rules.describe(row)):
        typer.echo(f"  {'takes' if index == 0 else '':<9} {line}")
    if counts is not None:
        typer.echo("  readers   " + ", ".join(f"{n} {status}" for status, n in counts.items()))


@app.command("create")
def create(slug: str, name: Name = None, from_address: FromAddress = None,
           from_name: FromName = None, reply_to: ReplyTo = None, send_time: SendTime = None,
           timezone: Timezone = None, max_articles: MaxArticles = None,
           sentences: Sentences = None, postal: Postal = None,
           description: Description = None, locale: Locale = None, feed: Feeds = None,
           tag: Tags = None, include: Include = None, exclude: Exclude = None,
           language: Language = None, weight: Weights = None) -> None:
    """Create a subscriber list; `--feed`, `--tag`, `--include`, `--exclude` and
    `--language` choose its articles (none: every article)."""
    row = lists.create_list(context(with_tasks=False).db, slug, _changes(
        name, from_address, from_name, reply_to, send_time, timezone, max_articles,
        sentences, postal, description, locale,
        _rules(feed, tag, include, exclude, language, weight)))
    _show(row)


@app.command("update")
def update(slug: str, name: Name = None, from_address: FromAddress = None,
           from_name: FromName = None, reply_to: ReplyTo = None, send_time: SendTime = None,
           timezone: Timezone = None, max_articles: MaxArticles = None,
           sentences: Sentences = None, postal: Postal = None,
           description: Description = None, locale: Locale = None, feed: Feeds = None,
           tag: Tags = None, include: Include = None, exclude: Exclude = None,
           language: Language = None, weight: Weights = None,
           clear_rules: ClearRules = False) -> None:
    """Change a list; each rule option given replaces that rule (the others stay)."""
    row = lists.update_list(context(with_tasks=False).db, slug, _changes(
        name, from_address, from_name, reply_to, send_time, timezone, max_articles,
        sentences, postal, description, locale,
        _rules(feed, tag, include, exclude, language, weight, clear_rules)))
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
