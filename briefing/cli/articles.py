"""`briefing articles add|list|show|edit|rm`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from briefing.cli.common import Context, JsonFlag, context
from briefing.cli.render import article_json, print_article, print_table
from briefing.core.config import Settings
from briefing.core.errors import InputError
from briefing.core.models import ArticleStatus
from briefing.core.work import after_commit
from briefing.ingest.adding import (
    AddResult,
    ArticleInput,
    add_article,
    from_file,
    from_text,
    from_url,
    iter_folder,
)
from briefing.ingest.articles import (
    ArticleEdit,
    ArticleFilter,
    delete_article,
    edit_article,
    get_article,
    list_articles,
)
from briefing.ingest.feeds import fetch_policy
from briefing.text.normalize import decode_text
from briefing.text.rules import clean_tags

app = typer.Typer(help="Add, list, show and remove articles.", no_args_is_help=True)


def load_source(source: str, settings: Settings, *, title: str | None = None,
                markdown: bool = False) -> ArticleInput:
    """One article from a file, a URL or `-` (standard input)."""
    limit = settings.max_article_bytes
    if source == "-":
        return from_text(sys.stdin.buffer.read(limit + 1), title=title, markdown=markdown,
                         max_bytes=limit)
    if source.startswith(("http://", "https://")):
        return from_url(source, fetch_policy(settings), title=title)
    article = from_file(Path(source), max_bytes=limit)
    return article if title is None else replace(article, title=title)


def _store(ctx: Context, article: ArticleInput) -> AddResult:
    with ctx.db.session() as session:
        return add_article(session, article)


def _report(result: AddResult, label: str) -> None:
    if result.created:
        typer.echo(f"added article {result.article_id}: {result.title}")
    else:
        typer.echo(f"{label}: duplicate of article {result.article_id} ({result.reason}): "
                   f"{result.title}")


@dataclass
class _Tally:
    """What one `articles add` did, for its last line."""

    created: list[int] = field(default_factory=list)
    duplicates: int = 0
    failures: int = 0

    def count(self, result: AddResult) -> None:
        if result.created:
            self.created.append(result.article_id)
        else:
            self.duplicates += 1

    def line(self) -> str:
        return (f"{len(self.created):,} added, {self.duplicates:,} duplicates, "
                f"{self.failures:,} failed")


def _add_folder(ctx: Context, folder: Path, tally: _Tally, tags: tuple[str, ...]) -> None:
    items = list(iter_folder(folder, max_bytes=ctx.settings.max_article_bytes))
    for path, item in tqdm(items, desc="adding", unit="file", file=sys.stderr):
        try:
            if isinstance(item, InputError):
                raise item
            result = _store(ctx, replace(item, tags=tags))
        except InputError as exc:
            tally.failures += 1
            tqdm.write(f"skipped {exc}", file=sys.stderr)
            continue
        tally.count(result)
        if not result.created:
            tqdm.write(f"{path}: duplicate of article {result.article_id}", file=sys.stderr)


@app.command("add")
def add(
    sources: Annotated[list[str], typer.Argument(help="Files, folders, URLs, or - for stdin.")],
    title: Annotated[str | None, typer.Option(help="Title (single source only).")] = None,
    markdown: Annotated[bool, typer.Option(help="Treat stdin as Markdown.")] = False,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Tag the articles (repeat); lists can choose articles by tag.")] = None,
) -> None:
    """Add articles (`.txt`, `.md`, `.html` files; a folder in bulk with a progress bar; a URL;
    stdin) and queue them for summarizing. Duplicates are reported with the id they
    duplicate; the last line counts them ("0 added, 2,000 duplicates, 0 failed")."""
    from workers import dispatch

    ctx = context()
    tally = _Tally()
    tags = tuple(clean_tags(tag or []))
    for source in sources:
        if Path(source).is_dir():
            _add_folder(ctx, Path(source), tally, tags)
            continue
        result = _store(ctx, replace(load_source(source, ctx.settings, title=title,
                                                 markdown=markdown), tags=tags))
        _report(result, source)
        tally.count(result)
    if not after_commit(dispatch.summarize_articles, tally.created):
        typer.echo("broker unavailable: the articles will be summarized by the next sweep",
                   err=True)
    typer.echo(tally.line(), err=True)
    if tally.failures:
        raise typer.Exit(1)


@app.command("list")
def list_(
    status: Annotated[ArticleStatus | None, typer.Option(help="Only this status.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Added at or after (ISO date).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """List articles, newest first."""
    page = list_articles(context(with_tasks=False).db, ArticleFilter(status=status, since=since),
                         limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps({"total": page.total, "items": [
            article_json(a, with_text=False) for a in page.items]}, indent=2))
        return
    print_table(page.items)
    typer.echo(f"{len(page.items)} of {page.total}", err=True)


@app.command("show")
def show(article_id: int, as_json: JsonFlag = False) -> None:
    """One article with its summary."""
    article = get_article(context(with_tasks=False).db, article_id)
    if article is None:
        raise InputError(f"no article {article_id}")
    if as_json:
        typer.echo(json.dumps(article_json(article, with_text=True), indent=2))
    else:
        print_article(article)


@app.command("edit")
def edit(
    article_id: int,
    title: Annotated[str | None, typer.Option(help="The corrected title.")] = None,
    summary_file: Annotated[str | None, typer.Option(
        help="The corrected summary: a file (or - for stdin) with one sentence per line.")]
        = None,
    restore_summary: Annotated[bool, typer.Option(
        help="Drop a hand-edited summary and summarize the article again.")] = False,
) -> None:
    """Correct an article before it is sent, as `PATCH /api/articles/{id}` does; the summary file
    has one sentence per line. `--restore-summary` drops the edit and summarizes the article
    again."""
    from workers import dispatch

    if title is None and summary_file is None and not restore_summary:
        raise InputError("give --title, --summary-file or --restore-summary")
    ctx = context()
    summary = None if summary_file is None else _sentences(summary_file)
    change = ArticleEdit(title=title, summary=summary, restore_summary=restore_summary)
    if edit_article(ctx.db, article_id, change) is None:
        raise InputError(f"no article {article_id}")
    if restore_summary:
        after_commit(dispatch.summarize_articles, [article_id])
    article = get_article(ctx.db, article_id)
    assert article is not None
    print_article(article)


def _sentences(source: str) -> list[str]:
    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    lines = decode_text(raw, what="the summary file").splitlines()
    return [line for line in lines if line.strip()]


@app.command("rm")
def rm(article_ids: list[int]) -> None:
    """Delete articles."""
    ctx = context(with_tasks=False)
    missing = [i for i in article_ids if not delete_article(ctx.db, i)]
    for article_id in article_ids:
        if article_id not in missing:
            typer.echo(f"deleted article {article_id}")
    if missing:
        raise InputError("no article " + ", ".join(map(str, missing)))
