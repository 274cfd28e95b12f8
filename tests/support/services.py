"""Finding the real services tests need, and what to do when one is missing.

A missing service skips its tests with a reason that says what to start; with
BRIEFING_REQUIRE_SERVICES=1 (CI) the same situation fails instead, so CI can never go green
by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("BRIEFING_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def services_required() -> bool:
    return os.environ.get("BRIEFING_REQUIRE_SERVICES", "") not in ("", "0", "false")


def missing(what: str) -> None:
    """Skip (on a developer's machine) or fail (in CI) because `what` is not available."""
    if services_required():
        pytest.fail(f"required service missing: {what}", pytrace=False)
    pytest.skip(f"{what} (set BRIEFING_REQUIRE_SERVICES=1 to make this a failure)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A private redis-server on a port of its own, which can be stopped and started again
    on that same port (a broker restart, as clients see it). Keeps nothing on disk."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _redis_answers(self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                missing(f"redis-server would not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextmanager
def private_redis_server(workdir: Path) -> Iterator[RedisServer]:
    """A started RedisServer, stopped afterwards; skips (or fails in CI) without the binary."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis: no redis-server on PATH")
    server = RedisServer(str(binary), workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port when the binary exists, else REDIS_URL."""
    if shutil.which("redis-server") is None:
        url = os.environ.get("REDIS_URL")
        if not url:
            missing("redis: no redis-server on PATH and REDIS_URL is not set")
        yield str(url)
        return
    with private_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, for tests that stop the broker and start it again
    (never the session's, which other tests share)."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    with private_redis_server(workdir) as server:
        yield server
