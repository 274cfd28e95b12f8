"""Log lines for people (text) or for machines (BRIEFING_LOG_FORMAT=json).

A JSON line carries the ids in play — the article, edition, delivery and task being worked
on — so one edition can be followed from the tick through every worker that sends it. The
ids live in a context variable: the Celery task wrapper binds the task's and its arguments',
the delivery loop binds the edition's and each reader's copy's, and every line logged inside
carries them, whichever library logs it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

__all__ = ["TEXT_FORMAT", "JsonFormatter", "configure", "context", "formatter", "ids",
           "uvicorn_config"]

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"

# Each context holds its own mapping (replaced, never changed), so the shared default is frozen.
_ids: ContextVar[Mapping[str, object]] = ContextVar(
    "briefing_log_ids", default=MappingProxyType({}))


@contextmanager
def context(**found: object) -> Iterator[None]:
    """Lines logged inside carry these ids (None values are left out), besides outer ones."""
    token = _ids.set({**_ids.get(), **{k: v for k, v in found.items() if v is not None}})
    try:
        yield
    finally:
        _ids.reset(token)


def ids() -> Mapping[str, object]:
    return _ids.get()


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "process": record.process, **_ids.get()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, log_format: str) -> None:
    """Log to stderr at `level` in `log_format`, unless the process already logs somewhere
    (like `logging.basicConfig`, which this is in text)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    if log_format == "json":  # Python's warnings too, rather than as bare lines on stderr
        logging.captureWarnings(True)


def uvicorn_config(level: str, log_format: str) -> dict[str, Any] | None:
    """uvicorn's logging for `briefing serve` in JSON (its access lines too); None keeps
    uvicorn's own text format."""
    if log_format != "json":
        return None
    stderr = {"class": "logging.StreamHandler", "formatter": "json",
              "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
            "handlers": {"stderr": stderr},
            "root": {"handlers": ["stderr"], "level": level},
            "loggers": {name: {"handlers": [], "propagate": True}
                        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}}
