"""What every command needs: settings, a database with its schema, and error types."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy.exc import InterfaceError, OperationalError

from briefing.core import logs, metrics
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, ensure_schema
from briefing.core.errors import BriefingError
from briefing.core.outages import ServiceUnreachable, database_failed, open_database

# Every core error is written for the person at the terminal (briefing.core.errors); so are
# the operating system's refusals to read a file they named.
USER_ERRORS = (BriefingError, FileNotFoundError, IsADirectoryError, PermissionError)
# The database going away (or staying locked) in the middle of a command: not a bug in the
# command, so one line about the database rather than the driver's traceback.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_failure(exc: Exception) -> ServiceUnreachable:
    return database_failed(load_settings().database_url, exc)

# `--json` is a flag: present or not, it takes no value (`--json true` is an error).
JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print JSON (a flag: it takes no value).")]


@dataclass
class _Process:
    # Set by the `briefing` entry point: a real command's process records its metrics, while
    # commands invoked in-process (by tests) leave the caller's process alone.
    records_metrics: bool = False


_process = _Process()


def record_metrics() -> None:
    _process.records_metrics = True


@dataclass(frozen=True)
class Context:
    settings: Settings
    db: Database


def context(*, with_tasks: bool = True) -> Context:
    """Settings from the environment and an up-to-date schema; tasks bound to both."""
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    if _process.records_metrics:
        metrics.start(settings.metrics_folder)
    for noisy in ("alembic", "celery.app.trace"):  # a line per migration or task is noise here
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    db = open_database(settings.database_url)
    ensure_schema(db)
    if with_tasks:
        from workers.app import setup

        setup(settings)
    return Context(settings, db)
