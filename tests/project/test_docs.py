"""The README is the manual: every setting and every command must be in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from briefing.cli import app
from briefing.core.config import SETTINGS, TEST_SUITE_NAMES, TEST_SUITE_PREFIX

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def command_paths(command: object, prefix: tuple[str, ...] = ()) -> list[str]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [" ".join(prefix)]
    paths: list[str] = []
    for name, sub in sorted(subcommands.items()):
        paths += command_paths(sub, (*prefix, name))
    return paths


COMMANDS = command_paths(typer.main.get_command(app))


def test_commands_were_found() -> None:
    assert "articles add" in COMMANDS and "demo" in COMMANDS


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README, f"{name} is missing from the README's configuration table"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    assert f"`briefing {command}" in README, f"`briefing {command}` is missing from the README"


def test_settings_read_by_code_are_all_declared() -> None:
    declared = {s.name for s in SETTINGS}
    source = "\n".join(p.read_text() for p in (Path(__file__).resolve().parents[2] / "briefing")
                       .rglob("*.py"))
    # The test suite's own names are named in the config module only to be let through.
    used = set(re.findall(r'"(BRIEFING_[A-Z_]+)"', source)) - TEST_SUITE_NAMES - {
        TEST_SUITE_PREFIX}
    assert used <= declared, f"undeclared settings: {used - declared}"


def test_generated_tables_in_the_readme_are_current() -> None:
    """The settings and command tables are cog output (README.md holds the generator lines):
    a setting or command changed in the code without `cog -r README.md` fails here."""
    from cogapp import Cog

    readme = Path(__file__).resolve().parents[2] / "README.md"
    status = Cog().main(["cog", "--check", "--verbosity=0", str(readme)])
    assert status == 0, "README.md is stale: run `cog -r README.md` and commit the result"
