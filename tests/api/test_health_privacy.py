"""/healthz answers strangers: it names the failing part, and the details go to the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from briefing.server import create_app
from tests.support.databases import make_settings, scratch_postgres
from tests.support.services import PG_ADMIN_URL


def test_a_failing_database_is_named_without_its_host_port_or_driver_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with scratch_postgres("briefing_health") as url:
        name = make_url(url).database
        settings = make_settings(tmp_path / "var", BRIEFING_DATABASE_URL=url)
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
            _drop(str(name))  # the database disappears under the running app
            with caplog.at_level(logging.WARNING, logger="briefing.api.health"):
                response = client.get("/healthz")
    assert response.status_code == 503
    body = response.text
    assert response.json()["error"]["message"] == "failing: database"
    for secret in ("127.0.0.1", "5432", str(name), "psycopg", "OperationalError", "FATAL"):
        assert secret not in body
    assert str(name) in caplog.text and "BRIEFING_DATABASE_URL" in caplog.text


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
