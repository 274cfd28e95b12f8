"""The list form's "What the list takes" part: rules as form text and back.

The form shows every rule, so a save replaces them all; each part is checked on its own so a
problem is shown next to its field (and nothing is saved).
"""

from __future__ import annotations

from briefing.core.errors import InputError
from briefing.core.models import MailingList
from briefing.subscribers.list_rules import RulesChange, merged_rules, parse_weight

RULE_FIELDS = ("tags", "include", "exclude", "language", "weights")


def rule_values(row: MailingList | None) -> dict[str, str]:
    """The form's text for each rule (feeds are checkboxes: see `feed_choices`)."""
    stored = (row.rules if row else None) or {}
    return {
        "tags": ", ".join(stored.get("tags", [])),
        "include": " ".join(_quoted(k) for k in stored.get("include", [])),
        "exclude": " ".join(_quoted(k) for k in stored.get("exclude", [])),
        "language": stored.get("language") or "",
        "weights": "\n".join(f"{k}={v:g}" for k, v in stored.get("weights", {}).items()),
        "locale": row.locale if row else "en",
    }


def chosen_feeds(row: MailingList | None) -> set[int]:
    return set(((row.rules if row else None) or {}).get("feeds", []))


def rules_change(values: dict[str, str], feed_ids: list[str], errors: dict[str, str]
                 ) -> RulesChange:
    """Every rule from the form (an empty field clears its rule); problems go to *errors*."""
    parts: dict[str, object] = {
        "feeds": [int(i) for i in feed_ids if i.strip().isdigit()],
        "tags": [t for t in values.get("tags", "").split(",") if t.strip()],
        "include": [values["include"]] if values.get("include", "").strip() else [],
        "exclude": [values["exclude"]] if values.get("exclude", "").strip() else [],
        "language": values.get("language", ""),
        "weights": _weights(values.get("weights", ""), errors),
    }
    for name, value in parts.items():
        try:
            merged_rules({}, RulesChange(**{name: value}))  # type: ignore[arg-type]
        except InputError as exc:
            errors.setdefault(name, str(exc)[:1].upper() + str(exc)[1:] + ".")
    return RulesChange(clear=True, **parts)  # type: ignore[arg-type]


def _weights(text: str, errors: dict[str, str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            outlet, weight = parse_weight(line)
        except InputError as exc:
            errors.setdefault("weights", str(exc)[:1].upper() + str(exc)[1:] + ".")
            continue
        weights[outlet] = weight
    return weights


def _quoted(keyword: str) -> str:
    return f'"{keyword}"' if " " in keyword else keyword
