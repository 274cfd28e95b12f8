"""Per-process settings and database, created lazily so forked workers never share sockets."""

from __future__ import annotations

from functools import lru_cache

from briefing.core.config import Settings, load_settings
from briefing.core.db import Database

_override: Settings | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return _override or load_settings()


@lru_cache(maxsize=1)
def database() -> Database:
    return Database(settings().database_url)


def use(chosen: Settings | None) -> None:
    """Run this process on `chosen` settings (the CLI and tests); None goes back to the env."""
    global _override
    reset()
    _override = chosen


def reset() -> None:
    """Forget cached settings and connections (after fork, or when tests change the env)."""
    if database.cache_info().currsize:
        database().dispose()
    database.cache_clear()
    settings.cache_clear()
