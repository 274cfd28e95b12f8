"""`briefing serve` in a process of its own, on a free port, its log kept in a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.services import free_port
from tests.support.worker import ROOT, wait_for


class ServeProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "briefing", "serve", "--port", str(self.port)],
                cwd=ROOT, env=self.env, start_new_session=True, stdout=log,
                stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc is None or self.proc.poll() is not None or self._answers(),
                 60, what="briefing serve")
        assert self.proc.poll() is None, f"briefing serve exited: {self.log.read_text()}"
        return self

    def _answers(self) -> bool:
        try:
            httpx.get(f"{self.url}/healthz", timeout=2)
        except httpx.HTTPError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc = None
