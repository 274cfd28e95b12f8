"""Extractive summaries of news articles, built on Sumy, that work fully offline.

The public entry point: :func:`summarize_text`, :func:`split_sentences`, :class:`Summary`,
:class:`SummaryError`, the list of algorithms and the input limits.  Everything here is pure: no
I/O, no database, no task queue.

Algorithms: every Sumy summarizer (stock settings, run here), ``"lead"`` (first sentences, a
baseline) and ``"default"``, the project's own news summarizer, which lives in
:mod:`briefing.newsrank` (directed centrality, position prior, demotions, MMR); its sentences
come without a leading dateline ("LONDON (CNN) --").

This is the only module in the project that imports Sumy.  Its helpers stay Sumy-free:
:mod:`briefing.tokenizer` supplies the offline tokenizer Sumy's parser is given (blingfire
sentences, regex words, because Sumy's stock tokenizer needs NLTK data that is not available at
run time), and :mod:`briefing.newsrank` receives the parsed sentences, Sumy's stemmer (NLTK's
Snowball, which needs no data files) and Sumy's bundled stop words from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words, normalize_language

from briefing import newsrank
from briefing.boilerplate import strip_dateline
from briefing.config import SUMMARY_ALGORITHMS
from briefing.newsrank import directed_centrality as _directed_centrality  # noqa: F401
from briefing.tokenizer import OfflineTokenizer

__all__ = [
    "ALGORITHMS",
    "DEFAULT_SENTENCES",
    "MAX_KL_SENTENCES",
    "MAX_SUMY_SENTENCES",
    "MAX_TEXT_CHARS",
    "OfflineTokenizer",
    "Summary",
    "SummaryError",
    "split_sentences",
    "summarize_text",
]
# Also importable from here, for tests/test_summarize.py: _parse, _features (newsrank features of
# parsed sentences, with Sumy's language resources) and _directed_centrality (from newsrank).

# One list for the whole project: settings validate against it without importing Sumy.
ALGORITHMS: tuple[str, ...] = SUMMARY_ALGORITHMS
DEFAULT_SENTENCES = 3
# Longer texts are refused: 2 million characters is ~30 times a long feature article, and this
# bound keeps parsing a hostile 20 MB upload from tying up a worker.
MAX_TEXT_CHARS = 2_000_000
# Sumy's own summarizers are quadratic in pure Python (LexRank needs ~1.8 s for 400 sentences),
# so they refuse longer documents; "default" and "lead" take any text up to MAX_TEXT_CHARS.
MAX_SUMY_SENTENCES = 2_000
# Sumy's KL-Sum is cubic (44 s for 400 sentences), so it gets a tighter bound.
MAX_KL_SENTENCES = 300

_SUMY_ALGORITHMS = frozenset(ALGORITHMS) - {"default", "lead"}


class SummaryError(ValueError):
    """The text or the options cannot be summarized; the message is meant for the user."""


@dataclass(frozen=True)
class Summary:
    """Summary sentences in article order, with the algorithm and options that produced them."""

    sentences: tuple[str, ...]
    algorithm: str
    params: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- parsing


class _ArticleParser(PlaintextParser):
    """Sumy's plain-text parser without its upper-case-line-is-a-heading rule.

    In news text an all-capitals line is usually a shouted sentence ("BREAKING: ..."), not a
    heading, and dropping it would make the summary disagree with :func:`split_sentences`.
    """

    @staticmethod
    def _is_heading(line: str) -> bool:
        return False


_TOKENIZER = OfflineTokenizer()


def _parse(text: str, title: str | None = None) -> ObjectDocumentModel:
    document = _ArticleParser(text, _TOKENIZER).document
    # Sentences without a single word ("***", "12:30") are separators, not sentences.
    paragraphs = [Paragraph([s for s in p.sentences if s.words]) for p in document.paragraphs]
    if title and title.strip():
        heading = Sentence(" ".join(title.split()), _TOKENIZER, is_heading=True)
        paragraphs.insert(0, Paragraph([heading]))
    return ObjectDocumentModel(paragraphs)


def split_sentences(text: str) -> list[str]:
    """Split article text into sentences, the same way the summarizers see it."""
    if len(text) > MAX_TEXT_CHARS:
        raise SummaryError(_too_long_message(len(text)))
    return [str(s) for s in _parse(text).sentences]


# --------------------------------------------------------------------------- validation

# Garbage checks look at the start of the text: enough to tell prose from junk, and cheap.
_SAMPLE_CHARS = 20_000
# Control characters (other than line/tab/form feeds), replacement characters, surrogates and
# private-use code points: what decoding binary data as text produces.
_BINARY = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\ud800-\uf8ff]")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE = re.compile(r"\s")
# A whitespace-separated token that is one word, possibly wrapped in quotes or punctuation.
_WORD_TOKEN = re.compile(
    r"(?<!\S)[\"'“”‘’(\[{<«*]*([^\W\d_]+(?:['’-][^\W\d_]+)*)[\"'“”‘’)\]}>».,;:!?…*-]*(?!\S)"
)
# Latin-script words have vowels, which rejects keyboard mash like "xkcdqz"; other scripts pass.
_WORDLIKE = re.compile(r"[aeiouyAEIOUY]|[^\x00-\x7f]|^.$")
# Share of non-space characters that must be letters for the text to count as prose.
_MIN_LETTER_SHARE = 0.3
# Share of whitespace-separated tokens that must look like words (base64, hex dumps fail).
_MIN_WORD_SHARE = 0.3
_MAX_WORD_CHARS = 30


def _too_long_message(length: int) -> str:
    return f"text is too long: {length:,} characters (limit {MAX_TEXT_CHARS:,})"


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise SummaryError("text must be a string")
    stripped = text.strip()
    if not stripped:
        raise SummaryError("text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise SummaryError(_too_long_message(len(text)))
    if _looks_binary(stripped):
        raise SummaryError("text looks like binary data, not prose")
    if not _has_enough_letters(stripped):
        raise SummaryError("text has no letters to summarize")
    if not _has_real_words(stripped):
        raise SummaryError("text has no real words to summarize")
    return stripped


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    return len(_BINARY.findall(sample)) > max(2, len(sample) // 200)


def _has_enough_letters(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    visible = len(sample) - len(_SPACE.findall(sample))
    return letters > 0 and letters >= _MIN_LETTER_SHARE * visible


def _has_real_words(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    words = _WORD_TOKEN.findall(sample)
    real = sum(1 for w in words if len(w) <= _MAX_WORD_CHARS and _WORDLIKE.search(w))
    return real > 0 and real >= _MIN_WORD_SHARE * len(sample.split())


def _check_algorithm(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        choices = ", ".join(ALGORITHMS)
        raise SummaryError(f"unknown algorithm {algorithm!r}; choose one of {choices}")
    return algorithm


def _check_length(sentences: int | None, ratio: float | None) -> tuple[int | None, float | None]:
    if sentences is not None and ratio is not None:
        raise SummaryError("give either a sentence count or a ratio, not both")
    if ratio is not None:
        if isinstance(ratio, bool) or not isinstance(ratio, int | float):
            raise SummaryError("ratio must be a number")
        if not 0.0 < ratio <= 1.0:  # also rejects NaN
            raise SummaryError("ratio must be greater than 0 and at most 1")
        return None, float(ratio)
    if sentences is None:
        return DEFAULT_SENTENCES, None
    if isinstance(sentences, bool) or not isinstance(sentences, int):
        raise SummaryError("sentences must be a whole number")
    if sentences < 1:
        raise SummaryError("sentences must be at least 1")
    return sentences, None


def _target_count(available: int, sentences: int | None, ratio: float | None) -> int:
    if ratio is not None:
        return max(1, round(ratio * available))
    assert sentences is not None
    return sentences


# --------------------------------------------------------------------------- language resources


def _language_name(language: object) -> str:
    """Canonical lower-case language name; ISO codes ("en", "deu") are accepted as Sumy does."""
    if not isinstance(language, str) or not language.strip():
        raise SummaryError("language must be a language name such as 'english'")
    return str(normalize_language(language.strip()))


@lru_cache(maxsize=16)
def _stemmer(language: str) -> Stemmer:
    try:
        return Stemmer(language)
    except LookupError as error:
        raise SummaryError(f"unsupported language {language!r}") from error


@lru_cache(maxsize=16)
def _stop_words(language: str) -> frozenset[str]:
    try:
        return frozenset(w.lower() for w in get_stop_words(language))
    except LookupError as error:
        raise SummaryError(f"unsupported language {language!r}") from error


class _StemCache:
    """Memoized stemming: Snowball costs ~20 µs a word, and news repeats words a lot."""

    _LIMIT = 200_000

    def __init__(self, stemmer: Stemmer) -> None:
        self._stemmer = stemmer
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            if len(self._cache) >= self._LIMIT:
                self._cache.clear()
            stem = self._cache[word] = self._stemmer(word)
        return stem


@lru_cache(maxsize=16)
def _stem_cache(language: str) -> _StemCache:
    return _StemCache(_stemmer(language))


# --------------------------------------------------------------------------- Sumy algorithms

_STIGMA_WORDS = (
    "advertisement",
    "allegedly",
    "click",
    "cookies",
    "hardly",
    "maybe",
    "perhaps",
    "reportedly",
    "rumour",
    "rumor",
    "subscribe",
)


def _content_words(document: ObjectDocumentModel, stop_words: frozenset[str]) -> list[str]:
    words = (w.lower() for s in document.sentences for w in s.words)
    return [w for w in words if w not in stop_words and len(w) > 2]


def _edmundson_bonus_words(document: ObjectDocumentModel, stop_words: frozenset[str]) -> list[str]:
    # Title words are the natural cue words; without a title, use the most frequent content
    # words, which Edmundson's key method would also favour.
    title_words = [w.lower() for h in document.headings for w in h.words]
    bonus = [w for w in title_words if w not in stop_words]
    if bonus:
        return bonus
    counts: dict[str, int] = {}
    for word in _content_words(document, stop_words):
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))[:10] or ["news"]


def _sumy_summarizer(
    algorithm: str, language: str, document: ObjectDocumentModel
) -> Callable[[ObjectDocumentModel, int], Sequence[Sentence]]:
    stemmer = _stem_cache(language)
    stop_words = _stop_words(language)
    classes = {
        "lsa": LsaSummarizer,
        "lexrank": LexRankSummarizer,
        "textrank": TextRankSummarizer,
        "luhn": LuhnSummarizer,
        "kl": KLSummarizer,
        "sumbasic": SumBasicSummarizer,
        "reduction": ReductionSummarizer,
    }
    if algorithm == "edmundson":
        edmundson = EdmundsonSummarizer(stemmer)
        edmundson.null_words = stop_words
        edmundson.stigma_words = _STIGMA_WORDS
        edmundson.bonus_words = _edmundson_bonus_words(document, stop_words)
        return edmundson
    summarizer = classes[algorithm](stemmer)
    summarizer.stop_words = stop_words
    return summarizer


def _run_sumy(
    algorithm: str, language: str, document: ObjectDocumentModel, count: int
) -> list[int]:
    sentences = document.sentences
    limit = MAX_KL_SENTENCES if algorithm == "kl" else MAX_SUMY_SENTENCES
    if len(sentences) > limit:
        raise SummaryError(
            f"text is too long for {algorithm!r}: {len(sentences):,} sentences "
            f"(limit {limit:,}); use 'default'"
        )
    summarizer = _sumy_summarizer(algorithm, language, document)
    chosen = summarizer(document, count)
    # Sumy returns the document's own Sentence objects; identity maps them back to positions
    # even when two sentences have the same text.
    position = {id(s): i for i, s in enumerate(sentences)}
    return sorted(position[id(s)] for s in chosen)


# --------------------------------------------------------------------------- default summarizer


def _features(sentences: Sequence[Sentence], language: str) -> newsrank.Features:
    # The language resources come from Sumy, so they are looked up here and handed over.
    return newsrank.features(sentences, _stem_cache(language), _stop_words(language))


def _default_ranking(document: ObjectDocumentModel, language: str, count: int) -> list[int]:
    return newsrank.rank(_features(document.sentences, language), count)


# --------------------------------------------------------------------------- public entry point


def summarize_text(
    text: str,
    *,
    algorithm: str = "default",
    sentences: int | None = None,
    ratio: float | None = None,
    language: str = "english",
    title: str | None = None,
) -> Summary:
    """Summarize *text* in ``sentences`` sentences (default 3) or a ``ratio`` of its sentences.

    Raises :class:`SummaryError` for unusable text or options.  A text with no more sentences
    than asked for is its own summary.
    """
    _check_algorithm(algorithm)
    count_option, ratio = _check_length(sentences, ratio)
    language = _language_name(language)
    _stemmer(language), _stop_words(language)  # fail early on an unsupported language
    document = _parse(_check_text(text), title)
    available = document.sentences
    if not available:
        raise SummaryError("text has no sentences to summarize")
    count = _target_count(len(available), count_option, ratio)
    params: dict[str, object] = {"sentences": count_option, "ratio": ratio, "language": language}
    if count >= len(available):
        chosen = list(range(len(available)))
    elif algorithm == "lead":
        chosen = list(range(count))
    elif algorithm == "default":
        chosen = _default_ranking(document, language, count)
    else:
        chosen = _run_sumy(algorithm, language, document, count)
    sentences_out = [str(available[i]) for i in chosen]
    if algorithm == "default":
        # Out of its article a dateline ("LONDON (CNN) -- ") is noise; the stock algorithms and
        # the Lead baseline return the article's sentences verbatim.
        sentences_out = [strip_dateline(s) for s in sentences_out]
    return Summary(tuple(sentences_out), algorithm, params)
