"""Running the service: `db`, `serve`, `worker`, `sweep`, `demo`."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated, TypedDict

import typer
from tqdm import tqdm

from briefing.cli.common import context
from briefing.cli.render import print_summary
from briefing.core import logs
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, current_revision, head_revision, upgrade
from briefing.core.models import Article
from briefing.core.outages import open_database
from briefing.core.resources import seeds_dir
from briefing.editions import service as editions
from briefing.ingest.adding import add_article, from_file, seed_files
from briefing.subscribers import lists
from briefing.subscribers.transfer import import_csv

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema (other commands do this themselves on an empty database)."""
    db = open_database(load_settings().database_url)
    upgrade(db)
    typer.echo(f"database at revision {current_revision(db)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision."""
    db = open_database(load_settings().database_url)
    current, head = current_revision(db), head_revision(db)
    typer.echo(f"{current or 'empty'} (newest: {head})")


def serve(host: Annotated[str, typer.Option()] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1) -> None:
    """Run the HTTP API."""
    import uvicorn

    settings = context().settings  # fail early on bad settings and migrate before serving
    from uvicorn.config import LOGGING_CONFIG

    log_config = logs.uvicorn_config(settings.log_level, settings.log_format) or LOGGING_CONFIG
    uvicorn.run("briefing.server:served_app", factory=True, host=host, port=port,
                workers=workers, log_config=log_config, **proxy_options(settings))


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: str


def proxy_options(settings: Settings) -> ProxyOptions:
    """Whose X-Forwarded-For uvicorn believes: only BRIEFING_TRUSTED_PROXIES'. Left to
    itself it believes any process on 127.0.0.1, which could then pick its own address for
    the rate limits and the consent records."""
    trusted = ",".join(settings.trusted_proxies)
    return ProxyOptions(proxy_headers=bool(trusted), forwarded_allow_ips=trusted)


def worker(concurrency: Annotated[int | None, typer.Option(min=1)] = None,
           beat: Annotated[bool, typer.Option(help="Run the periodic scheduler too.")] = True,
           loglevel: Annotated[str, typer.Option()] = "INFO") -> None:
    """Run a Celery worker with its periodic schedule (sweep, feed polling)."""
    ctx = context()
    if ctx.settings.embedded:
        raise typer.BadParameter("set BRIEFING_BROKER_URL (e.g. redis://127.0.0.1:6379/0): "
                                 "without a broker, tasks already run in-process")
    from workers.app import app
    from workers.probes import check_broker

    check_broker(ctx.settings.broker_url)  # one line and exit 1, not Celery's retry loop

    argv = ["worker", f"--loglevel={loglevel}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv += ["--beat", f"--schedule={ctx.settings.data_dir / 'celerybeat-schedule'}"]
    if ctx.settings.log_format == "json":
        argv.insert(0, "--quiet")  # no start-up banner: every line out is one JSON object
    app.worker_main(argv)


def sweep() -> None:
    """Re-enqueue stuck work now (articles, editions, confirmation emails never mailed)."""
    from workers.tasks import sweep as sweep_task

    context()
    # In-process run: Celery's "never .get() within a task" guard is a process-wide flag that
    # any eager task on another thread (a web app's background send) sets for a moment, so
    # it would refuse this call at random. Nothing here blocks on a worker.
    counts = sweep_task.apply().get(disable_sync_subtasks=False)
    mails = counts["confirmations"]
    typer.echo(f"re-enqueued {counts['articles']} articles, {counts['requests']} requests, "
               f"{mails} confirmation email{'' if mails == 1 else 's'}")


DEMO_LIST = "demo"


def demo() -> None:
    """Load `seeds/`, summarize every article in-process, print the summaries."""
    from workers.app import setup

    ctx = context()
    # The demo never mails anyone and never needs a broker, whatever the environment says.
    settings = replace(ctx.settings, smtp_host="", broker_url="")
    setup(settings)
    ids = _load_and_summarize(ctx.db)
    _print_summaries(ctx.db, ids)
    edition_id = _demo_edition(ctx.db, settings)
    info = editions.edition_info(ctx.db, edition_id)
    typer.echo(f"edition {info.edition_date} of list {DEMO_LIST!r}: {info.status}, "
               f"{info.counts['sent']} copies in {settings.outbox_dir}", err=True)
    if info.note:
        typer.echo(info.note, err=True)
    latest = max(settings.outbox_dir.glob("*.html"), default=None, key=lambda p: p.stat().st_mtime)
    if latest is not None:
        typer.echo(f"\nopen the briefing: {latest.resolve()}")


def _load_and_summarize(db: Database) -> list[int]:
    from workers.tasks import summarize_article

    ids: list[int] = []
    for path in tqdm(seed_files(seeds_dir()), desc="loading seeds", unit="file", file=sys.stderr):
        with db.session() as session:
            ids.append(add_article(session, from_file(path)).article_id)
    for article_id in tqdm(ids, desc="summarizing", unit="article", file=sys.stderr):
        summarize_article.apply((article_id,))  # the task's own code, run here
    return ids


def _print_summaries(db: Database, ids: list[int]) -> None:
    typer.echo(f"\nbriefing demo: {len(ids)} articles from {seeds_dir()}\n", err=True)
    with db.session() as session:
        for article_id in ids:
            article = session.get(Article, article_id)
            if article is not None:
                print_summary(article.title, article.summary or [f"({article.status}: "
                              f"{article.error})"], article.source)


def _demo_edition(db: Database, settings: Settings) -> int:
    from workers.tasks import build_edition

    if not any(row.slug == DEMO_LIST for row in lists.all_lists(db)):
        lists.create_list(db, DEMO_LIST, lists.ListChanges(
            name="Morning Briefing (demo)", from_address="briefing@example.org",
            from_name="briefing demo", postal_address="1 Example Street, Springfield",
            description="The seed articles, summarized."))
        with (seeds_dir() / "subscribers.csv").open("rb") as readers:
            import_csv(db, lists.get_list(db, DEMO_LIST).id, readers)
    edition_id, _ = editions.ensure_edition(db, DEMO_LIST)
    build_edition.apply((edition_id,))
    return edition_id
