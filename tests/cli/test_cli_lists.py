"""`briefing lists …` and `briefing subscribers …` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import run


def make_list(cli: CliRunner) -> None:
    run(cli, "lists", "create", "daily", "--name", "Daily Brief", "--from", "news@example.org",
        "--send-time", "07:30", "--timezone", "Europe/Berlin", "--postal", "1 Main St")


def test_list_lifecycle(cli: CliRunner) -> None:
    make_list(cli)
    assert "07:30 Europe/Berlin" in run(cli, "lists", "show", "daily")
    assert "Asia/Kolkata" in run(cli, "lists", "update", "daily", "--timezone", "Asia/Kolkata")
    assert "daily" in run(cli, "lists", "list")
    assert "already exists" in run(cli, "lists", "create", "daily", "--name", "X", "--from",
                                   "a@example.org", code=1)
    assert "deleted list daily" in run(cli, "lists", "rm", "daily")
    assert "no list" in run(cli, "lists", "show", "daily", code=1)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--timezone", "Mars/Base", "IANA"), ("--send-time", "25:99", "HH:MM"),
    ("--from", "not-an-address", "valid email"), ("--max-articles", "0", "max articles"),
])
def test_bad_list_settings_are_refused(cli: CliRunner, option: str, value: str,
                                       message: str) -> None:
    make_list(cli)
    assert message in run(cli, "lists", "update", "daily", option, value, code=1)


def test_subscribers_add_import_export_erase(cli: CliRunner, tmp_path: Path) -> None:
    make_list(cli)
    assert "active on daily" in run(cli, "subscribers", "add", "Ann@Example.com", "-l", "daily",
                                    "--name", "Ann")
    csv = tmp_path / "people.csv"
    csv.write_text("email,name,city\nbob@example.com,Bob,Oslo\nnot-an-email,X,Y\n"
                   "=cmd@example.com,=HYPERLINK(\"http://x\"),Z\n")
    out = run(cli, "subscribers", "import", str(csv), "-l", "daily")
    assert "line 3:" in out and "1 rejected" in out
    assert "0 added" in run(cli, "subscribers", "import", str(csv), "-l", "daily")
    exported = run(cli, "subscribers", "export", "-l", "daily")
    assert "bob@example.com" in exported and ",=HYPERLINK" not in exported
    person = json.loads(run(cli, "subscribers", "show", "bob@example.com"))
    assert person["attributes"] == {"city": "Oslo"}
    assert "unsubscribed" in run(cli, "subscribers", "rm", "ann@example.com", "-l", "daily")
    assert "unsubscribed" in run(cli, "subscribers", "list", "-l", "daily", "--status",
                                 "unsubscribed")
    assert "sign up again" in run(cli, "subscribers", "add", "ann@example.com", "-l", "daily",
                                  code=1)
    assert "erased" in run(cli, "subscribers", "erase", "bob@example.com", "--yes")
    assert "no subscriber" in run(cli, "subscribers", "show", "bob@example.com", code=1)


def test_pending_add_writes_a_confirmation_to_the_outbox(cli: CliRunner, tmp_path: Path
                                                         ) -> None:
    make_list(cli)
    run(cli, "subscribers", "add", "new@example.com", "-l", "daily", "--pending")
    emails = list((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(emails) == 1
    assert b"/confirm/" in emails[0].read_bytes()
