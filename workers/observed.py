"""What a worker tells its operator: every task's log lines carry its ids, JSON if asked, and
its counts go to the installation's metrics folder."""

from __future__ import annotations

import inspect
import logging
from functools import lru_cache
from typing import Any

from celery import Task
from celery.signals import after_setup_logger, after_setup_task_logger, worker_init

from briefing.core import logs, metrics
from workers import runtime


class ObservedTask(Task):
    """A task whose log lines carry its id and the ids it was given (`edition_id`, …)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with logs.context(task_id=self.request.id, **_ids_in(self.run, args, kwargs)):
            return super().__call__(*args, **kwargs)


def _ids_in(run: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, object]:
    names = _parameter_names(run)
    given = {**dict(zip(names, args, strict=False)), **kwargs}
    return {name: value for name, value in given.items() if name.endswith("_id")}


@lru_cache(maxsize=64)
def _parameter_names(run: Any) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(run).parameters if name != "self")


@worker_init.connect
def _record_metrics(**_: Any) -> None:
    # Before forking: the pool's children inherit it, each writing files of its own pid.
    metrics.start(runtime.settings().metrics_folder)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_format(logger: logging.Logger, **_: Any) -> None:
    if runtime.settings().log_format == "json":
        logging.captureWarnings(True)
        # Celery gives billiard's "multiprocessing" logger handlers of its own (and sends no
        # signal for it): without this, a pool child's death is logged as plain text.
        for target in (logger, logging.getLogger("multiprocessing")):
            for handler in target.handlers:
                handler.setFormatter(logs.JsonFormatter())
