"""`briefing send`, `preview` and `editions` against the local outbox."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.cli import run
from tests.support.faulty_smtp import FaultySMTPServer, faulty_smtp  # noqa: F401

SEED = Path(__file__).resolve().parents[2] / "seeds" / "s400-turkey-ukraine.txt"


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
    run(cli, "articles", "add", str(SEED))  # too late: that day's edition was empty
    assert "had no news: nothing was sent" in run(cli, "send", "--dry-run")
    assert "had no news" in run(cli, "preview", "-l", "daily", code=1)
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


TRAM = SEED.parent / "city-tram-extension.txt"


def test_dry_run_of_a_date_already_sent_says_when_and_to_whom(cli: CliRunner) -> None:
    run(cli, "articles", "add", str(SEED))
    run(cli, "send", "-l", "daily")
    run(cli, "articles", "add", str(TRAM))  # news after the send: not in that edition
    out = run(cli, "send", "-l", "daily", "--dry-run")
    assert re.search(r"edition of \d{4}-\d\d-\d\d was sent at \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                     r"to 2 readers", out), out
    assert "1 stories" in out and "of 2 stories" not in out
    assert "nothing new would be sent" in out
    day = re.search(r"edition of (\S+)", out).group(1)  # type: ignore[union-attr]
    assert "was sent at" in run(cli, "send", "-l", "daily", "--dry-run", "--date", day)


def test_preview_of_a_date_already_sent_shows_what_was_sent(cli: CliRunner) -> None:
    run(cli, "articles", "add", str(SEED))
    run(cli, "send", "-l", "daily")
    run(cli, "articles", "add", str(TRAM))
    out = run(cli, "preview", "-l", "daily")
    assert "was sent at" in out and "to 2 readers" in out
    page = Path(out.strip().splitlines()[-1]).read_text()
    assert "Turkey" in page and "tram" not in page.lower()


def received_by(faulty_smtp: FaultySMTPServer, address: str) -> EmailMessage:  # noqa: F811
    (copy,) = [m for m in faulty_smtp.handler.messages if address in m.recipients]
    return copy.message


def test_a_test_copys_links_open_a_page_that_says_so_and_the_reply_counts_articles(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch,
        faulty_smtp: FaultySMTPServer) -> None:  # noqa: F811
    for name, value in {**faulty_smtp.env(), "BRIEFING_API_TOKEN": "t" * 32,
                        "BRIEFING_BASE_URL": "https://news.example.org"}.items():
        monkeypatch.setenv(name, value)
    run(cli, "articles", "add", str(SEED))
    run(cli, "articles", "add", str(TRAM))
    out = run(cli, "send", "-l", "daily", "--to", "me@example.org")
    assert "2 stories" in out, out
    message = received_by(faulty_smtp, "me@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    links = {re.search(rf"{label}[^:]*: (\S+)", text).group(1)  # type: ignore[union-attr]
             for label in ("Unsubscribe", "Preferences")}
    one_click = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
    assert len(links) == 2 and len(one_click) == 1
    assert all(link in html for link in links)

    from briefing.core.config import load_settings
    from briefing.server import create_app

    with TestClient(create_app(load_settings())) as client:
        for link in [*links, *one_click]:
            page = client.get(link.removeprefix("https://news.example.org"))
            assert page.status_code == 200 and "test copy" in page.text, link
        posted = client.post(one_click[0].removeprefix("https://news.example.org"),
                             data={"List-Unsubscribe": "One-Click"})
        assert posted.status_code == 200 and "test copy" in posted.text
    assert "2 active" in run(cli, "lists", "show", "daily")  # nobody was unsubscribed
