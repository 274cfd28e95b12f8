"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright, and a running admin:
`briefing serve` in its own process and a real Celery worker over Redis, sharing one SQLite
database, mail going to the test's SMTP server.

Playwright never downloads a browser here: it drives the system's Chromium. Without one the
browser tests are skipped (or fail, with BRIEFING_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefing.core.config import load_settings
from briefing.core.db import Database, upgrade
from tests.support.services import free_port, missing
from tests.support.smtp import SMTPServer
from tests.support.worker import ROOT, WorkerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def launch_chromium(playwright: Any) -> Any:
    """The system's Chromium, headless; the same set-up for tests and the screenshots."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Per test: Playwright's sync API keeps an event loop in this thread while it runs,
    which must not outlive the browser tests."""
    if not CHROMIUM.exists():
        missing(f"Chromium: {CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python: pip install playwright")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


class ServeProcess:
    """`briefing serve` on a free port, in its own process."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 1) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BRIEFING_BASE_URL": self.url}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "briefing", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._answers():
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "briefing serve did not start"
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/admin/login", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@dataclass
class RunningAdmin:
    url: str
    db: Database
    smtp: SMTPServer
    worker: WorkerProcess
    server: ServeProcess


@pytest.fixture
def running_admin(worker: WorkerProcess, worker_env: dict[str, str], smtp_server: SMTPServer,
                  tmp_path: Path) -> Iterator[RunningAdmin]:
    """The admin web app, a worker (with beat) and the test SMTP server, all real."""
    env = {**worker_env, **smtp_server.env(), "BRIEFING_SEND_CONCURRENCY": "1"}
    server = ServeProcess(env, tmp_path / "serve.log")
    worker.env = server.env  # same base URL in the links the worker mails
    settings = load_settings(server.env)
    db = Database(settings.database_url)
    upgrade(db)  # before either process starts, so they never race to create the schema
    worker.start(concurrency=2)
    server.start()
    try:
        yield RunningAdmin(server.url, db, smtp_server, worker, server)
    finally:
        server.stop()
        worker.stop()
        db.dispose()
