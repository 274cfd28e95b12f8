"""A list's sources as stored: which articles it takes, how outlets weigh, its locale.

The stored form is a small JSON object on the list (`MailingList.rules`); the matcher is
:class:`briefing.text.rules.ListRules`.  A change names only the parts it replaces, so
`briefing lists update news --tag politics` keeps the list's feeds and keywords.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError

from briefing.core.errors import InputError
from briefing.core.languages import language_code
from briefing.core.models import MailingList
from briefing.text.rules import ListRules, clean_tags, parse_keywords

MAX_KEYWORDS = 50
MAX_WEIGHT = 10.0
_PARTS = ("feeds", "tags", "include", "exclude", "language", "weights")


@dataclass(frozen=True)
class RulesChange:
    """Parts of a list's rules to replace; None leaves a part as it is ("" or [] clears it)."""

    feeds: list[int] | None = None
    tags: list[str] | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None
    language: str | None = None
    weights: Mapping[str, float] | None = None
    clear: bool = False  # start from no rules before applying the parts given

    @property
    def empty(self) -> bool:
        return not self.clear and all(getattr(self, part) is None for part in _PARTS)


def merged_rules(stored: Mapping[str, Any] | None, change: RulesChange) -> dict[str, Any]:
    """The stored rules with *change* applied, each part checked (InputError if bad)."""
    rules: dict[str, Any] = {} if change.clear else dict(stored or {})
    checks: dict[str, Callable[[Any], Any]] = {
        "feeds": _feed_ids, "tags": clean_tags, "include": _keywords, "exclude": _keywords,
        "language": _language, "weights": _weights}
    for part in _PARTS:
        value = getattr(change, part)
        if value is not None:
            rules[part] = checks[part](value)
    return {part: value for part, value in rules.items() if value}


def rules_of(mailing_list: MailingList) -> ListRules:
    stored = mailing_list.rules or {}
    # Stored keywords are already parsed: a phrase is one item ("river bridge"), so it is
    # not parsed again (which would split it into words).
    return ListRules(frozenset(stored.get("feeds", ())), frozenset(stored.get("tags", ())),
                     tuple(stored.get("include", ())), tuple(stored.get("exclude", ())),
                     stored.get("language"))


def weights_of(mailing_list: MailingList) -> dict[str, float]:
    """Outlet name (as articles carry it, folded) → ranking weight; others weigh 1."""
    return {key.casefold(): float(w) for key, w in (mailing_list.rules or {}).get(
        "weights", {}).items()}


def describe(mailing_list: MailingList) -> list[str]:
    """One line per rule, for `briefing lists show`."""
    lines = rules_of(mailing_list).describe()
    weights = (mailing_list.rules or {}).get("weights") or {}
    if weights:
        lines.append("weights: " + ", ".join(f"{k}={v:g}" for k, v in sorted(weights.items())))
    return lines


def checked_locale(raw: str) -> str:
    """A Babel locale identifier ("de", "fr_CH", "pt-BR" → "pt_BR"); InputError if unknown."""
    try:
        return str(Locale.parse(raw.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InputError(f"{raw!r} is not a locale such as en, de, fr_CH") from None


def parse_weight(spec: str) -> tuple[str, float]:
    """'Reuters=2' → ('Reuters', 2.0), for the CLI's --weight."""
    outlet, equals, number = spec.rpartition("=")
    try:
        if not equals or not outlet.strip():
            raise ValueError
        return outlet.strip(), float(number)
    except ValueError:
        raise InputError(f"weight {spec!r} is not OUTLET=NUMBER, e.g. Reuters=2") from None


def _feed_ids(values: Iterable[int]) -> list[int]:
    ids = sorted({int(v) for v in values})
    if any(not 0 < i < 2**31 for i in ids):
        raise InputError("feed ids are positive whole numbers")
    return ids


def _keywords(values: Iterable[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        found.extend(k for k in parse_keywords(value) if k not in found)
    if len(found) > MAX_KEYWORDS or any(len(k) > 200 for k in found):
        raise InputError(f"at most {MAX_KEYWORDS} keywords of up to 200 characters")
    return found


def _language(raw: str) -> str | None:
    if not raw.strip():
        return None
    code = language_code(raw)
    if code is None:
        raise InputError(f"{raw!r} is not a language (ISO 639-1, e.g. de)")
    return code


def _weights(values: Mapping[str, float]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for outlet, weight in values.items():
        name = " ".join(str(outlet).split())[:200]
        if not name or not 0 <= float(weight) <= MAX_WEIGHT:
            raise InputError(f"a weight is an outlet name and a number from 0 to {MAX_WEIGHT:g}")
        weights[name] = float(weight)
    return weights
