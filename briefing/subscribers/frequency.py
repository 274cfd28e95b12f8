"""How often a reader wants a list: checked once for every face."""

from __future__ import annotations

from briefing.core.errors import InputError
from briefing.core.models import Frequency


def checked_frequency(raw: str) -> Frequency:
    try:
        return Frequency(raw.strip().lower())
    except ValueError:
        raise InputError(f"{raw[:40]!r} is not a frequency: "
                         + " or ".join(f.value for f in Frequency)) from None
