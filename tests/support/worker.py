"""A real Celery worker (with beat) in its own process group, for crash tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

ROOT = Path(__file__).resolve().parents[2]


class RestartableBroker(Protocol):
    @property
    def url(self) -> str: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self, concurrency: int = 2) -> None:
        log = self.log_dir / f"worker-{len(self.logs)}.log"
        self.logs.append(log)
        command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "--beat",
                   f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                   "--without-mingle", f"--schedule={self.log_dir / 'beat-schedule'}",
                   f"--logfile={log}"]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"
             ) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


BROKERS = ["redis", "rabbitmq"]  # for `@pytest.mark.parametrize("broker_url", BROKERS, ...)`


@pytest.fixture
def broker_url(request: pytest.FixtureRequest) -> str:
    """The session's Redis, or its private RabbitMQ node when a test is parametrized with
    `indirect=True` over BROKERS."""
    broker = getattr(request, "param", "redis")
    return str(request.getfixturevalue(f"{broker}_url"))


@pytest.fixture
def restartable_broker(request: pytest.FixtureRequest) -> RestartableBroker:
    """A broker of this test's own that it may stop and start: Redis, or RabbitMQ when
    parametrized with `indirect=True` over BROKERS."""
    broker = getattr(request, "param", "redis")
    server: RestartableBroker = request.getfixturevalue(f"restartable_{broker}")
    return server


def empty_queues(url: str) -> None:
    """No messages left over from another test on a shared broker."""
    if url.startswith("redis"):
        import redis

        redis.Redis.from_url(url).flushdb()
        return
    from kombu import Connection
    from kombu.exceptions import ChannelError

    # No queue yet: nothing in it.
    with Connection(url) as connection, contextlib.suppress(ChannelError):
        connection.default_channel.queue_purge("celery")


@pytest.fixture
def worker_env(tmp_path: Path, broker_url: str) -> dict[str, str]:
    """Environment for a worker and its clients: one SQLite file, one broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update({
        "BRIEFING_DATA_DIR": str(tmp_path / "var"),
        "BRIEFING_BROKER_URL": broker_url,
        "BRIEFING_API_TOKEN": "test-token",
        "BRIEFING_SECRET_KEY": "k" * 40,
        "BRIEFING_ALLOW_PRIVATE_URLS": "true",
        "BRIEFING_SWEEP_SECONDS": "1",
        "BRIEFING_STUCK_AFTER_SECONDS": "4",
        "BRIEFING_TASK_MAX_RETRIES": "3",
    })
    return env


@pytest.fixture
def worker(worker_env: dict[str, str], tmp_path: Path, broker_url: str
           ) -> Iterator[WorkerProcess]:
    empty_queues(broker_url)
    process = WorkerProcess(worker_env, tmp_path)
    yield process
    process.kill()
