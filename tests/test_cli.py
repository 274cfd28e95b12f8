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
from briefing.ingest import seed_files
from tests.support.cli import run

ROOT = Path(__file__).resolve().parents[1]
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
    assert "4 added, 1 failed" in result.output
    assert "broken.txt" in result.output


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
    assert "1 new articles" in run(cli, "feeds", "poll")
    assert "removed feed 1" in run(cli, "feeds", "rm", "1")


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
