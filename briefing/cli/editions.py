"""`briefing send`, `briefing preview`, `briefing editions list|show`."""

from __future__ import annotations

import webbrowser
from datetime import date
from typing import Annotated

import typer

from briefing.cli.common import Context, context
from briefing.core.errors import InputError
from briefing.core.models import EditionKind
from briefing.core.work import after_commit
from briefing.editions import service as editions
from briefing.editions import testcopy
from briefing.subscribers import lists

app = typer.Typer(help="Past and current editions with their delivery counts.",
                  no_args_is_help=True)
ListOption = Annotated[str | None, typer.Option("--list", "-l", help="A list's slug.")]
DateOption = Annotated[str | None, typer.Option(
    "--date", help="Edition date, YYYY-MM-DD (default: today in the list's time zone).")]


def _date(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"--date {raw!r} is not YYYY-MM-DD") from None


def _print_info(info: editions.EditionInfo, ctx: Context) -> None:
    counts = ", ".join(f"{n} {status}" for status, n in info.counts.items() if n)
    weekly = " weekly" if info.kind == EditionKind.WEEKLY else ""
    typer.echo(f"{info.id:>5}  {info.list_slug:<16} {info.edition_date}{weekly}  "
               f"{info.status!s:<8} {info.articles} stories  {counts or 'no deliveries'}")
    if info.note:
        typer.echo(f"       {info.note}")
    held = editions.sending_paused(ctx.db, ctx.settings, info)
    if held is not None:
        typer.echo(f"       sending {held}")
    if info.paused:
        typer.echo(f"       sending paused for the list: {info.paused} (briefing editions "
                   f"resume {info.id})")
    rates = info.feedback
    if rates is not None and (rates.hard_bounces or rates.complaints):
        typer.echo(f"       reported later: {rates.hard_bounces} hard bounces "
                   f"({rates.bounce_rate:.2%}), {rates.complaints} complaints "
                   f"({rates.complaint_rate:.2%}) of {rates.accepted} accepted")


def send(list_slug: ListOption = None, day: DateOption = None,
         dry_run: Annotated[bool, typer.Option(
             "--dry-run", help=("Show what would be sent (or, for a date already sent, "
                                "when and to how many); send nothing."))] = False,
         to: Annotated[str | None, typer.Option(
             "--to", help=("Send one test copy to this address only; its unsubscribe and "
                           "preferences links open a page saying it was a test copy."))
         ] = None) -> None:
    """Build and send today's edition now (at most one per list and date: running it twice sends
    nothing twice). `--dry-run` shows what would go out, or, for a date whose edition was
    already sent, when and to how many readers it went and what it held. `--to` sends one
    test copy to that address only (of the edition as sent, once it was); its unsubscribe
    and preferences links open a page saying it was a test copy, and change nothing."""
    from workers import dispatch

    ctx = context()
    slugs = [list_slug] if list_slug else [row.slug for row in lists.all_lists(ctx.db)]
    if not slugs:
        raise InputError("there are no lists yet: create one with `briefing lists create`")
    for slug in slugs:
        if to:
            _test_copy(ctx, slug, to, _date(day))
        elif dry_run:
            _dry_run(ctx, slug, _date(day))
        else:
            edition_id, created = editions.ensure_edition(ctx.db, slug, _date(day))
            if created:
                after_commit(dispatch.build_editions, [edition_id])
            _print_info(editions.edition_info(ctx.db, edition_id), ctx)


def _what(content: editions.Content) -> str:
    rendered = content.rendered
    if rendered is None:
        return "no news"
    shown = (f"{rendered.articles_shown} stories" if content.built
             else f"{rendered.articles_shown} of {content.selected} stories")
    return f"{rendered.subject!r}: {shown}"


def _dry_run(ctx: Context, slug: str, day: date | None) -> None:
    content = editions.edition_content(ctx.db, slug, ctx.settings, day)
    note = editions.built_note(content)
    if note is not None:
        typer.echo(f"{slug}: {note}; {_what(content)}; nothing new would be sent")
    elif content.rendered is None:
        typer.echo(f"{slug}: no news: nothing would be sent")
    else:
        typer.echo(f"{slug}: {_what(content)} to {content.readers} readers")


def _test_copy(ctx: Context, slug: str, to: str, day: date | None) -> None:
    copy = testcopy.send_test_copy(ctx.db, slug, to, ctx.settings, day)
    note = editions.built_note(copy.content)
    typer.echo(f"{slug}: test copy to {to}: {copy.subject!r}, {copy.articles} stories"
               + (f" ({note})" if note else "") + f": {copy.reply}")


def preview(list_slug: Annotated[str, typer.Option("--list", "-l", help="A list's slug.")],
            day: DateOption = None,
            open_it: Annotated[bool, typer.Option("--open", help="Open in a browser.")] = False
            ) -> None:
    """Write the list's edition to an HTML file and print its path: as it was sent, for a
    date already sent; else as it would look now."""
    ctx = context(with_tasks=False)
    path, content = editions.write_preview(ctx.db, list_slug, ctx.settings, _date(day))
    note = editions.built_note(content)
    if path is None:
        raise InputError(f"list {list_slug!r} has no news to preview"
                         + (f": {note}" if note else ""))
    if note:
        typer.echo(f"{list_slug}: {note}; this is what was sent", err=True)
    typer.echo(str(path))
    if open_it:
        webbrowser.open(path.resolve().as_uri())


@app.command("list")
def list_(list_slug: ListOption = None,
          limit: Annotated[int, typer.Option(min=1, max=200)] = 30) -> None:
    """Editions, newest first, with delivery counts (queued, sending, sent, skipped, failed,
    bounced)."""
    ctx = context(with_tasks=False)
    for info in editions.list_editions(ctx.db, list_slug, limit=limit):
        _print_info(info, ctx)


@app.command("show")
def show(edition_id: int) -> None:
    """One edition's status, subject and counts."""
    ctx = context(with_tasks=False)
    info = editions.edition_info(ctx.db, edition_id)
    _print_info(info, ctx)
    if info.subject:
        typer.echo(f"       subject: {info.subject}")


@app.command("resume")
def resume(edition_id: int) -> None:
    """Go on sending an edition held by its list's guard rails (bounce or complaint rate) or
    by a throttling pause."""
    from briefing.backoffice.sending import resume_edition
    from workers import dispatch

    ctx = context()
    resume_edition(ctx.db, edition_id, ctx.settings)
    after_commit(lambda ids: dispatch.send_editions(ids, ctx.settings.send_concurrency),
                 [edition_id])
    typer.echo(f"edition {edition_id}: sending goes on")
