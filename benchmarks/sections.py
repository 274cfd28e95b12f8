"""One results file shared by several benchmarks: each owns a "## " section of it."""

from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, text: str) -> None:
    """Put *text* (starting with its "## " heading) in *path*, replacing its earlier version."""
    heading = text.splitlines()[0]
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = [s for s in re.split(r"(?m)^(?=## )", old) if s.strip()]
    kept = [s.rstrip("\n") for s in sections if s.splitlines()[0] != heading]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([*kept, text.rstrip("\n")]) + "\n", encoding="utf-8")
