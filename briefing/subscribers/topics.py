"""The topics a reader chose from a list's own: stored as one canonical key per subscription,
so readers can be grouped by their choice in SQL (one rendering per distinct choice).

A list's topics are the tags its rules take. Choosing none, or every one of them, means the
whole edition; topics the list no longer offers are ignored when an edition is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from briefing.core.errors import InputError
from briefing.core.models import MailingList
from briefing.subscribers.list_rules import rules_of
from briefing.text.rules import clean_tags

EVERYTHING = ""


class TopicError(InputError):
    """A topic the list does not offer."""


def list_topics(mailing_list: MailingList) -> list[str]:
    """The topics a list offers its readers: its tags, in order."""
    return sorted(rules_of(mailing_list).tags)


def topics_key(topics: Iterable[str]) -> str:
    """The stored form of a choice: a sorted JSON array, "" for everything."""
    chosen = sorted(set(topics))
    return json.dumps(chosen, ensure_ascii=False, separators=(",", ":")) if chosen else EVERYTHING


def topics_of(key: str) -> list[str]:
    if not key:
        return []
    try:
        value = json.loads(key)
    except ValueError:
        return []
    return [str(topic) for topic in value] if isinstance(value, list) else []


def chosen_key(mailing_list: MailingList, raw: Iterable[str]) -> str:
    """A reader's choice checked against the list's topics: the key to store."""
    offered = set(list_topics(mailing_list))
    try:
        chosen = set(clean_tags(list(raw)))
    except InputError as exc:
        raise TopicError(str(exc)) from None
    unknown = sorted(chosen - offered)
    if unknown:
        raise TopicError(f"list {mailing_list.slug} has no topic {unknown[0]!r}"
                         + (f" (it offers {', '.join(sorted(offered))})" if offered
                            else " (it offers none)"))
    return EVERYTHING if chosen == offered else topics_key(chosen)


def effective_topics(key: str, offered: Iterable[str]) -> frozenset[str]:
    """What a stored choice means now: the chosen topics the list still offers; empty (the
    whole edition) when none of them is left or all of them are chosen."""
    still = frozenset(topics_of(key)) & frozenset(offered)
    return frozenset() if still == frozenset(offered) else still
