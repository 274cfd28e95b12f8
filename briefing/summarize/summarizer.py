"""Extractive summaries of news articles, built on Sumy, that work fully offline.

The public entry point: :func:`summarize_text`, :func:`split_sentences`, :class:`Summary`,
:class:`SummaryError`, the list of algorithms and the input limits.  Everything here is pure: no
I/O, no database, no task queue.

Algorithms: every Sumy summarizer (stock settings, run here), ``"lead"`` (first sentences, a
baseline) and ``"default"``, the project's own news summarizer, which lives in
:mod:`briefing.summarize.newsrank` (directed centrality, position prior, demotions, MMR); its
sentences come without a leading dateline ("LONDON (CNN) --").

Each text is summarized in its own language: :mod:`briefing.text.language` decides which (from the
text, and from what its page or feed declares), :mod:`briefing.summarize.linguistics` supplies that
language's stemmer, stop words and tokenizer (with fallbacks for languages Sumy lacks), and the
summary's ``params`` record all three.  :mod:`briefing.text.readability` refuses garbage first.

With :mod:`briefing.summarize.linguistics`, this is the only module in the project that imports
Sumy.
:mod:`briefing.text.tokenizer` supplies the offline tokenizer Sumy's parser is given (blingfire
sentences, regex words, because Sumy's stock tokenizer needs NLTK data that is not available at
run time), and :mod:`briefing.summarize.newsrank` receives the parsed sentences, the stemmer, the
stop words and the dangling-opening test (:mod:`briefing.summarize.openings`) from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from briefing.core.config import SUMMARY_ALGORITHMS
from briefing.core.errors import InputError
from briefing.core.languages import language_code
from briefing.ingest.boilerplate import strip_dateline
from briefing.summarize import newsrank
from briefing.summarize.linguistics import LanguageKit, language_kit
from briefing.summarize.openings import opens_dangling
from briefing.text.language import GIVEN, LanguageChoice, choose_language
from briefing.text.readability import unreadable_reason
from briefing.text.tokenizer import OfflineTokenizer

__all__ = [
    "ALGORITHMS",
    "DEFAULT_SENTENCES",
    "MAX_KL_SENTENCES",
    "MAX_SUMY_SENTENCES",
    "MAX_TEXT_CHARS",
    "Summary",
    "SummaryError",
    "split_sentences",
    "summarize_text",
]
# tests/summarize/test_summarize.py also uses _parse and _features (newsrank features of parsed
# sentences, with Sumy's language resources).

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


class SummaryError(InputError):
    """The text or the options cannot be summarized; the message is meant for the user."""


@dataclass(frozen=True)
class Summary:
    """Summary sentences in article order, with the algorithm and options that produced them.

    ``params`` hold the length options and what the language was (``language``, ISO 639-1),
    where it came from (``language_source``) and which ``stemmer`` and ``stop_words`` it used.
    """

    sentences: tuple[str, ...]
    algorithm: str
    params: dict[str, object] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return str(self.params.get("language", "en"))


# --------------------------------------------------------------------------- parsing


class _ArticleParser(PlaintextParser):  # type: ignore[misc]  # Sumy ships no type hints
    """Sumy's plain-text parser without its upper-case-line-is-a-heading rule.

    In news text an all-capitals line is usually a shouted sentence ("BREAKING: ..."), not a
    heading, and dropping it would make the summary disagree with :func:`split_sentences`.
    """

    @staticmethod
    def _is_heading(line: str) -> bool:
        return False


_TOKENIZER = OfflineTokenizer()


def _parse(text: str, title: str | None = None,
           tokenizer: OfflineTokenizer = _TOKENIZER) -> ObjectDocumentModel:
    document = _ArticleParser(text, tokenizer).document
    # Sentences without a single word ("***", "12:30") are separators, not sentences.
    paragraphs = [Paragraph([s for s in p.sentences if s.words]) for p in document.paragraphs]
    if title and title.strip():
        heading = Sentence(" ".join(title.split()), tokenizer, is_heading=True)
        paragraphs.insert(0, Paragraph([heading]))
    return ObjectDocumentModel(paragraphs)


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Split article text into sentences, the same way the summarizers see it.

    *language* (ISO 639-1) picks the splitting rules; without it the text's own is detected.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise SummaryError(_too_long_message(len(text)))
    code = language_code(language) or choose_language(text).code
    return [str(s) for s in _parse(text, tokenizer=language_kit(code).tokenizer).sentences]


# --------------------------------------------------------------------------- validation

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
    reason = unreadable_reason(stripped)
    if reason is not None:
        raise SummaryError(f"text is not readable: {reason}")
    return stripped


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


# --------------------------------------------------------------------------- language


def _choose_language(text: str, language: object, declared: object,
                     fallback: object) -> LanguageChoice:
    """The language given, else the text's own (:func:`briefing.text.language.choose_language`)."""
    if language is not None:
        return LanguageChoice(_known_code(language, "language"), GIVEN)
    fallback_code = _known_code(fallback, "fallback language")
    stated = declared if isinstance(declared, str) else None
    return choose_language(text, declared=stated, fallback=fallback_code)


