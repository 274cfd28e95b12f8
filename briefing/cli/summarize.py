"""`briefing summarize FILE|URL|-`: a summary on demand, nothing stored."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from briefing.cli.articles import load_source
from briefing.cli.render import print_summary
from briefing.config import SUMMARY_ALGORITHMS, load_settings
from briefing.ingest import prepare
from briefing.summarize import summarize_text


def _check_algorithm(value: str | None) -> str | None:
    if value is not None and value not in SUMMARY_ALGORITHMS:
        raise typer.BadParameter("choose one of " + ", ".join(SUMMARY_ALGORITHMS))
    return value


def summarize(
    source: Annotated[str, typer.Argument(help="A file, a URL, or - for standard input.")],
    algorithm: Annotated[str | None, typer.Option(
        callback=_check_algorithm, help="One of " + ", ".join(SUMMARY_ALGORITHMS) + ".")] = None,
    sentences: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    ratio: Annotated[float | None, typer.Option(min=0.01, max=1.0)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Print a summary of one article."""
    settings = load_settings()
    article = prepare(load_source(source, settings))
    if sentences is None and ratio is None:
        sentences = settings.summary_sentences
    summary = summarize_text(article.text, algorithm=algorithm or settings.summary_algorithm,
                             sentences=sentences, ratio=ratio,
                             language=settings.summary_language, title=article.title)
    if as_json:
        typer.echo(json.dumps({"title": article.title, "url": article.url,
                               "summary": list(summary.sentences),
                               "algorithm": summary.algorithm, "params": summary.params},
                              ensure_ascii=False, indent=2))
        return
    print_summary(article.title or "Untitled", summary.sentences, article.source)
