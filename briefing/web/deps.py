"""What routes need from the running app: its settings and its database."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from briefing.core.config import Settings
from briefing.core.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db  # created by the lifespan at start-up
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]


def enqueue(dispatch: Callable[[Iterable[T]], bool], ids: list[T]) -> None:
    """Hand committed work to the workers; a failure here never fails the request.

    The rows are committed already, so a broker outage (dispatch returns False) or an error
    in an eagerly run task (embedded mode) only delays the work: the sweep picks it up.
    """
    try:
        dispatch(ids)
    except Exception:
        log.exception("could not enqueue %s; the sweep will retry", ids)
