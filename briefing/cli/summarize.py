"""`briefing summarize FILE|URL|-`: a summary on demand, nothing stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from tqdm import tqdm

from briefing.cli.articles import load_source
from briefing.cli.common import JsonFlag
from briefing.cli.render import print_summary
from briefing.core.config import SUMMARY_ALGORITHMS, Settings, load_settings
from briefing.core.languages import language_code
from briefing.ingest.adding import prepare
from briefing.summarize.jsonl import summarize_lines
from briefing.summarize.summarizer import summarize_text


def _check_algorithm(value: str | None) -> str | None:
    if value is not None and value not in SUMMARY_ALGORITHMS:
        raise typer.BadParameter("choose one of " + ", ".join(SUMMARY_ALGORITHMS))
    return value


def _check_language(value: str | None) -> str | None:
    if value is not None and language_code(value) is None:
        raise typer.BadParameter("give an ISO 639-1 code such as 'de' or a name such as 'german'")
    return value


def summarize(
    source: Annotated[str | None, typer.Argument(
        help="A file, a URL, or - for standard input.")] = None,
    algorithm: Annotated[str | None, typer.Option(
        callback=_check_algorithm, help="One of " + ", ".join(SUMMARY_ALGORITHMS) + ".")] = None,
    sentences: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    ratio: Annotated[float | None, typer.Option(min=0.01, max=1.0)] = None,
    as_json: JsonFlag = False,
    jsonl: Annotated[Path | None, typer.Option(
        "--jsonl", help="Batch: a JSON Lines file (id, text, title?, language?) or - for "
                        "stdin; writes one JSON line per input with id, summary and language "
                        "(ISO 639-1).")] = None,
    language: Annotated[str | None, typer.Option(
        callback=_check_language, help="Summarize in this language (ISO 639-1 code or "
                                       "English name) instead of the text's own.")] = None,
) -> None:
    """Print a summary on demand, in the text's own language unless `--language` is given; nothing
    is stored. `--jsonl FILE` summarizes JSON Lines (`id`, `text`, `title`?, `language`?)
    into rows of `id`, `summary`, `language`.

    Each text is summarized in its own language, detected offline (a page's declared language
    counts when the text agrees or is too short to tell; BRIEFING_SUMMARY_LANGUAGE otherwise).
    """
    settings = load_settings()
    if jsonl is not None:
        _batch(jsonl, algorithm or settings.summary_algorithm, sentences, ratio, settings,
               language)
        return
    if source is None:
        raise typer.BadParameter("give a FILE, URL or -, or --jsonl FILE")
    article = prepare(load_source(source, settings))
    if sentences is None and ratio is None:
        sentences = settings.summary_sentences
    summary = summarize_text(article.text, algorithm=algorithm or settings.summary_algorithm,
                             sentences=sentences, ratio=ratio, language=language,
                             declared_language=article.language,
                             fallback_language=settings.summary_language, title=article.title)
    if as_json:
        typer.echo(json.dumps({"title": article.title, "url": article.url,
                               "summary": list(summary.sentences), "language": summary.language,
                               "algorithm": summary.algorithm, "params": summary.params},
                              ensure_ascii=False, indent=2))
        return
    print_summary(article.title or "Untitled", summary.sentences, article.source)


def _batch(path: Path, algorithm: str, sentences: int | None, ratio: float | None,
           settings: Settings, language: str | None) -> None:
    if sentences is None and ratio is None:
        sentences = settings.summary_sentences
    with _open(path) as lines:
        results = summarize_lines(tqdm(lines, desc="summarizing", unit="line", file=sys.stderr),
                                  algorithm=algorithm, sentences=sentences, ratio=ratio,
                                  fallback_language=settings.summary_language,
                                  language=language)
        failed = 0
        for result in results:
            failed += "error" in result
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    if failed:
        typer.echo(f"{failed} lines could not be summarized (see their error field)", err=True)


def _open(path: Path) -> TextIO:
    if str(path) == "-":
        return sys.stdin
    return path.open(encoding="utf-8", errors="replace")
