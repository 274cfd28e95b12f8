"""Running the service: `db`, `serve`, `worker`, `sweep`, `demo`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from tqdm import tqdm

from briefing.cli.common import context
from briefing.cli.render import print_summary
from briefing.config import load_settings
from briefing.db import Database, current_revision, head_revision, upgrade
from briefing.ingest import add_article, from_file, seed_files
from briefing.models import Article
from briefing.resources import seeds_dir

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    db = Database(load_settings().database_url)
    upgrade(db)
    typer.echo(f"database at revision {current_revision(db)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision (and whether it is the newest)."""
    db = Database(load_settings().database_url)
    current, head = current_revision(db), head_revision(db)
    typer.echo(f"{current or 'empty'} (newest: {head})")


def serve(host: Annotated[str, typer.Option()] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    context()  # fail early on bad settings and migrate before serving
    uvicorn.run("briefing.api:create_app", factory=True, host=host, port=port,
                workers=workers, proxy_headers=True)


def worker(concurrency: Annotated[int | None, typer.Option(min=1)] = None,
           beat: Annotated[bool, typer.Option(help="Run the periodic scheduler too.")] = True,
           loglevel: Annotated[str, typer.Option()] = "INFO") -> None:
    """Run a Celery worker (with its beat schedule) against BRIEFING_BROKER_URL."""
    ctx = context()
    if ctx.settings.embedded:
        raise typer.BadParameter("set BRIEFING_BROKER_URL (e.g. redis://127.0.0.1:6379/0): "
                                 "without a broker, tasks already run in-process")
    from workers.app import app

    argv = ["worker", f"--loglevel={loglevel}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv += ["--beat", f"--schedule={ctx.settings.data_dir / 'celerybeat-schedule'}"]
    app.worker_main(argv)


def sweep() -> None:
    """Re-enqueue work left behind by a lost message or a killed worker."""
    from workers.tasks import sweep as sweep_task

    context()
    counts = sweep_task.apply().get()
    typer.echo(f"re-enqueued {counts['articles']} articles, {counts['requests']} requests")


def demo() -> None:
    """Load seeds/, summarize every article in-process, print the summaries."""
    from workers.tasks import summarize_article

    ctx = context()
    ids: list[int] = []
    for path in tqdm(seed_files(seeds_dir()), desc="loading seeds", unit="file", file=sys.stderr):
        with ctx.db.session() as session:
            ids.append(add_article(session, from_file(path)).article_id)
    for article_id in tqdm(ids, desc="summarizing", unit="article", file=sys.stderr):
        # The task's own code, run here: the demo needs no broker and no worker.
        summarize_article.apply((article_id,))
    typer.echo(f"\nbriefing demo: {len(ids)} articles from {seeds_dir()}\n", err=True)
    with ctx.db.session() as session:
        for article_id in ids:
            article = session.get(Article, article_id)
            if article is not None:
                print_summary(article.title, article.summary or [f"({article.status}: "
                              f"{article.error})"], article.source)
    typer.echo(f"database: {ctx.settings.database_url}", err=True)
