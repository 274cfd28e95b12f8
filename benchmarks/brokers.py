"""A private broker for a benchmark run: a `redis-server`, or a RabbitMQ node of its own.

Private so that a benchmark neither disturbs nor is disturbed by the machine's shared
services (other jobs use them); both are stopped on the way out, failures included.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BROKERS = ("redis", "rabbitmq")


@contextlib.contextmanager
def broker_server(name: str, workdir: Path) -> Iterator[str]:
    """The URL of a started private broker called `name` (one of BROKERS)."""
    workdir.mkdir(parents=True, exist_ok=True)
    starts = {"redis": redis_server, "rabbitmq": rabbitmq_server}
    with starts[name](workdir) as url:
        yield url


@contextlib.contextmanager
def rabbitmq_server(workdir: Path) -> Iterator[str]:
    from tests.support.rabbitmq import RabbitServer, rabbitmq_binary

    binary = rabbitmq_binary()
    if binary is None:
        raise SystemExit("rabbitmq-server is not installed (Debian: rabbitmq-server)")
    server = RabbitServer(binary, workdir)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for_redis(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_redis(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start on port {port}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
