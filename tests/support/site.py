"""A running site for public-page tests: the real app under uvicorn on a free port, with
"daily" and "weekly" lists, SMTP going to the test's aiosmtpd server (fixtures `make_site`
and `site`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from briefing.cli.ops import proxy_options
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.server import create_app
from briefing.subscribers.lists import ListChanges, create_list
from tests.support.databases import make_settings
from tests.support.services import free_port
from tests.support.smtp import SMTPServer


@dataclass
class Site:
    url: str
    settings: Settings
    db: Database
    smtp: SMTPServer
    http: httpx.Client

    def client(self) -> httpx.Client:
        """Another browser: its own (empty) cookie jar."""
        return httpx.Client(base_url=self.url, timeout=10)


def _serve(app: Any, port: int, settings: Settings) -> Callable[[], None]:
    # Proxy headers as `briefing serve` has uvicorn treat them.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", **proxy_options(settings)))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
    return stop


@pytest.fixture
def make_site(tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Callable[..., Site]]:
    stops: list[Callable[[], None]] = []

    def make(**env: str) -> Site:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = make_settings(tmp_path / f"var{port}", BRIEFING_BASE_URL=url,
                                 **smtp_server.env(), **env)
        # The lifespan creates the schema.
        stops.append(_serve(create_app(settings), port, settings))
        db = Database(settings.database_url)
        create_list(db, "daily", ListChanges(name="Daily Brief", from_address="news@example.org"))
        create_list(db, "weekly", ListChanges(name="Weekly Digest",
                                              from_address="news@example.org"))
        return Site(url, settings, db, smtp_server, httpx.Client(base_url=url, timeout=10))

    yield make
    for stop in stops:
        stop()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    return make_site(BRIEFING_PUBLIC_RATE_LIMIT="10000")
