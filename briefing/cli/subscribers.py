"""`briefing subscribers add|rm|list|show|import|export|erase`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from briefing.cli.common import context
from briefing.core.errors import InputError
from briefing.core.models import ConsentSource, SubscriptionStatus
from briefing.core.work import after_commit
from briefing.subscribers import lists, subscriptions
from briefing.subscribers.transfer import (
    erase_subscriber,
    export_csv,
    export_subscriber,
    import_csv,
)

app = typer.Typer(help="Readers of a list: add, remove, import, export.", no_args_is_help=True)
ListOption = Annotated[str, typer.Option("--list", "-l", help="The list's slug.")]


@app.command("add")
def add(email: str, list_slug: ListOption, name: Annotated[str | None, typer.Option()] = None,
        pending: Annotated[bool, typer.Option(
            help="Send a confirmation email instead of activating at once.")] = False,
        timezone: Annotated[str | None, typer.Option(
            help="The reader's IANA time zone, for lists sent at each reader's time.")] = None,
        frequency: Annotated[str | None, typer.Option(
            help="daily (default), weekdays (Monday to Friday) or weekly:<day> "
                 "(weekly:friday; weekly alone is Monday): the week's top stories.")] = None,
        topic: Annotated[list[str] | None, typer.Option(
            help="A topic of the list (one of its tags) to get only stories about; "
                 "repeat for more. None: everything.")] = None) -> None:
    """Add a reader (active at once, consent recorded as admin) or send them a confirmation email
    with `--pending`."""
    ctx = context()
    if pending:
        from workers import dispatch

        signup = subscriptions.sign_up(ctx.db, list_slug, email, name, ctx.settings,
                                       source=ConsentSource.ADMIN)
        if signup.send_confirmation:
            after_commit(dispatch.send_confirmations, [signup.subscription_id])
        typer.echo(f"{email}: confirmation requested")
        return
    row = subscriptions.add_subscriber(ctx.db, list_slug, email, name, timezone=timezone,
                                       frequency=frequency, topics=topic)
    typer.echo(f"{email}: {row.status} on {list_slug}")


@app.command("rm")
def rm(email: str, list_slug: ListOption) -> None:
    """Unsubscribe a reader (kept as unsubscribed: imports never revive them)."""
    if not subscriptions.remove_subscriber(context(with_tasks=False).db, list_slug, email):
        raise InputError(f"{email} is not subscribed to {list_slug}")
    typer.echo(f"{email}: unsubscribed from {list_slug}")


@app.command("list")
def list_(list_slug: ListOption,
          status: Annotated[SubscriptionStatus | None, typer.Option()] = None,
          search: Annotated[str | None, typer.Option(help="Part of an email or name.")] = None,
          limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
          offset: Annotated[int, typer.Option(min=0)] = 0) -> None:
    """Readers of a list, by email."""
    rows, total = subscriptions.list_subscribers(
        context(with_tasks=False).db, list_slug, status=status, search=search, limit=limit,
        offset=offset)
    for row in rows:
        typer.echo(f"{row.email:<40} {row.status!s:<13} {row.consent_source!s:<7} {row.name}")
    typer.echo(f"{len(rows)} of {total}", err=True)


@app.command("show")
def show(email: str) -> None:
    """Everything stored about one person, as JSON."""
    data = export_subscriber(context(with_tasks=False).db, email)
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command("erase")
def erase(email: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False
          ) -> None:
    """Delete a person and their subscriptions for good."""
    if not yes:
        typer.confirm(f"Erase {email} and all their subscriptions for good?", abort=True)
    if not erase_subscriber(context(with_tasks=False).db, email):
        raise InputError(f"no subscriber {email}")
    typer.echo(f"erased {email}")


@app.command("import")
def import_(path: Path, list_slug: ListOption,
            pending: Annotated[bool, typer.Option(
                help="Import as pending instead of active.")] = False) -> None:
    """Import a CSV (`email`, optional `name`, other columns kept as attributes); reports every
    rejected row with its line number. Idempotent."""
    db = context(with_tasks=False).db
    mailing_list = lists.get_list(db, list_slug)
    status = SubscriptionStatus.PENDING if pending else SubscriptionStatus.ACTIVE
    with path.open("rb") as stream, tqdm(desc="importing", unit="row", file=sys.stderr) as bar:
        report = import_csv(db, mailing_list.id, stream, status=status, progress=bar.update)
    for rejected in report.rejected:
        typer.echo(f"line {rejected.line}: {rejected.reason}", err=True)
    typer.echo(f"{report.rows} rows: {report.created} added, {report.updated} updated, "
               f"{report.unchanged} unchanged, {report.rejected_count} rejected")


@app.command("export")
def export(list_slug: ListOption,
           output: Annotated[Path | None, typer.Option("-o", help="File (default stdout).")]
           = None, status: Annotated[SubscriptionStatus | None, typer.Option()] = None) -> None:
    """Export a list's readers with their status and consent as CSV (formula-injection safe)."""
    db = context(with_tasks=False).db
    mailing_list = lists.get_list(db, list_slug)
    if output is None:
        export_csv(db, mailing_list.id, sys.stdout, status=status)
        return
    with output.open("w", newline="", encoding="utf-8") as handle:
        count = export_csv(db, mailing_list.id, handle, status=status)
    typer.echo(f"exported {count} readers to {output}", err=True)