def _known_code(value: object, what: str) -> str:
    code = language_code(value)
    if code is None:
        raise SummaryError(f"unsupported {what} {value!r}: give an ISO 639-1 code such as "
                           "'de' or an English name such as 'german'")
    return code


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


def _stop_words(kit: LanguageKit, sentences: Sequence[Sentence]) -> frozenset[str]:
    return kit.stop_words_for([s.words for s in sentences])


def _sumy_summarizer(
    algorithm: str, kit: LanguageKit, document: ObjectDocumentModel
) -> Callable[[ObjectDocumentModel, int], Sequence[Sentence]]:
    stemmer = kit.stem
    stop_words = _stop_words(kit, document.sentences)
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
        return cast(Callable[[Any, int], Sequence[Any]], edmundson)
    summarizer = classes[algorithm](stemmer)
    summarizer.stop_words = stop_words
    return cast(Callable[[Any, int], Sequence[Any]], summarizer)


def _run_sumy(
    algorithm: str, kit: LanguageKit, document: ObjectDocumentModel, count: int
) -> list[int]:
    sentences = document.sentences
    limit = MAX_KL_SENTENCES if algorithm == "kl" else MAX_SUMY_SENTENCES
    if len(sentences) > limit:
        raise SummaryError(
            f"text is too long for {algorithm!r}: {len(sentences):,} sentences "
            f"(limit {limit:,}); use 'default'"
        )
    summarizer = _sumy_summarizer(algorithm, kit, document)
    chosen = summarizer(document, count)
    # Sumy returns the document's own Sentence objects; identity maps them back to positions
    # even when two sentences have the same text.
    position = {id(s): i for i, s in enumerate(sentences)}
    return sorted(position[id(s)] for s in chosen)


# --------------------------------------------------------------------------- default summarizer


def _features(sentences: Sequence[Sentence], language: str | LanguageKit) -> newsrank.Features:
    """newsrank's features of parsed sentences, with the language's stemmer and stop words."""
    kit = language if isinstance(language, LanguageKit) else language_kit(
        _known_code(language, "language"))
    return newsrank.features(sentences, kit.stem, _stop_words(kit, sentences),
                             lambda text: opens_dangling(text, kit.code))


def _default_ranking(document: ObjectDocumentModel, kit: LanguageKit, count: int) -> list[int]:
    return newsrank.rank(_features(document.sentences, kit), count)


# --------------------------------------------------------------------------- public entry point


def summarize_text(
    text: str,
    *,
    algorithm: str = "default",
    sentences: int | None = None,
    ratio: float | None = None,
    language: str | None = None,
    declared_language: str | None = None,
    fallback_language: str = "en",
    title: str | None = None,
) -> Summary:
    """Summarize *text* in ``sentences`` sentences (default 3) or a ``ratio`` of its sentences.

    The text is summarized in *language* when given (ISO 639-1 code or English name), else in
    its own: what its page or feed declares (*declared_language*) when the text agrees or is
    too short to tell, else what the text reads as, else *fallback_language*.

    Raises :class:`SummaryError` for unusable text or options.  A text with no more sentences
    than asked for is its own summary.
    """
    _check_algorithm(algorithm)
    count_option, ratio = _check_length(sentences, ratio)
    checked = _check_text(text)
    choice = _choose_language(checked, language, declared_language, fallback_language)
    kit = language_kit(choice.code)
    document = _parse(checked, title, kit.tokenizer)
    available = document.sentences
    if not available:
        raise SummaryError("text has no sentences to summarize")
    count = _target_count(len(available), count_option, ratio)
    params: dict[str, object] = {
        "sentences": count_option, "ratio": ratio, "language": choice.code,
        "language_source": choice.source, "stemmer": kit.stemmer_name,
        "stop_words": kit.stop_words_name,
    }
    chosen = _choose(algorithm, document, kit, count)
    sentences_out = [str(available[i]) for i in chosen]
    if algorithm == "default":
        # Out of its article a dateline ("LONDON (CNN) -- ") is noise; the stock algorithms and
        # the Lead baseline return the article's sentences verbatim.
        sentences_out = [strip_dateline(s) for s in sentences_out]
    return Summary(tuple(sentences_out), algorithm, params)


def _choose(algorithm: str, document: ObjectDocumentModel, kit: LanguageKit,
            count: int) -> list[int]:
    """Positions of the summary's sentences, in article order."""
    available = len(document.sentences)
    if count >= available:
        return list(range(available))
    if algorithm == "lead":
        return list(range(count))
    if algorithm == "default":
        return _default_ranking(document, kit, count)
    return _run_sumy(algorithm, kit, document, count)
