"""Running `briefing` commands in-process, as a user would type them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.cli import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A clean environment: embedded defaults in a private data dir, private URLs allowed
    (the tests' local web server), and the temp dir as working directory."""
    for name in list(os.environ):
        if name.startswith("BRIEFING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIEFING_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BRIEFING_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0, input: str | None = None) -> str:
    """Invoke a command and insist on its exit code; returns what it printed."""
    result = cli.invoke(app, list(args), input=input)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result.output
