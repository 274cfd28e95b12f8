"""`briefing send`, `preview` and `editions` against the local outbox."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import run
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401

SEED = Path(__file__).resolve().parents[1] / "seeds" / "s400-turkey-ukraine.txt"


@pytest.fixture
def cli(cli: CliRunner) -> CliRunner:
    """The shared CLI fixture, with a list of two readers."""
    run(cli, "lists", "create", "daily", "--name", "Daily", "--from", "news@example.org")
    run(cli, "subscribers", "add", "ann@example.com", "-l", "daily", "--name", "Ann")
    run(cli, "subscribers", "add", "bob@example.com", "-l", "daily")
    return cli


def outbox(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "var" / "outbox").glob("*.eml"))


def test_a_day_without_news_sends_nothing_and_says_so(cli: CliRunner, tmp_path: Path) -> None:
    assert "no news" in run(cli, "send", "--dry-run")
    out = run(cli, "send", "-l", "daily")
    assert "empty" in out and "no new articles" in out
    assert outbox(tmp_path) == []


def test_send_twice_sends_once_per_reader(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "articles", "add", str(SEED))
    assert "to 2 readers" in run(cli, "send", "--dry-run")
    assert "2 sent" in run(cli, "send", "-l", "daily")
    assert "2 sent" in run(cli, "send", "-l", "daily")  # the same edition, not a new send
    assert len(outbox(tmp_path)) == 2
    recipients = {message_from_bytes(p.read_bytes(), policy=policy.default)["To"]
                  for p in outbox(tmp_path)}
    assert recipients == {"Ann <ann@example.com>", "bob@example.com"}
    assert "2 sent" in run(cli, "editions", "list")
    assert "subject: Daily" in run(cli, "editions", "show", "1")


def test_test_copy_goes_to_one_address_and_records_nothing(cli: CliRunner, tmp_path: Path
                                                          ) -> None:
    run(cli, "articles", "add", str(SEED))
    assert "test copy to me@example.org" in run(cli, "send", "-l", "daily", "--to",
                                                "me@example.org")
    (copy,) = outbox(tmp_path)
    assert "[test]" in message_from_bytes(copy.read_bytes(), policy=policy.default)["Subject"]
    assert run(cli, "editions", "list").strip() == ""
    assert "valid email" in run(cli, "send", "-l", "daily", "--to", "nobody", code=1)


def test_preview_writes_the_html(cli: CliRunner) -> None:
    assert "no news" in run(cli, "preview", "-l", "daily", code=1)
    run(cli, "articles", "add", str(SEED))
    path = Path(run(cli, "preview", "-l", "daily").strip())
    assert "Turkey" in path.read_text()


def test_bad_dates_and_lists_are_clear_errors(cli: CliRunner) -> None:
    assert "YYYY-MM-DD" in run(cli, "send", "-l", "daily", "--date", "tomorrow", code=1)
    assert "no list" in run(cli, "send", "-l", "nope", code=1)


def test_a_list_with_editions_is_deleted_only_when_forced(cli: CliRunner) -> None:
    run(cli, "articles", "add", str(SEED))
    run(cli, "send", "-l", "daily")
    assert "has 1 editions" in run(cli, "lists", "rm", "daily", code=1)
    assert "Daily" in run(cli, "lists", "show", "daily")
    assert "deleted list daily" in run(cli, "lists", "rm", "daily", "--force")
    assert run(cli, "editions", "list").strip() == ""


def test_editions_show_says_when_a_throttled_account_sends_again(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch,
        faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    for name, value in faulty_smtp.env().items():
        monkeypatch.setenv(name, value)
    run(cli, "articles", "add", str(SEED))
    faulty_smtp.throttle("421 4.7.0 Try again later, closing connection.", times=1)
    out = run(cli, "send", "-l", "daily")
    assert "2 queued" in out and "sending paused until" in out
    assert "421 4.7.0 Try again later" in run(cli, "editions", "show", "1")
    assert not faulty_smtp.accepted
