"""The command line, run as a user would: same commands, real files, real local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.cli import app
from briefing.ingest.adding import seed_files
from tests.support.cli import run

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "s400-turkey-ukraine.txt"
STORY = "\n\n".join(
    f"The ferry company said crossing {i} would run twice a day from March, "
    f"with {i + 2} extra sailings at weekends during the summer season." for i in range(8))






def test_add_list_show_and_remove_an_article(cli: CliRunner) -> None:
    out = run(cli, "articles", "add", str(SEED))
    assert "added article 1" in out
    assert "duplicate of article 1" in run(cli, "articles", "add", str(SEED))
    listed = json.loads(run(cli, "articles", "list", "--json"))
    assert listed["total"] == 1 and listed["items"][0]["status"] == "summarized"
    shown = json.loads(run(cli, "articles", "show", "1", "--json"))
    assert len(shown["summary"]) == 3
    assert not any("Comments are closed" in s for s in shown["summary"])
    assert "deleted article 1" in run(cli, "articles", "rm", "1")
    assert "no article 1" in run(cli, "articles", "show", "1", code=1)


def test_an_article_is_corrected_from_the_command_line(cli: CliRunner, tmp_path: Path
                                                       ) -> None:
    run(cli, "articles", "add", str(SEED))
    generated = json.loads(run(cli, "articles", "show", "1", "--json"))["summary"]
    summary = tmp_path / "summary.txt"
    summary.write_text("Turkey was asked to send its missiles to Ukraine.\n\nAnkara said no.\n")
    out = run(cli, "articles", "edit", "1", "--title", "Missiles for Ukraine",
              "--summary-file", str(summary))
    assert "Missiles for Ukraine" in out and "summary (edited)" in out
    shown = json.loads(run(cli, "articles", "show", "1", "--json"))
    assert shown["summary"] == ["Turkey was asked to send its missiles to Ukraine.",
                                "Ankara said no."]
    assert shown["summary_edited_at"]
    run(cli, "articles", "edit", "1", "--restore-summary")
    assert json.loads(run(cli, "articles", "show", "1", "--json"))["summary"] == generated
    assert "no article 9" in run(cli, "articles", "edit", "9", "--title", "X", code=1)
    assert "give --title" in run(cli, "articles", "edit", "1", code=1)
    assert "title is empty" in run(cli, "articles", "edit", "1", "--title", " ", code=1)


def test_a_folder_is_added_in_bulk_and_bad_files_are_reported(cli: CliRunner, tmp_path: Path
                                                              ) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(3):
        text = STORY.replace("ferry", f"ferry {n}")
        (folder / f"story{n}.txt").write_text(f"Story {n}\n\n{text}")
    (folder / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    (folder / "notes.md").write_text("# Notes\n\n" + STORY.replace("ferry", "bus"))
    result = cli.invoke(app, ["articles", "add", str(folder)])
    assert result.exit_code == 1  # one file failed, the others were kept
    assert "4 added, 0 duplicates, 1 failed" in result.output
    assert "broken.txt" in result.output
    again = cli.invoke(app, ["articles", "add", str(folder)])
    assert "0 added, 4 duplicates, 1 failed" in again.output  # not "0 added, 1 failed"


def test_stdin_and_url_sources(cli: CliRunner, web) -> None:
    assert "added article" in run(cli, "articles", "add", "-", input="Ferries\n\n" + STORY)
    web.route("/story", f"<html><head><title>Bus news</title></head><body><article>"
              f"<p>{STORY.replace('ferry', 'bus')}</p></article></body></html>")
    assert "Bus news" in run(cli, "articles", "add", web.url("/story"))
    web.route("/gone", "nope", status=404)
    assert "404" in run(cli, "articles", "add", web.url("/gone"), code=1)


@pytest.mark.parametrize(("payload", "message"), [
    ("", "empty"), ("   \n\t ", "empty"), ("1234 !!!! 5678 ????", "readable"),
])
def test_bad_stdin_gets_one_clear_line(cli: CliRunner, payload: str, message: str) -> None:
    out = run(cli, "articles", "add", "-", input=payload, code=1)
    assert message in out and "Traceback" not in out


def test_summarize_on_demand_prints_json(cli: CliRunner) -> None:
    out = json.loads(run(cli, "summarize", str(SEED), "--json", "--algorithm", "lexrank",
                         "--sentences", "2"))
    assert out["algorithm"] == "lexrank" and len(out["summary"]) == 2
    assert "choose one of" in run(cli, "summarize", str(SEED), "--algorithm", "gpt", code=2)


def test_bad_setting_stops_with_the_variable_named(cli: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_SUMMARY_SENTENCES", "lots")
    assert "BRIEFING_SUMMARY_SENTENCES" in run(cli, "articles", "list", code=1)


def test_feeds_commands(cli: CliRunner, web) -> None:
    web.route("/story", f"<html><body><article><p>{STORY}</p></article></body></html>")
    web.route("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Ferry"
              f" News</title><item><title>Ferries</title><link>{web.url('/story')}</link>"
              "</item></channel></rss>", content_type="application/rss+xml")
    assert "added feed 1: Ferry News" in run(cli, "feeds", "add", web.url("/feed.xml"))
    assert "Ferry News" in run(cli, "feeds", "list")
    assert "1 feed polled: 1 new article, 0 duplicates" in run(cli, "feeds", "poll")
    assert "removed feed 1" in run(cli, "feeds", "rm", "1")


def _rss(title: str, items: list[tuple[str, str]]) -> str:
    """A feed whose entries carry their whole text, so polling them fetches nothing."""
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>" + title + "</title>"
            + "".join(f"<item><title>{name}</title><link>{link}</link>"
                      f"<description>{STORY.replace('ferry', name)}</description></item>"
                      for name, link in items) + "</channel></rss>")


def test_feeds_poll_reports_a_bad_feed_and_a_bad_entry_and_polls_the_rest(
        cli: CliRunner, web) -> None:
    web.route("/a.xml", _rss("A", [("Lanterns", "http://[2606:4700:4700::1111]/story"),
                                   ("Kites", "http://example.com:99999/broken")]),
              content_type="application/rss+xml")
    web.route("/b.xml", _rss("B", []), content_type="application/rss+xml")
    web.route("/c.xml", _rss("C", [("Canoes", "http://example.org/canoes")]),
              content_type="application/rss+xml")
    for name in ("a", "b", "c"):
        run(cli, "feeds", "add", web.url(f"/{name}.xml"))
    web.route("/b.xml", "gone", status=404)

    out = run(cli, "feeds", "poll")  # exit 0: some feeds could be polled

    assert "3 feeds polled, 2 with errors (1 could not be polled): 2 new articles" in out
    assert "feed 1: 1 of 2 new entries not stored: http://example.com:99999/broken" in out
    assert "feed 2: " in out and "404" in out and "Traceback" not in out
    listed = run(cli, "feeds", "list")
    assert "last error: 1 of 2 new entries" in listed and "(HTTP 404)" in listed
    urls = {a["url"] for a in json.loads(run(cli, "articles", "list", "--json"))["items"]}
    assert urls == {"http://[2606:4700:4700::1111]/story", "http://example.org/canoes"}


def test_feeds_poll_fails_only_when_every_feed_failed(cli: CliRunner, web) -> None:
    web.route("/a.xml", _rss("A", []), content_type="application/rss+xml")
    run(cli, "feeds", "add", web.url("/a.xml"))
    web.route("/a.xml", "gone", status=404)
    assert "1 feed polled, 1 with errors" in run(cli, "feeds", "poll", code=1)
    assert "feed 7: no feed 7" in run(cli, "feeds", "poll", "7", code=1)


def test_every_command_has_help(cli: CliRunner) -> None:
    for args in (["--help"], ["articles", "add", "--help"], ["feeds", "poll", "--help"],
                 ["db", "upgrade", "--help"], ["summarize", "--help"], ["demo", "--help"],
                 ["worker", "--help"], ["serve", "--help"], ["sweep", "--help"]):
        assert "Usage" in run(cli, *args)


def test_demo_on_a_fresh_directory_prints_every_seed_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    result = subprocess.run([sys.executable, "-m", "briefing", "demo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seeds = seed_files(ROOT / "seeds")
    assert len(seeds) >= 5
    assert result.stdout.count("  • ") >= 3 * len(seeds)
    assert "The United States suggested that Turkey" in result.stdout
    assert (tmp_path / "var" / "briefing.db").exists()
    # A whole day: the demo list's edition went to the outbox, one copy per reader.
    readers = len((ROOT / "seeds" / "subscribers.csv").read_text().strip().splitlines()) - 1
    assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == readers
    opened = Path(result.stdout.strip().splitlines()[-1].split("open the briefing: ")[1])
    page = opened.read_text()
    assert "Morning Briefing (demo)" in page and "Unsubscribe" in page
