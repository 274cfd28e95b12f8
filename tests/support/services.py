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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port when the binary exists, else REDIS_URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        url = os.environ.get("REDIS_URL")
        if not url:
            missing("redis: no redis-server on PATH and REDIS_URL is not set")
        yield str(url)
        return
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            missing(f"redis-server would not start on port {port}")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
