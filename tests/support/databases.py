"""Real databases for tests: SQLite files and a throwaway PostgreSQL database per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Base
from tests.support.services import PG_ADMIN_URL, missing


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        missing(f"PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__}: {exc})")
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with scratch_postgres("briefing_test") as url:
        yield url


def _empty_tables(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def _postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and on PostgreSQL, each starting from empty tables."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(db)
        yield db
        db.dispose()
        return
    db = request.getfixturevalue("_postgres_db")
    _empty_tables(db)
    yield db
    _empty_tables(db)


def make_settings(data_dir: Path, **env: str) -> Settings:
    base = {"BRIEFING_DATA_DIR": str(data_dir), "BRIEFING_ALLOW_PRIVATE_URLS": "true",
            "BRIEFING_API_TOKEN": "test-token", "BRIEFING_SECRET_KEY": "s" * 40}
    return load_settings({**base, **env})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-mode settings on a private SQLite file, private URLs allowed (local server)."""
    return make_settings(tmp_path / "var")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def embedded(settings: Settings) -> Iterator[Settings]:
    """Tasks run in-process against `settings` (what the CLI and API do with no broker)."""
    from workers import runtime
    from workers.app import setup

    setup(settings)
    yield settings
    runtime.use(None)
