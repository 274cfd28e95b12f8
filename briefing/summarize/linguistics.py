"""Each language's stemmer, stop words and tokenizer, from Sumy where Sumy has them.

Sumy 0.13 ships stop words for 18 languages and stemmers for 24 (NLTK's Snowball stemmers,
which are code and need no downloaded data, plus its own Czech, Slovak, Greek, Polish and
Ukrainian ones; for Chinese, Japanese, Korean and Hebrew its "stemmer" only lower-cases).  A
language missing one or both gets a fallback that needs nothing: no stemming (lower-casing
only), and stop words derived from the article itself (the words found in a large share of its
sentences, which in any language are its function words).  A :class:`LanguageKit` names what it
uses, so summaries can record it: ``stemmer`` is ``snowball-<name>``, ``sumy-<name>`` or
``none``; ``stop_words`` is ``sumy-<name>`` or ``frequency``.

Besides :mod:`briefing.summarize.summarizer`, this is the only module that imports Sumy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.utils import get_stop_words

from briefing.text.tokenizer import OfflineTokenizer

__all__ = ["SUMY_LANGUAGES", "LanguageKit", "frequency_stop_words", "language_kit"]

# ISO 639-1 code -> Sumy's name, for every language Sumy has a stemmer or stop words for.
SUMY_LANGUAGES: dict[str, str] = {
    "ar": "arabic", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "fi": "finnish", "fr": "french", "he": "hebrew",
    "hu": "hungarian", "it": "italian", "ja": "japanese", "ko": "korean", "nl": "dutch",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sk": "slovak", "sv": "swedish",
    "th": "thai", "uk": "ukrainian", "zh": "chinese",
}
NO_STEMMER = "none"
FREQUENCY = "frequency"
# Derived stop words: words in at least this share of the sentences (and in at least
# _MIN_SENTENCES of them), at most _MAX_DERIVED of them.
_SHARE = 0.25
_MIN_SENTENCES = 3
_MAX_DERIVED = 100


@dataclass(frozen=True)
class LanguageKit:
    """What summarizing in one language uses; ``stop_words`` None means derive them per text."""

    code: str
    stem: Callable[[str], str]
    stop_words: frozenset[str] | None
    stemmer_name: str
    stop_words_name: str
    tokenizer: OfflineTokenizer

    def stop_words_for(self, sentences: Sequence[Iterable[str]]) -> frozenset[str]:
        """The stop words for one text whose sentences' words are given."""
        if self.stop_words is not None:
            return self.stop_words
        return frequency_stop_words(sentences)


def frequency_stop_words(sentences: Sequence[Iterable[str]]) -> frozenset[str]:
    """Words found in a large share of the sentences: a text's own function words."""
    counts: Counter[str] = Counter()
    for words in sentences:
        counts.update({w.lower() for w in words})
    needed = max(_MIN_SENTENCES, _SHARE * len(sentences))
    common = [w for w, n in counts.most_common(_MAX_DERIVED) if n >= needed]
    return frozenset(common)


class _StemCache:
    """Memoized stemming: Snowball costs ~20 µs a word, and news repeats words a lot."""

    _LIMIT = 200_000

    def __init__(self, stem: Callable[[str], str]) -> None:
        self._stem = stem
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            if len(self._cache) >= self._LIMIT:
                self._cache.clear()
            stem = self._cache[word] = self._stem(word)
        return stem


def _stemmer(name: str | None) -> tuple[Callable[[str], str], str]:
    if name is None:
        return str.lower, NO_STEMMER
    special = Stemmer.SPECIAL_STEMMERS.get(name)
    if special is null_stemmer:
        return str.lower, NO_STEMMER
    try:
        stemmer = Stemmer(name)
    except LookupError:
        return str.lower, NO_STEMMER
    return stemmer, f"{'sumy' if special else 'snowball'}-{name}"


def _stop_words(name: str | None) -> tuple[frozenset[str] | None, str]:
    if name is None:
        return None, FREQUENCY
    try:
        words = get_stop_words(name)
    except LookupError:
        return None, FREQUENCY
    return frozenset(w.lower() for w in words), f"sumy-{name}"


@lru_cache(maxsize=64)
def language_kit(code: str) -> LanguageKit:
    """The kit for an ISO 639-1 code; any code works, unknown ones get the fallbacks."""
    name = SUMY_LANGUAGES.get(code)
    stem, stemmer_name = _stemmer(name)
    stop_words, stop_words_name = _stop_words(name)
    return LanguageKit(code, _StemCache(stem), stop_words, stemmer_name, stop_words_name,
                       OfflineTokenizer(code))
