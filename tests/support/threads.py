"""Run code on several threads at once without letting a hang outlive the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_together(work: Callable[[], T], copies: int, timeout: float = 120.0) -> list[T]:
    """Start `copies` threads running `work` at the same moment; their results, in no order.

    The threads are daemons and are waited for against one deadline, so a deadlock fails the
    test that caused it instead of keeping the interpreter (and CI) alive after pytest ends.
    An exception in any thread is raised here."""
    start = threading.Barrier(copies)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(work())
        except BaseException as error:  # handed to the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(copies)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        raise AssertionError(f"{stuck} of {copies} threads still running after {timeout} s")
    if errors:
        raise errors[0]
    return results
