"""Every command's help, as a user reads it: flags look like flags."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.project.test_docs import COMMANDS
from tests.support.cli import run


def test_no_commands_help_shows_a_flag_taking_a_value(cli: CliRunner) -> None:
    for command in COMMANDS:
        shown = run(cli, *command.split(), "--help")
        assert "<bool>" not in shown, f"briefing {command} --help shows a flag taking a value"
        json_line = [line for line in shown.splitlines() if "--json " in f"{line} "]
        for line in json_line:
            assert "flag" in line, f"briefing {command}: {line.strip()}"
    assert json.loads(run(cli, "articles", "list", "--json"))["items"] == []
