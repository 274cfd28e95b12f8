"""`briefing stories group|summarize FILE.jsonl`: the interfaces grouping is measured through;
`briefing stories list --list SLUG`: what today's edition of a list would group and rank.

Both read JSON Lines (a file, or - for stdin) and write JSON Lines to stdout.  A file with bad
lines is refused as a whole: each bad line is named on stderr and the exit code is 2, and
nothing is printed on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, TextIO

import typer

from briefing.cli.common import JsonFlag, context
from briefing.editions.service import StoryLine, todays_stories
from briefing.stories.grouping import group_articles
from briefing.stories.rows import StoryInputError, StoryRow, read_rows
from briefing.stories.summary import summarize_story

app = typer.Typer(no_args_is_help=True, help="Group articles into stories and summarize them.")

_FILE = typer.Argument(help="A JSON Lines file, or - for standard input.")


@app.command("group")
def group(path: Annotated[Path, _FILE]) -> None:
    """Group articles (JSON Lines: `id`, `title`, `text`, optional `source`, `published`, `url`)
    into stories: prints `{"id", "story"}` per row, in input order; nothing is stored. A
    file with bad lines is refused whole (each named, exit code 2)."""
    rows = _read(path, need_story=False)
    stories = group_articles([row.article for row in rows])
    for row, story in zip(rows, stories, strict=True):
        _emit({"id": row.article.id, "story": story})


@app.command("summarize")
def summarize(path: Annotated[Path, _FILE],
              sentences: Annotated[int, typer.Option(min=1, max=50)] = 3) -> None:
    """Summarize stories (rows as above plus `story`, optional `summary`): prints `{"story",
    "summary"}` per story."""
    stories: dict[str | int, list[StoryRow]] = {}
    for row in _read(path, need_story=True):
        assert row.story is not None  # read_rows checked it
        stories.setdefault(row.story, []).append(row)
    for story, rows in stories.items():
        summary = summarize_story([row.article for row in rows], sentences)
        _emit({"story": story, "summary": list(summary.sentences)})


@app.command("list")
def list_(slug: Annotated[str, typer.Option("--list", help="The list's slug.")],
          as_json: JsonFlag = False) -> None:
    """What today's edition of a list would hold: its stories, grouped and ranked (score =
    outlets weighed × freshness), the first ones marked top, updates marked; nothing is
    sent."""
    since, cutoff, stories = todays_stories(context(with_tasks=False).db, slug)
    if as_json:
        _emit({"slug": slug, "since": since.isoformat(), "cutoff": cutoff.isoformat(),
               "stories": [_story_json(s) for s in stories]})
        return
    typer.echo(f"{slug}: {len(stories)} stories from articles summarized since "
               f"{since:%Y-%m-%d %H:%M} UTC")
    for story in stories:
        marks = "".join((" top" if story.top else "", " update" if story.update else ""))
        typer.echo(f"{story.rank:>3}. {story.title}  [{story.outlets} outlets, score "
                   f"{story.score:.3f}{marks}]")
        for article in story.articles:
            typer.echo(f"       {article['source'] or '-'}: {article['title']} "
                       f"(article {article['id']})")


def _story_json(story: StoryLine) -> dict[str, object]:
    data = asdict(story)
    for article in data["articles"]:
        published = article.get("published_at")
        article["published_at"] = published.isoformat() if published else None
    return data


def _read(path: Path, *, need_story: bool) -> list[StoryRow]:
    try:
        with _open(path) as lines:
            return read_rows(lines, need_story=need_story)
    except StoryInputError as error:
        typer.echo(f"error: {path} has {error.bad_lines} bad lines; nothing was done:",
                   err=True)
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    except UnicodeDecodeError as error:
        typer.echo(f"error: {path} is not UTF-8 (bad byte at offset {error.start})", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _open(path: Path) -> Iterator[TextIO]:
    if str(path) == "-":
        yield sys.stdin
        return
    with path.open(encoding="utf-8") as handle:
        yield handle


def _emit(item: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
