"""Where shipped files live: inside the wheel (`briefing/templates`, `briefing/static`), or
beside the package in a source checkout (`templates/`, `static/`), so both `pip install .`
and editable installs work."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # briefing/, this file being briefing/core/


def _shipped(name: str) -> Path:
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def templates_dir() -> Path:
    return _shipped("templates")


def seeds_dir() -> Path:
    return _shipped("seeds")


def static_dir() -> Path:
    """The admin web app's stylesheet and script (`static/`, `briefing/static` in a wheel)."""
    return _shipped("static")
