"""A list's selection rules, matched against one article: the one test preview and send share.

A list may name feeds and/or tags (an article qualifies if it came from one of the feeds OR
carries one of the tags), include keywords (any one must occur), exclude keywords (none may
occur) and a language.  Keywords are words or "quoted phrases", matched as whole words on
the title and the text, ignoring case and accents ("Zurich" finds "Zürich").  A rule left
empty does not filter, so a list with no rules takes everything, as lists always did.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from briefing.core.errors import InputError

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents: the form keywords and texts are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_keywords(spec: str) -> list[str]:
    """'vote "city council" Zürich' -> ['vote', 'city council', 'Zürich'] (as written, trimmed).
    InputError for an unclosed quote, so a typo does not silently become another rule."""
    if spec.count('"') % 2:
        raise InputError(f"unclosed quote in keywords {spec!r}")
    keywords: list[str] = []
    for match in _TOKEN.finditer(spec):
        phrase = " ".join((match.group(1) if match.group(1) is not None
                           else match.group(2)).split()).strip(",")
        if phrase and _WORD.search(phrase) and phrase not in keywords:
            keywords.append(phrase)
    return keywords


MAX_TAGS = 20
MAX_TAG_CHARS = 50


def clean_tags(values: Iterable[str], *, strict: bool = True) -> list[str]:
    """Tags as stored: trimmed, folded, at most MAX_TAGS of at most MAX_TAG_CHARS each.

    Strict (tags a person gave): an empty or overlong tag is an InputError.  Lenient (a
    feed's categories, which nobody here chose): bad ones are dropped."""
    tags: list[str] = []
    for value in values:
        tag = " ".join(fold(value).split())
        if not tag or len(tag) > MAX_TAG_CHARS or not _WORD.search(tag):
            if strict:
                raise InputError(f"tag {value[:60]!r} must have 1 to {MAX_TAG_CHARS} "
                                 "characters, letters or digits among them")
            continue
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        if strict:
            raise InputError(f"at most {MAX_TAGS} tags, not {len(tags)}")
        tags = tags[:MAX_TAGS]
    return tags


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _occurs(keyword: list[str], words: Sequence[str], first: dict[str, list[int]]) -> bool:
    for start in first.get(keyword[0], ()):
        if list(words[start:start + len(keyword)]) == keyword:
            return True
    return False


@dataclass(frozen=True)
class ListRules:
    feed_ids: frozenset[int] = frozenset()
    tags: frozenset[str] = frozenset()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    language: str | None = None
    _include_words: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    _exclude_words: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", frozenset(clean_tags(self.tags, strict=False)))
        object.__setattr__(self, "_include_words", _compile(self.include))
        object.__setattr__(self, "_exclude_words", _compile(self.exclude))

    @classmethod
    def build(cls, *, feed_ids: Iterable[int] = (), tags: Iterable[str] = (),
              include: str | Iterable[str] = (), exclude: str | Iterable[str] = (),
              language: str | None = None) -> ListRules:
        return cls(frozenset(feed_ids), frozenset(tags), _keywords(include), _keywords(exclude),
                   language.lower() if language else None)

    @property
    def empty(self) -> bool:
        return not (self.feed_ids or self.tags or self.include or self.exclude or self.language)

    def matches(self, *, title: str, text: str, feed_id: int | None = None,
                tags: Iterable[str] = (), language: str | None = None) -> bool:
        if self.feed_ids or self.tags:
            from_feed = feed_id is not None and feed_id in self.feed_ids
            tagged = bool(self.tags & set(clean_tags(tags, strict=False)))
            if not (from_feed or tagged):
                return False
        if self.language and (language or "").lower() != self.language:
            return False
        if not (self._include_words or self._exclude_words):
            return True
        words = [*_words(title), "", *_words(text)]  # "" keeps a phrase from spanning both
        first: dict[str, list[int]] = {}
        for index, word in enumerate(words):
            first.setdefault(word, []).append(index)
        if self._include_words and not any(_occurs(list(k), words, first)
                                           for k in self._include_words):
            return False
        return not any(_occurs(list(k), words, first) for k in self._exclude_words)

    def describe(self) -> list[str]:
        """One line per rule, for `briefing lists show`."""
        if self.empty:
            return ["all articles (no rules)"]
        lines = []
        if self.feed_ids:
            lines.append("feeds: " + ", ".join(str(i) for i in sorted(self.feed_ids)))
        if self.tags:
            lines.append("tags: " + ", ".join(sorted(self.tags)))
        if self.include:
            lines.append("include any of: " + " ".join(_quote(k) for k in self.include))
        if self.exclude:
            lines.append("exclude all of: " + " ".join(_quote(k) for k in self.exclude))
        if self.language:
            lines.append(f"language: {self.language}")
        return lines


def _keywords(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(parse_keywords(value))
    keywords: list[str] = []
    for item in value:
        for keyword in parse_keywords(item):
            if keyword not in keywords:
                keywords.append(keyword)
    return tuple(keywords)


def _compile(keywords: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w) for w in (_words(k) for k in keywords) if w)


def _quote(keyword: str) -> str:
    return f'"{keyword}"' if " " in keyword else keyword
