"""The terms of an article that grouping compares: stemmed content words and numbers.

The language seam is :func:`language_rules`: a language name in, a stemmer and stop words out.
It borrows Sumy's per-language data (Snowball stemmers, bundled stop-word lists) by name, the
same resources the summarizer uses, so when articles carry a detected language, grouping
follows by passing that name.  A language without a stemmer falls back to exact words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["LanguageRules", "article_terms", "language_rules"]

# Words (letters joined by apostrophes or hyphens) and numbers ("916,000", "1.9"): figures tell
# one jobs report or one vote from another on the same topic, so unlike in the summarizer's
# tokenizer they count here.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’-][^\W\d_]+)*")
_STEM_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class LanguageRules:
    """How to turn a word into a term in one language."""

    stem: Callable[[str], str]
    stop_words: frozenset[str]


@lru_cache(maxsize=16)
def language_rules(language: str = "english") -> LanguageRules:
    """Stemmer (memoized: Snowball costs ~20 µs a word) and stop words for *language*."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.utils import get_stop_words

    try:
        stemmer: Callable[[str], str] = Stemmer(language)
        stop_words = frozenset(w.lower() for w in get_stop_words(language))
    except LookupError:
        return LanguageRules(str, frozenset())
    return LanguageRules(_memoized(stemmer), stop_words)


def _memoized(stem: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def cached(word: str) -> str:
        found = cache.get(word)
        if found is None:
            if len(cache) >= _STEM_CACHE_LIMIT:
                cache.clear()
            found = cache[word] = stem(word)
        return found

    return cached


def article_terms(title: str, text: str, rules: LanguageRules, *, title_weight: float,
                  lead_words: int) -> dict[str, float]:
    """Term -> weight (1 + log of its count), title words counted *title_weight* times.

    Only the first *lead_words* tokens of the text count: the lead says what happened, and a
    feature's tenth paragraph about background would only blur the comparison (and cost time).
    """
    counts: dict[str, float] = {}
    for tokens, weight in ((_TOKEN.findall(title), title_weight),
                           (_TOKEN.findall(text)[:lead_words], 1.0)):
        for token in tokens:
            term = _term(token.lower(), rules)
            if term:
                counts[term] = counts.get(term, 0.0) + weight
    return {term: 1.0 + math.log(count) for term, count in counts.items() if count >= 1.0}


def _term(token: str, rules: LanguageRules) -> str | None:
    if token in rules.stop_words:
        return None
    if token[0].isdigit():
        return token if len(token) > 1 else None  # "2" is noise, "2020" and "916,000" are not
    return rules.stem(token)
