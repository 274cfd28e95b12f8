"""The errors every stage raises for a person to read; each face maps them by base class."""

from __future__ import annotations


class InputError(ValueError):
    """Input we cannot use (an article, a list setting, an address...); the message says why."""
