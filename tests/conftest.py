import os
import sys
import threading
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.support.web",
    "tests.support.services",
    "tests.support.rabbitmq",
    "tests.support.databases",
    "tests.support.worker",
    "tests.support.smtp",
    "tests.support.site",
    "tests.support.cli",
    "tests.support.browser",
]


# Tests that start, kill or restart real processes (Celery workers, brokers, `briefing serve`,
# Chromium) take most of the suite's time. They are marked `slow`, so `-m "not slow"` is a quick
# inner loop; CI runs everything.
_PROCESS_FIXTURES = {"worker", "worker_env", "restartable_redis", "restartable_rabbitmq",
                     "restartable_broker", "rabbitmq_url"}
_PROCESS_FOLDERS = {"workers"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.parent.name
        fixtures = set(getattr(item, "fixturenames", ()))
        if folder in _PROCESS_FOLDERS or fixtures & _PROCESS_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _forget_process_settings() -> Iterator[None]:
    """Commands bind this process to their settings; each test starts unbound."""
    yield
    from workers import runtime

    runtime.use(None)


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A thread a test left running (say, stuck on a lock) would keep Python from exiting
    after the report, and CI would wait for it until its own time runs out. Say which
    threads they are, and end the run with a failure instead."""
    left = [thread for thread in threading.enumerate()
            if thread is not threading.main_thread() and thread.is_alive() and not thread.daemon]
    if not left:
        return
    names = ", ".join(thread.name for thread in left)
    sys.stderr.write(f"\ntests left threads running, ending the run: {names}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(_exit_status or 1)
