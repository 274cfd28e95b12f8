"""A sentence and word tokenizer for Sumy that needs no downloaded data.

Sumy's stock ``Tokenizer`` needs NLTK's ``punkt`` data, which is not available at run time, so
:class:`OfflineTokenizer` gives Sumy's parser a sentence splitter whose model ships inside the
``blingfire`` wheel, and a regex word tokenizer.

This module does not import Sumy: Sumy's parsers only call ``language``, ``to_sentences`` and
``to_words`` on their tokenizer, so a plain class with those members is enough.  Turning text
into Sumy's document model (and :func:`briefing.summarize.split_sentences`, which must cut text
exactly as the summarizers see it) stays in :mod:`briefing.summarize`, the module that imports
Sumy.

Sentence splitters measured on the evaluation sets (``benchmarks/results/splitters.md``): share
of BBC reference sentences (cut by humans) reproduced exactly / articles per second:
blingfire 99.0% / ~4,300 per s, nupunkt 98.0% / ~2,800 per s, pysbd 87.9% / ~100 per s.
"""

from __future__ import annotations

import re

import blingfire

__all__ = ["OfflineTokenizer", "split_paragraph", "split_words"]

# A word is a run of letters, possibly joined by apostrophes or hyphens ("don't", "co-produce");
# numbers and punctuation are not words for Sumy's purposes (as with its stock tokenizer).
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def split_paragraph(paragraph: str) -> tuple[str, ...]:
    """The sentences of one paragraph, stripped, without empty ones."""
    split = blingfire.text_to_sentences(paragraph)
    return tuple(s.strip() for s in split.split("\n") if s.strip())


def split_words(sentence: str) -> tuple[str, ...]:
    """The words of one sentence, in order; numbers and punctuation are left out."""
    return tuple(_WORD.findall(sentence))


class OfflineTokenizer:
    """Sentence and word tokenizer for Sumy that needs no downloaded data.

    Sentences come from blingfire, whose model is compiled into its wheel; words from a regex.
    """

    def __init__(self, language: str = "english") -> None:
        self._language = language

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return split_paragraph(paragraph)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return split_words(sentence)
