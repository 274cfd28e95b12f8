"""`briefing stories group|summarize`: the measuring interfaces, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from briefing.cli import app
from tests.stories.test_stories import BACKGROUND, BRIDGE, ELECTION
from tests.support.cli import run


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, (title, text) in enumerate(BRIDGE):
        rows.append({"id": f"bridge-{i}", "title": title, "text": text, "source": f"outlet-{i}",
                     "published": "2024-05-14", "url": f"https://x/{i}", "story": "bridge"})
    for i, (title, text) in enumerate(BACKGROUND):
        rows.insert(2 * i + 1, {"id": 100 + i, "title": title, "text": text, "story": f"o{i}"})
    for name, pairs in ELECTION.items():
        rows += [{"id": f"{name}-{i}", "title": t, "text": x, "story": name}
                 for i, (t, x) in enumerate(pairs)]
    return rows


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_group_prints_one_line_per_row_in_input_order(cli: CliRunner, tmp_path: Path) -> None:
    rows = _rows()
    out = _lines(run(cli, "stories", "group", str(_write(tmp_path / "day.jsonl", rows))))
    assert [o["id"] for o in out] == [r["id"] for r in rows]
    assert all(set(o) == {"id", "story"} for o in out)
    story = {o["id"]: o["story"] for o in out}
    assert len({story[f"bridge-{i}"] for i in range(5)}) == 1
    assert len({story[f"{name}-0"] for name in ELECTION}) == 3


def test_group_reads_standard_input(cli: CliRunner) -> None:
    text = "".join(json.dumps(r) + "\n" for r in _rows()[:3])
    assert len(_lines(run(cli, "stories", "group", "-", input=text))) == 3


def test_summarize_prints_one_line_per_story(cli: CliRunner, tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["summary"] = ["The cup final went to penalties."]
    path = _write(tmp_path / "day.jsonl", rows)
    out = _lines(run(cli, "stories", "summarize", str(path), "--sentences", "2"))
    assert [o["story"] for o in out] == list(dict.fromkeys(r["story"] for r in rows))
    assert all(set(o) == {"story", "summary"} for o in out)
    bridge = next(o for o in out if o["story"] == "bridge")
    assert len(bridge["summary"]) == 2
    assert out[1] == {"story": "o0", "summary": ["The cup final went to penalties."]}


def test_bad_lines_are_named_and_nothing_is_printed(cli: CliRunner, tmp_path: Path) -> None:
    good = json.dumps({"id": 1, "title": "A title", "text": "Some text here."})
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        good,
        "{not json",
        json.dumps({"id": 2, "text": "no title"}),
        json.dumps({"id": [3], "title": "t", "text": "x"}),
        json.dumps({"id": 4, "title": "t", "text": 5}),
        json.dumps({"id": 5, "title": "t", "text": "x", "published": "yesterday"}),
        good,
    ]) + "\n")
    result = cli.invoke(app,
                        ["stories", "group", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr
    assert "line 2: not valid JSON" in err
    assert "line 3: missing field 'title'" in err
    assert "line 4: 'id' must be a string or an integer, not a list" in err
    assert "line 5: 'text' must be a string, not an integer" in err
    assert "line 6: 'published' is not an ISO 8601 date" in err
    assert "line 7: id 1 was already used on line 1" in err
    assert "Traceback" not in result.output


def test_summarize_needs_a_story_on_every_row(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path / "day.jsonl", [{"id": 1, "title": "t", "text": "Some text."}])
    result = cli.invoke(app,
                        ["stories", "summarize", str(path)])
    assert result.exit_code == 2 and "line 1: missing field 'story'" in result.stderr


def test_a_missing_file_is_a_clear_error(cli: CliRunner, tmp_path: Path) -> None:
    assert "error" in run(cli, "stories", "group", str(tmp_path / "nope.jsonl"), code=1)
