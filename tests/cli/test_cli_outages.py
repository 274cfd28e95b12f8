"""An unreachable database or broker is one line (which setting, which host:port, what
failed; never the password) and exit code 1, from every command — not a driver traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.cli import app
from tests.support.services import free_port

PASSWORD = "hunter22"


def one_line_error(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert PASSWORD not in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", [
    ["articles", "list"], ["db", "current"], ["db", "upgrade"], ["lists", "list"], ["status"],
    ["sweep"], ["serve", "--port", "1"], ["worker"], ["send"],
])
def test_an_unreachable_database_is_one_line_naming_setting_host_and_failure(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    port = free_port()  # nobody listens there
    monkeypatch.setenv("BRIEFING_DATABASE_URL",
                       f"postgresql+psycopg://briefing:{PASSWORD}@127.0.0.1:{port}/briefing")
    monkeypatch.setenv("BRIEFING_BROKER_URL", "redis://127.0.0.1:6379/0")
    line = one_line_error(cli, *command)
    assert line == (f"error: cannot reach PostgreSQL at 127.0.0.1:{port} "
                    "(BRIEFING_DATABASE_URL): connection refused")


def test_a_sqlite_file_that_cannot_be_opened_names_the_file(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("BRIEFING_DATABASE_URL", f"sqlite:///{tmp_path}/not-a-folder/b.db")
    line = one_line_error(cli, "articles", "list")
    assert f"{tmp_path}/not-a-folder/b.db" in line and "BRIEFING_DATABASE_URL" in line


def _briefing(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it (so its real output is what is checked)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    clean.update({"BRIEFING_DATA_DIR": str(tmp_path / "var"), **env})
    return subprocess.run([sys.executable, "-m", "briefing", *args], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=90)


def test_a_worker_whose_broker_is_unreachable_says_so_in_one_line_and_exits(
        tmp_path: Path) -> None:
    # It used to print Celery's banner and retry for minutes ("Trying again in 2.00 s...").
    port = free_port()
    result = _briefing(tmp_path, "worker",
                       BRIEFING_BROKER_URL=f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (f"error: cannot reach the redis broker at 127.0.0.1:{port} "
                                     "(BRIEFING_BROKER_URL): connection refused")


def test_serve_with_an_unreachable_database_prints_one_line(tmp_path: Path) -> None:
    port = free_port()
    result = _briefing(tmp_path, "serve", "--port", str(free_port()),
                       BRIEFING_DATABASE_URL=f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:"
                                             f"{port}/briefing")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot reach PostgreSQL at 127.0.0.1:{port} (BRIEFING_DATABASE_URL): "
        "connection refused"]
