"""`briefing` command line: thin commands over the core modules.

Known errors (bad input, unreachable URLs, bad settings) print one clear line and exit 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from briefing.cli import (
    articles,
    bounces,
    editions,
    feeds,
    lists,
    ops,
    status,
    stories,
    subscribers,
    summarize,
    users,
)
from briefing.cli.common import DATABASE_ERRORS, USER_ERRORS, database_failure, record_metrics


class _FriendlyErrors(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            _fail(str(exc))
        except DATABASE_ERRORS as exc:
            _fail(str(database_failure(exc)))


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1) from None


# Plain (click) help, not rich: typer's rich panels show every flag as taking a `<bool>`,
# so `--json true` looked right and failed.
app = typer.Typer(cls=_FriendlyErrors, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="briefing: article summaries and daily briefing emails.",
                  context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(ops.db_app, name="db")
app.add_typer(articles.app, name="articles")
app.add_typer(feeds.app, name="feeds")
app.add_typer(lists.app, name="lists")
app.add_typer(subscribers.app, name="subscribers")
app.add_typer(editions.app, name="editions")
app.add_typer(bounces.app, name="bounces")
app.add_typer(stories.app, name="stories")
app.add_typer(users.app, name="users")
app.command("summarize")(summarize.summarize)
app.command("send")(editions.send)
app.command("preview")(editions.preview)
app.command("serve")(ops.serve)
app.command("worker")(ops.worker)
app.command("sweep")(ops.sweep)
app.command("demo")(ops.demo)
app.command("status")(status.status)


def main() -> None:
    record_metrics()
    app()
