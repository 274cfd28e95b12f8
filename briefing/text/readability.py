"""Whether a text is prose worth storing and summarizing: the one check every entry point uses.

Ingestion (``articles add``, ``POST /api/articles``, feed polls), ``POST /api/summaries`` and
the summarizer itself (``briefing summarize``, batches, tasks) all ask :func:`unreadable_reason`,
so garbage is refused with the same message wherever it comes in.  A text is readable when

* it is not binary-looking (control, replacement or private-use characters),
* most of what is visible is letters, and the tokens look like words (not base64, hex dumps or
  keyboard mash without vowels),
* it has at least two different words (three characters in scripts without spaces): one word
  or one word repeated is not an article, and long texts must not be a few words over and over,
* and it reads as a language: the language identifier (:mod:`briefing.text.language`) does not put
  it in its "no linguistic content" class, which is where keyboard mash and random letters land.

Measured over every article of every evaluation set (``python -m benchmarks.languages``),
no real text is refused.
"""

from __future__ import annotations

import re

from briefing.text.language import detect_language
from briefing.text.tokenizer import is_unspaced

__all__ = ["unreadable_reason"]

# The checks look at the start of the text: enough to tell prose from junk, and cheap.
_SAMPLE_CHARS = 3_000
# Control characters (other than line/tab/form feeds), replacement characters, surrogates and
# private-use code points: what decoding binary data as text produces.
_BINARY = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\ud800-\uf8ff]")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_SPACE = re.compile(r"\s+")
# A whitespace-separated token that is one word, possibly wrapped in quotes or punctuation.
_WORD_TOKEN = re.compile(
    r"(?<!\S)[\"'“”‘’(\[{<«*]*([^\W\d_]+(?:['’-][^\W\d_]+)*)[\"'“”‘’)\]}>».,;:!?…*-]*(?!\S)"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Latin-script words have vowels, which rejects keyboard mash like "xkcdqz"; other scripts pass.
_WORDLIKE = re.compile(r"[aeiouyAEIOUY]|[^\x00-\x7f]|^.$")
# Share of non-space characters that must be letters for the text to count as prose.
_MIN_LETTER_SHARE = 0.3
# Share of whitespace-separated tokens that must look like words (base64, hex dumps fail).
_MIN_WORD_SHARE = 0.3
_MAX_WORD_CHARS = 30
# One word is not an article (two can be: "She persisted." is a whole item in the stories
# set); in unspaced scripts, count characters.
_MIN_WORDS = 2
_MIN_UNSPACED_CHARS = 3
# Over a long text's first _WINDOW words, real prose uses many different words (at least 0.28
# of them in every article of the evaluation sets); a few words on repeat use very few (here:
# at most 15 different words in 500).
_WINDOW = 500
_MIN_DISTINCT_SHARE = 0.03
_REPEAT_FROM, _REPEAT_DISTINCT = 4, 3


def _neighbours(rows: tuple[str, ...]) -> frozenset[str]:
    pairs = (row[i:i + 2] for row in rows for i in range(len(row) - 1))
    return frozenset(p for pair in pairs for p in (pair, pair[::-1]))


# Keyboard mash runs along the rows of a keyboard (QWERTY, QWERTZ, AZERTY): most of its letter
# pairs are neighbouring keys ("sdfg", "hjk").  In prose such pairs are at most a quarter
# (0.27 in the evaluation sets' worst article; 0.6 and more in mash).
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm", "azertyuiop",
         "qsdfghjklm", "wxcvbn")
_NEIGHBOURS = _neighbours(_ROWS)
_LATIN_WORD = re.compile(r"[a-z]+")
_MIN_PAIRS = 12  # fewer pairs prove little: "New powers are" has 5 of 9
_KEYBOARD_CHARS = 1_000
_MAX_NEIGHBOURS = 0.5
# Above this confidence in one language the keyboard test is skipped (it costs ~0.5 ms).
_CLEARLY_PROSE = 0.95


def unreadable_reason(text: str) -> str | None:
    """Why *text* is not readable prose (a phrase to follow "not readable: "), or None."""
    sample = text[:_SAMPLE_CHARS].strip()
    for check in (_binary, _letters, _words, _variety, _language, _keyboard):
        reason = check(sample)
        if reason is not None:
            return reason
    return None


def _binary(sample: str) -> str | None:
    if len(_BINARY.findall(sample)) > max(2, len(sample) // 200):
        return "it looks like binary data, not text"
    return None


def _letters(sample: str) -> str | None:
    letters = len(_NOT_LETTER.sub("", sample))
    visible = len(_SPACE.sub("", sample))
    if letters == 0 or letters < _MIN_LETTER_SHARE * visible:
        return "it has no letters to speak of, only digits, symbols or punctuation"
    return None


def _words(sample: str) -> str | None:
    if is_unspaced(sample):
        return None  # no spaces to cut tokens at; the language check below still applies
    words = _WORD_TOKEN.findall(sample)
    real = sum(1 for w in words if len(w) <= _MAX_WORD_CHARS and _WORDLIKE.search(w))
    if real == 0 or real < _MIN_WORD_SHARE * len(sample.split()):
        return "it has no real words (encoded data or keyboard mash?)"
    return None


def _variety(sample: str) -> str | None:
    head = sample[:_WINDOW * 8]  # enough characters for _WINDOW words
    if is_unspaced(head):  # characters stand in for words
        units, least, unit = _LETTER.findall(head)[:_WINDOW], _MIN_UNSPACED_CHARS, "characters"
    else:
        units, least, unit = _WORD.findall(head)[:_WINDOW], _MIN_WORDS, "words"
    if len(units) < least:
        return f"it is too short to be an article (at least {least} {unit})"
    distinct = len({u.casefold() for u in units})
    # Two words can make a text; four or more that are only two words repeated do not.
    needed = least if len(units) < _REPEAT_FROM else max(least, _REPEAT_DISTINCT)
    if distinct < needed or distinct < _MIN_DISTINCT_SHARE * len(units):
        return "it repeats the same few words over and over"
    return None


def _keyboard(sample: str) -> str | None:
    if detect_language(sample).confidence >= _CLEARLY_PROSE:
        return None  # the identifier is sure of a language: mash never gets this far
    head = sample[:_KEYBOARD_CHARS].lower()
    words = _LATIN_WORD.findall(head)
    if 2 * sum(map(len, words)) < len(_LETTER.findall(head)):
        return None  # mostly another script: its few Latin names and acronyms prove nothing
    pairs = [w[i:i + 2] for w in words for i in range(len(w) - 1)]
    neighbours = sum(1 for p in pairs if p in _NEIGHBOURS)
    if len(pairs) >= _MIN_PAIRS and neighbours > _MAX_NEIGHBOURS * len(pairs):
        return "it reads as keyboard mash"
    return None


def _language(sample: str) -> str | None:
    if not detect_language(sample).linguistic:
        return "it reads as no language (random letters or keyboard mash?)"
    return None

