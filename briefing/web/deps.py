"""What routes need from the running app: its settings and its database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from briefing.core.config import Settings
from briefing.core.db import Database


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db  # created by the lifespan at start-up
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]
