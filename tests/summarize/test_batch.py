"""`briefing summarize --jsonl`: one output line per input line, errors included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ARTICLE = " ".join(f"The port authority said shipment {i} arrived on time after a storm "
                   f"delayed {i + 2} other vessels in the harbour this week." for i in range(9))


def test_batch_mode_streams_ids_and_summaries_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "a", "text": ARTICLE, "title": "Port"}),
        "",
        "{not json",
        json.dumps({"id": 7, "text": ""}),
        json.dumps({"id": "b", "text": ARTICLE.replace("port", "airport")}),
        json.dumps(["no", "object"]),
    ]) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "briefing", "summarize", "--jsonl", str(source),
         "--sentences", "2", "--algorithm", "lexrank"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 3, 7, "b", 6]
    assert len(lines[0]["summary"]) == 2 and len(lines[3]["summary"]) == 2
    assert "not valid JSON" in lines[1]["error"]
    assert "empty" in lines[2]["error"]
    assert "object" in lines[4]["error"]
    assert "3 lines could not be summarized" in result.stderr
