"""IANA time zone names, checked once for lists and readers alike."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from briefing.core.errors import InputError


def checked_zone(raw: str) -> str:
    """An IANA zone name as given ("Asia/Tokyo", trimmed); InputError for anything else."""
    zone = raw.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{raw[:80]!r} is not an IANA time zone such as Europe/Berlin"
                         ) from None
    return zone


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The tz database's zone names, sorted: what pickers offer (read from disk once)."""
    return tuple(sorted(available_timezones()))
