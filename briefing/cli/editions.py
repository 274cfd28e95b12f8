"""`briefing send`, `briefing preview`, `briefing editions list|show`."""

from __future__ import annotations

import webbrowser
from datetime import date
from typing import Annotated

import typer

from briefing import editions, lists
from briefing.cli.common import Context, context
from briefing.textnorm import InputError

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
    typer.echo(f"{info.id:>5}  {info.list_slug:<16} {info.edition_date}  {info.status!s:<8} "
               f"{info.articles} articles  {counts or 'no deliveries'}")
    if info.note:
        typer.echo(f"       {info.note}")
    held = editions.sending_paused(ctx.db, ctx.settings, info)
    if held is not None:
        typer.echo(f"       sending {held}")


def send(list_slug: ListOption = None, day: DateOption = None,
         dry_run: Annotated[bool, typer.Option(
             "--dry-run", help="Show what would be sent; send nothing.")] = False,
         to: Annotated[str | None, typer.Option(
             "--to", help="Send one test copy to this address only.")] = None) -> None:
    """Build and send editions now (each list at most once per date)."""
    from workers import dispatch

    ctx = context()
    slugs = [list_slug] if list_slug else [row.slug for row in lists.all_lists(ctx.db)]
    if not slugs:
        raise InputError("there are no lists yet: create one with `briefing lists create`")
    for slug in slugs:
        if to:
            reply = editions.send_test_copy(ctx.db, slug, to, ctx.settings)
            typer.echo(f"{slug}: test copy to {to}: {reply}")
        elif dry_run:
            rendered, count = editions.render_now(ctx.db, slug, ctx.settings, _date(day))
            readers = lists.subscriber_counts(ctx.db, lists.get_list(ctx.db, slug).id)["active"]
            typer.echo(f"{slug}: " + (f"{rendered.subject!r}: {rendered.articles_shown} of "
                                      f"{count} articles to {readers} readers"
                                      if rendered else "no news: nothing would be sent"))
        else:
            edition_id, created = editions.ensure_edition(ctx.db, slug, _date(day))
            if created:
                dispatch.build_editions([edition_id])
            _print_info(editions.edition_info(ctx.db, edition_id), ctx)


def preview(list_slug: Annotated[str, typer.Option("--list", "-l", help="A list's slug.")],
            day: DateOption = None,
            open_it: Annotated[bool, typer.Option("--open", help="Open in a browser.")] = False
            ) -> None:
    """Write the list's edition as it would look now to an HTML file."""
    ctx = context(with_tasks=False)
    path = editions.write_preview(ctx.db, list_slug, ctx.settings, _date(day))
    if path is None:
        raise InputError(f"list {list_slug!r} has no news to preview")
    typer.echo(str(path))
    if open_it:
        webbrowser.open(path.resolve().as_uri())


@app.command("list")
def list_(list_slug: ListOption = None,
          limit: Annotated[int, typer.Option(min=1, max=200)] = 30) -> None:
    """Editions, newest first, with delivery counts."""
    ctx = context(with_tasks=False)
    for info in editions.list_editions(ctx.db, list_slug, limit=limit):
        _print_info(info, ctx)


@app.command("show")
def show(edition_id: int) -> None:
    """One edition: subject, status and delivery counts."""
    ctx = context(with_tasks=False)
    info = editions.edition_info(ctx.db, edition_id)
    _print_info(info, ctx)
    if info.subject:
        typer.echo(f"       subject: {info.subject}")
