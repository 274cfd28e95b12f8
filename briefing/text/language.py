"""Which language an article is written in, decided offline from its text and its declaration.

Detection is py3langid (langid.py's naive Bayes model over byte n-grams, shipped inside its
wheel; 140 labels, among them ``zxx``, "no linguistic content").  Measured on the languages dev
set (``python -m benchmarks.languages``) it was the most accurate of the offline candidates on
short texts and knows Hausa, which lingua, langdetect and fastText's bundled model do not.

What the page or feed declares (``<html lang>``, a feed's ``<language>``) is *reliable* when the
text agrees with it, or when the text cannot tell: too few letters, or a detection below
:data:`SURE`.  Only a clear verdict from the text overrides a declaration, because templates
often hard-code ``lang="en"`` on pages in other languages.  With neither a usable declaration
nor a sure detection, the caller's fallback (``BRIEFING_SUMMARY_LANGUAGE``) is used.  Every
choice says which of the three it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from briefing.core.languages import FOLDED, language_code
from briefing.text.tokenizer import unspaced_count

__all__ = [
    "DECLARED",
    "DETECTED",
    "FALLBACK",
    "GIVEN",
    "Detection",
    "LanguageChoice",
    "choose_language",
    "detect_language",
    "known_language",
]

DECLARED, DETECTED, FALLBACK, GIVEN = "declared", "detected", "fallback", "given"
# Detection reads the start of the text: 600 characters (four or five sentences) decide as
# well as the whole article, and py3langid walks the bytes in Python (~1.5 ms per thousand).
SAMPLE_CHARS = 600
# Fewer letters than this cannot be told apart reliably (a headline, a name).  A character of
# Chinese or Japanese counts as _UNSPACED_WEIGHT letters: it carries about a word.
MIN_LETTERS = 20
_UNSPACED_WEIGHT = 3
# Probability of the best language for a detection to count as sure; a text that reads as
# two related languages (Czech/Slovak, Russian/Bulgarian) falls below it.
SURE = 0.5
# A declaration is overridden only by a text long and clear enough to be sure of itself.
OVERRIDE = 0.9
OVERRIDE_LETTERS = 200
NO_LANGUAGE = "zxx"

_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Detection:
    """What the text alone says: a language (ISO 639-1) or None, and how sure that is.

    ``linguistic`` is False when the text reads as no language at all (keyboard mash, random
    letters); a language without an ISO 639-1 code has ``code`` None but is linguistic.
    ``letters`` counts the sample's letters, a Chinese or Japanese character as three.
    """

    code: str | None
    confidence: float
    letters: int
    linguistic: bool = True

    @property
    def sure(self) -> bool:
        return self.code is not None and self.letters >= MIN_LETTERS \
            and self.confidence >= SURE

    @property
    def overrides_declaration(self) -> bool:
        return self.sure and self.letters >= OVERRIDE_LETTERS and self.confidence >= OVERRIDE


@dataclass(frozen=True)
class LanguageChoice:
    """The language to summarize in (ISO 639-1) and where it came from (``source``)."""

    code: str
    source: str


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Loading decompresses the model (~1 s): once per process, on first use, never at import.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> Detection:
    """The language of *text* by its letters alone; ``code`` is None when it reads as none."""
    return _detect_sample(text[:SAMPLE_CHARS])


@lru_cache(maxsize=64)
def _detect_sample(sample: str) -> Detection:
    # Cached: readability and the language choice ask about the same text one after the other.
    letters = len(_LETTER.findall(sample)) + (_UNSPACED_WEIGHT - 1) * unspaced_count(sample)
    if letters == 0:
        return Detection(None, 1.0, 0, linguistic=False)
    scores: dict[str, float] = {}
    for label, probability in _identifier().rank(sample):
        code = FOLDED.get(label, label)
        scores[code] = scores.get(code, 0.0) + probability
    best = max(scores, key=scores.__getitem__)
    linguistic = best != NO_LANGUAGE
    code = best if linguistic and len(best) == 2 else None
    return Detection(code, scores[best], letters, linguistic)


def choose_language(text: str, *, declared: str | None = None,
                    fallback: str = "en") -> LanguageChoice:
    """The article's language: the declaration when the text agrees or cannot tell, else the
    text's own when it is sure, else *fallback*."""
    found = known_language(text, declared=declared)
    return found or LanguageChoice(language_code(fallback) or "en", FALLBACK)


def known_language(text: str, *, declared: str | None = None) -> LanguageChoice | None:
    """Like :func:`choose_language`, but None where it would need the fallback."""
    stated = language_code(declared)
    detection = detect_language(text)
    if stated is not None and (stated == detection.code or not detection.overrides_declaration):
        return LanguageChoice(stated, DECLARED)
    if detection.sure:
        assert detection.code is not None
        return LanguageChoice(detection.code, DETECTED)
    return None
