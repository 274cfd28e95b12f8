"""How often a reader wants a list, checked once for every face.

Written as `daily`, `weekdays`, or `weekly` with an optional day (`weekly:friday`,
`weekly:fri`); a weekly reader without a day gets Monday's copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefing.core.errors import InputError
from briefing.core.models import EditionKind, Frequency

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Cadence:
    frequency: Frequency
    weekly_day: int = 0  # Monday = 0; only weekly readers use it

    def changes(self, frequency: Frequency, weekly_day: int) -> dict[str, object]:
        """The columns to set on a subscription now at (frequency, weekly_day): none when it
        is already so. A daily or weekday choice keeps the stored weekly day, so switching
        back to weekly finds it."""
        values: dict[str, object] = {}
        if frequency != self.frequency:
            values["frequency"] = self.frequency
        if self.frequency == Frequency.WEEKLY and weekly_day != self.weekly_day:
            values["weekly_day"] = self.weekly_day
        return values

    def __str__(self) -> str:
        if self.frequency == Frequency.WEEKLY:
            return f"weekly:{DAYS[self.weekly_day]}"
        return self.frequency.value


def checked_cadence(raw: str) -> Cadence:
    """`daily`, `weekdays`, `weekly` or `weekly:<day>`, or an InputError saying so."""
    word, _, day = raw.strip().lower().partition(":")
    try:
        frequency = Frequency(word.strip())
    except ValueError:
        raise InputError(f"{raw[:40]!r} is not a frequency: daily, weekdays, weekly or "
                         "weekly:<day> (e.g. weekly:friday)") from None
    if frequency != Frequency.WEEKLY:
        if day:
            raise InputError(f"only a weekly frequency takes a day, not {raw[:40]!r}")
        return Cadence(frequency)
    return Cadence(frequency, weekly_day(day) if day.strip() else 0)


def weekly_day(raw: str) -> int:
    name = raw.strip().lower()
    for number, day in enumerate(DAYS):
        if name == day or (len(name) >= 3 and day.startswith(name)):
            return number
    raise InputError(f"{raw[:20]!r} is not a day of the week (monday … sunday)")


def wanted_by(kind: EditionKind, day: date) -> list[Frequency]:
    """The frequencies that get an edition: weekly readers the weekly; daily readers every
    daily; weekday readers the dailies of Monday to Friday (by the edition's date)."""
    if kind == EditionKind.WEEKLY:
        return [Frequency.WEEKLY]
    return [Frequency.DAILY] + ([Frequency.WEEKDAYS] if day.weekday() < 5 else [])
