"""A private RabbitMQ node for tests: its own node name, ports, data and log folders.

Never the machine's shared node (`rabbit@localhost`): other test runs and other projects use
it, and a test here stops and starts its broker. A private node runs as the current user from
Debian's real script (/usr/lib/rabbitmq/bin/rabbitmq-server; the one on PATH is a wrapper that
switches to the `rabbitmq` user, who could not write our temporary folder), with HOME in its
folder so it makes an Erlang cookie of its own. It registers with the machine's epmd under its
own name, or starts one if none runs. Durable queues and persistent messages survive a stop
and start, as on a real restart: the data folder is kept.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.services import free_port, missing

DEBIAN_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
START_SECONDS = 90  # a node boots in about 10 s here; the machine is shared


def rabbitmq_binary() -> str | None:
    if DEBIAN_SCRIPT.exists():
        return str(DEBIAN_SCRIPT)
    return shutil.which("rabbitmq-server")


def _amqp_answers(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=1) as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
            return True
    except Exception:
        return False


class NodeDidNotStart(RuntimeError):
    pass


class RabbitServer:
    """A RabbitMQ node on ports of its own, which can be stopped and started again on them."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.port, self.dist_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def env(self) -> dict[str, str]:
        base = self.workdir
        (base / "enabled_plugins").write_text("[].\n")  # no management plugin: faster boot
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(base),
            "RABBITMQ_NODENAME": f"briefing-test-{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            # Not the machine's /etc/rabbitmq files: they name the shared node.
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        })
        return env

    def start(self) -> None:
        assert self.proc is None, "already running"
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen([self.binary], env=self.env(), cwd=self.workdir,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while not _amqp_answers(self.url):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                tail = (self.workdir / "server.log").read_text(errors="replace")[-800:]
                raise NodeDidNotStart(f"a private RabbitMQ node would not start on port "
                                      f"{self.port}:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: the Erlang VM stops its applications in order)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None


@contextmanager
def private_rabbitmq_server(workdir: Path) -> Iterator[RabbitServer]:
    """A started RabbitServer, stopped afterwards; skips (or fails in CI) without RabbitMQ."""
    binary = rabbitmq_binary()
    if binary is None:
        missing("rabbitmq: no rabbitmq-server (Debian: apt-get install rabbitmq-server)")
    server = RabbitServer(str(binary), workdir)
    try:
        server.start()
    except NodeDidNotStart as exc:
        missing(f"rabbitmq: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rabbitmq_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private RabbitMQ node shared by the session's tests that only need a broker."""
    with private_rabbitmq_server(tmp_path_factory.mktemp("rabbitmq")) as server:
        yield server.url


@pytest.fixture
def restartable_rabbitmq(tmp_path: Path) -> Iterator[RabbitServer]:
    """A RabbitMQ node of this test's own, for tests that stop the broker and start it."""
    workdir = tmp_path / "rabbitmq"
    workdir.mkdir()
    with private_rabbitmq_server(workdir) as server:
        yield server
