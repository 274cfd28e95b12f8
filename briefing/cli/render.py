"""How articles look on a terminal and as JSON."""

from __future__ import annotations

import textwrap
from typing import Any

import typer

from briefing.core.models import Article


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def article_json(article: Article, *, with_text: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id, "title": article.title, "url": article.url, "source": article.source,
        "author": article.author, "published_at": _iso(article.published_at),
        "language": article.language, "language_source": article.language_source,
        "declared_language": article.declared_language, "status": str(article.status),
        "summary": article.summary, "summary_algorithm": article.summary_algorithm,
        "summary_params": article.summary_params,
        "summarized_at": _iso(article.summarized_at), "error": article.error,
        "summary_edited_at": _iso(article.summary_edited_at),
        "created_at": _iso(article.created_at), "tags": list(article.tags or []),
        "story_id": article.story_id,
    }
    if with_text:
        data["text"] = article.text
    return data


def _language(article: Article) -> str | None:
    if article.language is None:
        return None
    return f"{article.language} ({article.language_source or 'declared'})"


def print_table(articles: list[Article]) -> None:
    for article in articles:
        title = textwrap.shorten(article.title, 70, placeholder="…")
        typer.echo(f"{article.id:>6}  {article.status!s:<11}  {title}")


def print_summary(title: str, sentences: list[str] | tuple[str, ...], source: str | None = None
                  ) -> None:
    typer.secho(title, bold=True)
    if source:
        typer.echo(f"  ({source})")
    for sentence in sentences:
        typer.echo(textwrap.fill(sentence, 88, initial_indent="  • ", subsequent_indent="    "))
    typer.echo("")


def print_article(article: Article) -> None:
    typer.secho(f"{article.title}", bold=True)
    for label, value in (("id", article.id), ("url", article.url), ("source", article.source),
                         ("author", article.author), ("published", article.published_at),
                         ("language", _language(article)), ("status", article.status),
                         ("tags", ", ".join(article.tags or []) or None),
                         ("story", article.story_id), ("error", article.error)):
        if value is not None:
            typer.echo(f"  {label:<10} {value}")
    if article.summary:
        made_by = "edited" if article.summary_edited_at else article.summary_algorithm
        typer.echo(f"  summary ({made_by}):")
        for sentence in article.summary:
            typer.echo(textwrap.fill(sentence, 88, initial_indent="    • ",
                                     subsequent_indent="      "))
