"""Choosing a list's sources from the command line, and seeing what it would send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import run
from tests.support.stories import BRIDGE, OTHER_NEWS, Piece


def write(tmp_path: Path, piece: Piece, name: str) -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(f"{piece.title}\n\n{piece.text}\n", encoding="utf-8")
    return path


def test_lists_take_their_rules_show_them_and_rank_what_they_take(
        cli: CliRunner, tmp_path: Path) -> None:
    bridge = [write(tmp_path, p, f"bridge{n}") for n, p in enumerate(BRIDGE)]
    other = write(tmp_path, OTHER_NEWS[0], "orchestra")
    run(cli, "articles", "add", *map(str, bridge), "--tag", "City")
    run(cli, "articles", "add", str(other), "--tag", "Culture")
    run(cli, "lists", "create", "city", "--name", "City", "--from", "city@example.org",
        "--tag", "city", "--include", 'bridge "river bridge"', "--exclude", "ferry-free",
        "--language", "en", "--weight", "Harbour Herald=2", "--locale", "de")
    shown = run(cli, "lists", "show", "city")
    for line in ("tags: city", 'include any of: bridge "river bridge"',
                 "exclude all of: ferry-free", "language: en", "weights: Harbour Herald=2",
                 "locale    de"):
        assert line in shown, (line, shown)

    listed = run(cli, "stories", "list", "--list", "city")
    assert "1 stories" in listed and "[5 outlets" in listed and "top" in listed
    data = json.loads(run(cli, "stories", "list", "--list", "city", "--json"))
    (story,) = data["stories"]
    assert story["outlets"] == 5 and len(story["articles"]) == 5 and story["top"]

    run(cli, "lists", "update", "city", "--tag", "culture", "--include", "")
    shown = run(cli, "lists", "show", "city")
    assert "tags: culture" in shown and "include" not in shown and "language: en" in shown
    data = json.loads(run(cli, "stories", "list", "--list", "city", "--json"))
    assert [s["title"] for s in data["stories"]] == [OTHER_NEWS[0].title]

    run(cli, "lists", "update", "city", "--clear-rules")
    assert "all articles (no rules)" in run(cli, "lists", "show", "city")
    data = json.loads(run(cli, "stories", "list", "--list", "city", "--json"))
    assert len(data["stories"]) == 2


@pytest.mark.parametrize(("option", "message"), [
    (("--include", 'an "unclosed phrase'), "unclosed quote"),
    (("--language", "klingonese"), "is not a language"),
    (("--weight", "Herald"), "is not OUTLET=NUMBER"),
    (("--weight", "Herald=99"), "from 0 to 10"),
    (("--feed", "42"), "no feed 42"),
    (("--locale", "xx_YY_ZZ"), "is not a locale"),
    (("--tag", " "), "tag"),
])
def test_bad_rules_are_refused_with_a_clear_message_and_change_nothing(
        cli: CliRunner, option: tuple[str, str], message: str) -> None:
    run(cli, "lists", "create", "city", "--name", "City", "--from", "city@example.org",
        "--tag", "city")
    output = run(cli, "lists", "update", "city", *option, code=1)
    assert message in output, output
    assert "tags: city" in run(cli, "lists", "show", "city")


def test_feeds_and_articles_carry_their_tags(cli: CliRunner, tmp_path: Path, web) -> None:
    web.route("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>T"
              "</title><link>http://example.org/</link></channel></rss>",
              content_type="application/rss+xml")
    assert "(tags: harbour, port news)" in run(cli, "feeds", "add", web.url("/feed.xml"),
                                               "--tag", "Harbour", "--tag", "Port  News")
    assert "feed 1: tags ports" in run(cli, "feeds", "tag", "1", "--tag", "ports")
    path = write(tmp_path, OTHER_NEWS[1], "fish")
    run(cli, "articles", "add", str(path), "--tag", "Fishing")
    run(cli, "articles", "add", str(path), "--tag", "Économie")  # a duplicate adds its tag
    article = json.loads(run(cli, "articles", "show", "1", "--json"))
    assert article["tags"] == ["fishing", "economie"]
    assert "tag" in run(cli, "articles", "add", str(path), "--tag", "x" * 51, code=1)


def test_a_reader_is_added_weekly_with_topics_and_bad_choices_are_refused(
        cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "lists", "create", "city", "--name", "City", "--from", "city@example.org",
        "--tag", "city", "--tag", "culture")
    run(cli, "subscribers", "add", "w@example.com", "--list", "city",
        "--frequency", "weekly:fri", "--topic", "Culture")
    out = tmp_path / "readers.csv"
    run(cli, "subscribers", "export", "--list", "city", "-o", str(out))
    assert ",weekly:friday,culture" in out.read_text()
    assert "not a frequency" in run(cli, "subscribers", "add", "x@example.com", "--list",
                                    "city", "--frequency", "hourly", code=1)
    refused = run(cli, "subscribers", "add", "x@example.com", "--list", "city",
                  "--topic", "sport", code=1)
    assert "no topic 'sport'" in refused and "city, culture" in refused
