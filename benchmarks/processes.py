"""Processes a benchmark starts, and what they cost: peak memory and CPU from /proc, a
Celery worker in its own process group, py-spy beside it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far: robust where wall time suffers from a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_members(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                # Field 5 of stat is the process group; the name in (…) may hold spaces.
                if int((entry / "stat").read_text().rpartition(")")[2].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return sorted(pids)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], logfile: Path, processes: int
                  ) -> Iterator[subprocess.Popen[bytes]]:
    """`celery worker` (no beat) in its own process group, stopped with all its children."""
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker",
               f"--concurrency={processes}", "--loglevel=WARNING", "--without-gossip",
               "--without-mingle", "--without-heartbeat", f"--logfile={logfile}"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def py_spy(pids: list[int], folder: Path | None) -> Iterator[None]:
    """Optionally sample each worker child with py-spy for the whole run."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    beside = Path(sys.executable).with_name("py-spy")  # installed into this virtualenv?
    binary = str(beside) if beside.exists() else "py-spy"
    spies = [subprocess.Popen([binary, "record", "--pid", str(pid), "--format", "raw",
                               "--rate", "200", "--output", str(folder / f"worker-{pid}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid in pids]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for spy in spies:
            spy.wait(timeout=60)


# --- Runs ---------------------------------------------------------------------------------------
