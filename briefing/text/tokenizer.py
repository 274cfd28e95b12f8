"""A sentence and word tokenizer for Sumy that needs no downloaded data, for any language.

Sumy's stock ``Tokenizer`` needs NLTK's ``punkt`` data, which is not available at run time, so
:class:`OfflineTokenizer` gives Sumy's parser a sentence splitter whose model ships inside the
``blingfire`` wheel, and a regex word tokenizer.

Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese)
get two rules of their own: sentences end at ``。！？`` (and their ASCII forms) together with
any closing quotes or brackets after them (blingfire cuts ``他说：“好。”`` before the closing
quote), and each run of such characters becomes its overlapping character bigrams, the usual
stand-in for words in retrieval when no segmenter is at hand ("乡村振兴" -> 乡村, 村振, 振兴).

This module does not import Sumy: Sumy's parsers only call ``language``, ``to_sentences`` and
``to_words`` on their tokenizer, so a plain class with those members is enough.  Turning text
into Sumy's document model (and :func:`briefing.summarize.summarizer.split_sentences`, which must
cut text exactly as the summarizers see it) stays in :mod:`briefing.summarize.summarizer`, the
module that imports Sumy.

Sentence splitters measured on the evaluation sets (``benchmarks/results/splitters.md``): share
of BBC reference sentences (cut by humans) reproduced exactly / articles per second:
blingfire 99.0% / ~4,300 per s, nupunkt 98.0% / ~2,800 per s, pysbd 87.9% / ~100 per s.
"""

from __future__ import annotations

import re

import blingfire

__all__ = ["OfflineTokenizer", "is_unspaced", "split_paragraph", "split_words", "unspaced_count"]

# Code points of scripts written without spaces between words: CJK ideographs (with
# extension A and compatibility forms), kana, Thai, Lao, Khmer and Myanmar.
_UNSPACED_CHARS = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED_CHARS}]+")
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED_CHARS}]")
# A word is a run of letters, possibly joined by apostrophes or hyphens ("don't", "co-produce");
# numbers and punctuation are not words for Sumy's purposes (as with its stock tokenizer).
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# A CJK sentence ends at a full stop, exclamation or question mark (full-width or not, repeated
# or with an ellipsis) and takes the closing quotes and brackets that follow it.
# Their ASCII forms count only before a space ("Yahoo!ニュース" is a name).
_CJK_SENTENCE_END = re.compile(r"(?:[。！？]+|…+|[.!?]+(?=\s))[”’」』）)\]】〉》\"']*\s*")
# Languages whose text is cut with the CJK rule even where some of it is in Latin letters.
_CJK_LANGUAGES = frozenset({"zh", "ja"})


def unspaced_count(text: str) -> int:
    """How many characters of *text* belong to scripts written without spaces."""
    return len(_UNSPACED_CHAR.findall(text))


def is_unspaced(text: str) -> bool:
    """Whether most letters of *text* belong to scripts written without spaces."""
    if _UNSPACED_CHAR.search(text) is None:  # the common case, decided without a full scan
        return False
    unspaced = len(_UNSPACED_CHAR.findall(text))
    return unspaced * 2 >= sum(1 for ch in text if ch.isalpha())


def _split_cjk(paragraph: str) -> tuple[str, ...]:
    sentences, start = [], 0
    for end in _CJK_SENTENCE_END.finditer(paragraph):
        sentences.append(paragraph[start:end.end()])
        start = end.end()
    sentences.append(paragraph[start:])
    return tuple(s.strip() for s in sentences if s.strip())


def split_paragraph(paragraph: str, language: str | None = None) -> tuple[str, ...]:
    """The sentences of one paragraph, stripped, without empty ones."""
    if language in _CJK_LANGUAGES or is_unspaced(paragraph):
        return _split_cjk(paragraph)
    split = blingfire.text_to_sentences(paragraph)
    return tuple(s.strip() for s in split.split("\n") if s.strip())


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def split_words(sentence: str) -> tuple[str, ...]:
    """The words of one sentence, in order; numbers and punctuation are left out.

    In unspaced scripts the "words" are character bigrams (see the module's docstring).
    """
    words: list[str] = []
    for word in _WORD.findall(sentence):
        if _UNSPACED_CHAR.search(word) is None:
            words.append(word)
            continue
        position = 0
        for run in _UNSPACED_RUN.finditer(word):
            words += _WORD.findall(word[position:run.start()]) + _bigrams(run.group())
            position = run.end()
        words += _WORD.findall(word[position:])
    return tuple(words)


class OfflineTokenizer:
    """Sentence and word tokenizer for Sumy that needs no downloaded data.

    Sentences come from blingfire, whose model is compiled into its wheel (or from the CJK rule
    above); words from a regex.  *language* is an ISO 639-1 code.
    """

    def __init__(self, language: str = "en") -> None:
        self._language = language

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return split_paragraph(paragraph, self._language)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return split_words(sentence)
