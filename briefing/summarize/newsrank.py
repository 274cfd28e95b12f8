"""The project's default news summarizer: ``algorithm="default"`` in :mod:`.summarizer`.

Each sentence is scored, then the summary is picked greedily:

1. **Directed centrality** (after PacSum, Zheng & Lapata 2019).  A news lead introduces what
   later paragraphs elaborate, so similarity to *following* sentences marks a summary sentence
   better than plain LexRank degree, and it adapts the position bias to the article.  Similarity
   to earlier sentences counts too, with a smaller weight.  Sentences are tf-idf vectors of
   stemmed content words; the sums of cosines are computed with numpy in O(n log n), without
   building the n x n matrix (see :func:`directed_centrality`).
2. **Position prior**: on top of that, a preference for early sentences (the score is divided
   by (position + 1) ** 0.7), so the summary leaves the lead only for a clearly better sentence.
3. **Demotions**: page furniture ("Scroll down for video", bylines, photo credits), sentences
   carrying quoted speech, very short sentences (datelines, "Cover star?") and overlong ones
   (captions or lists glued to prose).
4. **MMR** (maximal marginal relevance): each pick trades its score against its similarity to
   the sentences already picked, so a summary does not say the same thing twice.
5. **No dangling openings**: a pick that opens with a pronoun or connective leaning on the
   sentence before ("He said…", "But…", :mod:`briefing.summarize.openings`) comes with that
   sentence when there is room for both, and gives way to the next-best pick when there is not.

The weights live in :class:`NewsRankConfig`.

This module does not import Sumy.  :mod:`briefing.summarize.summarizer` hands it the sentences
of Sumy's document model (anything with ``words`` and ``str()``), Sumy's stemmer and Sumy's
stop words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from briefing.ingest.boilerplate import is_boilerplate, strip_dateline

__all__ = [
    "DEFAULT_CONFIG",
    "Features",
    "NewsRankConfig",
    "SentenceLike",
    "directed_centrality",
    "features",
    "rank",
]


class SentenceLike(Protocol):
    """What the ranking needs of a sentence: its words, and its text through ``str()``."""

    @property
    def words(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class NewsRankConfig:
    """Weights of the default summarizer.

    The structure and most weights were chosen by grid search on the "tune" half of the
    evaluation sets (benchmarks/quality.py); the position prior and backward weight were then
    re-chosen by 5-fold cross-validation over all of them (benchmarks/crossval.py, family
    ``prior``), which puts the out-of-fold CNN/DM margin over Lead-3 near +0.9 ROUGE-1.  The
    steps and numbers are in benchmarks/results/default-tuning.md.  The neighbourhood of these
    values is a flat ridge (a stronger prior wants more backward weight), not a knife edge.
    """

    # Weight of similarity to earlier sentences relative to later ones (see
    # directed_centrality); 0 would be purely forward-looking.
    backward_weight: float = 0.5
    # On top of the directed centrality, which already favours early sentences, a prior:
    # score is divided by (position + 1) ** power.
    position_power: float = 0.7
    short_words: int = 6  # sentences with fewer words (datelines, "Cover star?") are demoted...
    short_penalty: float = 0.2  # ...by this factor
    # Overlong "sentences" are mostly run-ons where a caption or list got glued to prose.
    long_words: int = 50
    furniture_penalty: float = 0.01
    # Summaries report; they rarely quote.  Sentences carrying quoted speech are demoted a bit
    # (this helped on both halves of the tune split for CNN/DM, and cost little on BBC).
    quote_penalty: float = 0.7
    redundancy: float = 0.6  # MMR: subtract this times the max similarity to chosen sentences
    redundancy_limit: int = 20  # beyond this many picks redundancy control is skipped (cost)
    # What to do with a pick that opens with a dangling pronoun or connective whose previous
    # sentence was not picked: "pair" takes the previous sentence too (or, without room,
    # another pick), "skip" always takes another pick, "auto" pairs when the two together
    # gain more than the next picks they displace and skips otherwise, "off" lets it dangle.
    # "auto" was best of the three on both sets' tune half (benchmarks/dangling.py).
    dangling: str = "auto"


DEFAULT_CONFIG = NewsRankConfig()

# Sentence-level furniture that shows up inside flat text, where line-wise stripping can't help.
_FURNITURE_SENTENCE = re.compile(
    r"^(scroll\s+down|read\s+more|click\s+here|pictured|photo|picture|image|video|watch)\b"
    r"|^(by|published|updated|last\s+updated)\s*[:.]"
    r"|\b(getty\s+images|ap\s+photo|reuters/|all\s+rights\s+reserved)\b",
    re.IGNORECASE,
)
# Quotation marks: double quotes anywhere, single quotes when they open or close (so the
# apostrophe in "don't" is not one).  Two or more marks mean the sentence quotes someone.
_QUOTE_MARK = re.compile(r"[\"“”]|(?:^|\s)['‘]|['’](?:\s|$)")


@dataclass
class Features:
    """Per-sentence data for the default summarizer, as flat numpy arrays (CSR-like)."""

    term_ids: np.ndarray  # term id of every (sentence, term) entry
    weights: np.ndarray  # tf-idf weight of every entry
    owners: np.ndarray  # sentence index of every entry
    starts: np.ndarray  # entries of sentence i are starts[i]:starts[i + 1]
    norms: np.ndarray  # vector length of every sentence
    word_counts: np.ndarray
    furniture: np.ndarray  # bool
    quoted: np.ndarray  # bool: the sentence carries quoted speech
    vocabulary: int
    # bool: the sentence opens with a word that needs the sentence before ("He", "But")
    dangling: np.ndarray | None = None


def features(
    sentences: Sequence[SentenceLike],
    stem: Callable[[str], str],
    stop_words: Set[str],
    opens_dangling: Callable[[str], bool] | None = None,
) -> Features:
    """Term vectors and flags of *sentences*; *stem* gets lower-cased words not in *stop_words*.

    *opens_dangling* tells sentences that lean on the one before (see
    :mod:`briefing.summarize.openings`).
    """
    vocabulary: dict[str, int] = {}
    rows: list[dict[int, int]] = []
    word_counts = np.zeros(len(sentences))
    furniture = np.zeros(len(sentences), dtype=bool)
    quoted = np.zeros(len(sentences), dtype=bool)
    for i, sentence in enumerate(sentences):
        words = sentence.words
        word_counts[i] = len(words)
        text = str(sentence)
        furniture[i] = is_boilerplate(text) or _FURNITURE_SENTENCE.search(text) is not None
        quoted[i] = len(_QUOTE_MARK.findall(text)) >= 2
        row: dict[int, int] = {}
        for word in words:
            lowered = word.lower()
            if lowered in stop_words:
                continue
            term = vocabulary.setdefault(stem(lowered), len(vocabulary))
            row[term] = row.get(term, 0) + 1
        rows.append(row)
    result = _to_arrays(rows, word_counts, furniture, quoted, len(vocabulary))
    if opens_dangling is not None:
        # The sentence as a summary shows it: a dateline ("LONDON (CNN) --") is dropped there.
        result.dangling = np.array([opens_dangling(strip_dateline(str(s))) for s in sentences],
                                   dtype=bool)
    return result


def _to_arrays(
    rows: list[dict[int, int]],
    word_counts: np.ndarray,
    furniture: np.ndarray,
    quoted: np.ndarray,
    vocabulary: int,
) -> Features:
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    term_ids = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(starts[-1]))
    counts = np.fromiter((c for r in rows for c in r.values()), dtype=float, count=len(term_ids))
    owners = np.repeat(np.arange(len(rows)), lengths)
    document_frequency = np.bincount(term_ids, minlength=vocabulary)
    idf = np.log((len(rows) + 1) / (document_frequency + 0.5))
    weights = (1.0 + np.log(counts)) * idf[term_ids] if len(term_ids) else counts
    norms = np.sqrt(np.bincount(owners, weights=weights**2, minlength=len(rows)))
    return Features(
        term_ids, weights, owners, starts, norms, word_counts, furniture, quoted, vocabulary
    )


def directed_centrality(f: Features, backward_weight: float) -> np.ndarray:
    """Similarity of each sentence to the sentences after it, plus a little to those before.

    Computed as sums of cosines without building the n x n matrix: entries are sorted by
    (term, sentence) and suffix sums within each term give every sentence the weight of that
    term in all later sentences, so the cost is O(entries log entries).
    """
    n = len(f.norms)
    if len(f.term_ids) == 0:
        return np.zeros(n)
    unit = f.weights / np.where(f.norms > 0, f.norms, 1.0)[f.owners]
    order = np.lexsort((f.owners, f.term_ids))
    terms, units, owners = f.term_ids[order], unit[order], f.owners[order]
    running = np.cumsum(units)
    group_last = np.searchsorted(terms, terms, side="right") - 1
    later = running[group_last] - running  # same term, later sentences
    forward = np.bincount(owners, weights=units * later, minlength=n)
    totals = np.bincount(f.term_ids, weights=unit, minlength=f.vocabulary)
    self_similarity = np.bincount(f.owners, weights=unit**2, minlength=n)
    overall = np.bincount(f.owners, weights=unit * totals[f.term_ids], minlength=n)
    backward = overall - self_similarity - forward
    return np.maximum(forward + backward_weight * backward, 0.0)


def _similarities(f: Features, i: int) -> np.ndarray:
    """Cosine similarity of sentence *i* with every sentence."""
    lo, hi = f.starts[i], f.starts[i + 1]
    if hi == lo or f.norms[i] == 0:
        return np.zeros(len(f.norms))
    query = np.zeros(f.vocabulary)
    query[f.term_ids[lo:hi]] = f.weights[lo:hi]
    dots = np.bincount(f.owners, weights=f.weights * query[f.term_ids], minlength=len(f.norms))
    denominator = f.norms * f.norms[i]
    cosines: np.ndarray = np.divide(dots, denominator, out=np.zeros_like(dots),
                                    where=denominator > 0)
    return cosines


def _scores(f: Features, config: NewsRankConfig) -> np.ndarray:
    positions = np.arange(len(f.norms), dtype=float)
    # The small constant keeps position meaningful for sentences sharing no term with the rest.
    scores = directed_centrality(f, config.backward_weight) + 1e-3
    scores /= (positions + 1.0) ** config.position_power
    scores *= np.minimum(1.0, config.long_words / np.maximum(f.word_counts, 1.0))
    scores[f.word_counts < config.short_words] *= config.short_penalty
    scores[f.quoted] *= config.quote_penalty
    scores[f.furniture] *= config.furniture_penalty
    return scores


def _select(f: Features, scores: np.ndarray, count: int, config: NewsRankConfig) -> list[int]:
    # Maximal marginal relevance: the next pick trades score against similarity to earlier
    # picks, so a summary does not say the same thing twice (skipped for long summaries: cost).
    mmr = count <= config.redundancy_limit and config.redundancy > 0
    scale = scores / scores.max() if scores.max() > 0 else scores
    penalty = np.zeros(len(scores))
    chosen: list[int] = []
    blocked: set[int] = set()  # dangling picks waiting for their previous sentence
    while len(chosen) < count:
        gains = scale - config.redundancy * penalty if mmr else scale.copy()
        gains[chosen] = -np.inf
        open_gains = gains.copy()
        open_gains[list(blocked)] = -np.inf
        if np.isneginf(open_gains.max()):  # only dangling sentences are left: let them be
            picks = [int(np.argmax(gains))]
        else:
            best = int(np.argmax(open_gains))
            picks = _with_antecedents(f, best, set(chosen), count - len(chosen), config,
                                      open_gains)
            if not picks:
                blocked.add(best)
                continue
        for pick in picks:
            chosen.append(pick)
            blocked.discard(pick + 1)
            if mmr:
                penalty = np.maximum(penalty, _similarities(f, pick))
    return sorted(chosen)


def _with_antecedents(f: Features, i: int, chosen: Set[int], room: int,
                      config: NewsRankConfig, gains: np.ndarray) -> list[int]:
    """*i* with the sentences it leans on, or [] when it cannot be taken now."""
    if f.dangling is None or config.dangling == "off" or not f.dangling[i] or i == 0 \
            or i - 1 in chosen:
        return [i]
    if config.dangling == "skip":
        return []
    run = [i]
    while run[0] > 0 and run[0] - 1 not in chosen and f.dangling[run[0]]:
        previous = run[0] - 1
        if f.furniture[previous]:
            return []  # a caption or byline would not give the referent
        run.insert(0, previous)
    if len(run) > room:
        return []
    if config.dangling == "auto":
        others = np.sort(np.delete(gains, run))[::-1][: len(run)]
        if gains[run].sum() < others[np.isfinite(others)].sum():
            return []
    return run


def rank(f: Features, count: int, config: NewsRankConfig = DEFAULT_CONFIG) -> list[int]:
    """Positions of the *count* sentences that make the summary, in article order."""
    return _select(f, _scores(f, config), count, config)
