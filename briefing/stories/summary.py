"""A story's summary: a few sentences from all its articles, what the outlets agree on.

Every sentence of every article is a candidate (split with the project's sentence splitter,
:mod:`briefing.text.tokenizer`; datelines dropped).  Terms are stemmed content words weighted
by tf-idf, the idf counted over the story's own sentences plus a floor (0.5), so the names
every outlet repeats still count.  A sentence scores by

* **agreement**: its mean tf-idf cosine with each *other* outlet's article, every outlet counted
  once, so a point made by most outlets beats one outlet's own angle (an opinion piece's
  sentences agree with nobody), plus 0.2 times the share of its terms the other outlets use;
* **headlines**: half its cosine with all the story's titles together, which say in a few words
  what the event is;
* **position**: divided by ``1 + 0.3 * position`` in its article (news leads say what happened);
* demotions, as in the article summarizer: under six words, over fifty, quoted speech;
  :attr:`SummaryConfig.dangling_penalty` can demote sentences opening on a word that needs the
  sentence before (:mod:`briefing.summarize.openings`); off, as on tune it moved ROUGE < 0.05.

Sentences are picked greedily, each trading its score against its similarity to those already
picked (maximal marginal relevance), so no two sentences say the same thing.  Picking stops at
*sentences*, or earlier once the summary has a **word budget**: 1.5 times the words of the
story's average article, at most 80, so a story its outlets tell in two sentences is not padded
to three and a story of long articles stops at a paragraph.  A story of one article keeps that
article's own summary when it has one.

The weights were chosen on the ``tune`` half of AllSides' neutral story summaries (ROUGE, see
``benchmarks/story_summaries.py``; ``--sweep`` moves one knob at a time around them) and only
then checked on the ``confirm`` half.  The budget is what moved the score (the references are
about as long as the story's articles: r = 0.48 on tune); the idf floor and the shared-terms
share added about 0.2 ROUGE-1; the other knobs sit on a plateau within 0.1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.core.languages import language_code
from briefing.ingest.boilerplate import strip_dateline
from briefing.stories.articles import ArticleId, StoryArticle
from briefing.stories.terms import LanguageRules, language_rules
from briefing.summarize.openings import opens_dangling
from briefing.text.tokenizer import split_paragraph, split_words

__all__ = ["DEFAULT_SUMMARY", "Source", "StorySummary", "SummaryConfig", "headline_index",
           "summarize_story"]

_PARAGRAPH_BREAK = re.compile(r"\n\s*")
# Two or more quotation marks mean the sentence quotes someone (as in briefing.summarize.newsrank).
_QUOTE_MARK = re.compile(r"[\"“”]|(?:^|\s)['‘]|['’](?:\s|$)")

Vector = dict[str, float]


@dataclass(frozen=True)
class SummaryConfig:
    headline_weight: float = 0.5
    position_discount: float = 0.3
    short_words: int = 6
    short_penalty: float = 0.2
    long_words: int = 50
    quote_penalty: float = 0.8
    redundancy: float = 0.6
    # A sentence this similar (tf-idf cosine) to one already picked says the same thing: it
    # is not picked at all, whatever its score (MMR alone only discounts it).
    max_overlap: float = 0.5
    # Sentences opening on "He", "But", "This"… need the one before them.
    dangling_penalty: float = 1.0
    # Added to every term's idf: with a story's few sentences, the words nearly all of them
    # share (who and what the story is about) would otherwise count for almost nothing.
    idf_floor: float = 0.5
    # Weight of the share of a sentence's terms that the other outlets also use.
    shared_weight: float = 0.2
    # Stop adding sentences once the summary has `budget_ratio` times the words of the story's
    # average article, or `word_budget` words if fewer (0 turns either off): a story told in
    # a few words gets a short summary, and a long article's sentences stop at a paragraph.
    word_budget: int = 80
    budget_ratio: float = 1.5


DEFAULT_SUMMARY = SummaryConfig()


@dataclass(frozen=True)
class Source:
    """One outlet's article in a story ("Also covered by")."""

    article: ArticleId
    source: str | None
    title: str
    url: str | None


@dataclass(frozen=True)
class StorySummary:
    sentences: tuple[str, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class _Candidate:
    article: int
    position: int
    text: str
    vector: Vector


def summarize_story(articles: Sequence[StoryArticle], sentences: int = 3,
                    config: SummaryConfig = DEFAULT_SUMMARY) -> StorySummary:
    """Summary of the story made of *articles*, with one source per article."""
    sources = tuple(Source(a.id, a.source, a.title, a.url) for a in articles)
    if len(articles) == 1 and articles[0].summary:
        return StorySummary(tuple(articles[0].summary[:sentences]), sources)
    return StorySummary(tuple(_pick(articles, sentences, config)), sources)


def headline_index(articles: Sequence[StoryArticle]) -> int:
    """Which article's title names the story: the one sharing most words with the other
    titles (what most outlets call the event), the earliest listed on a tie."""
    if len(articles) < 2:
        return 0
    rules = language_rules(articles[0].language)
    words = [set(_counts(a.title, rules)) for a in articles]
    def agreement(i: int) -> float:
        return sum(len(words[i] & other) / (len(words[i] | other) or 1)
                   for j, other in enumerate(words) if j != i)
    return max(range(len(articles)), key=lambda i: (agreement(i), -i))


def _pick(articles: Sequence[StoryArticle], count: int, config: SummaryConfig) -> list[str]:
    rules = language_rules(articles[0].language) if articles else language_rules()
    candidates = _candidates(articles, rules)
    if not candidates:
        return []
    idf = _idf([c.vector for c in candidates], config.idf_floor)
    for candidate in candidates:
        _weigh(candidate.vector, idf)
    outlets = [_centroid([c.vector for c in candidates if c.article == a], idf)
               for a in range(len(articles))]
    headlines = _weigh(_counts(" ".join(a.title for a in articles), rules), idf)
    code = language_code(articles[0].language) or ""
    scores = [_score(c, outlets, headlines, config) * _opening(c, code, config)
              for c in candidates]
    budget = _budget(candidates, len(articles), config)
    return [candidates[i].text for i in _select(candidates, scores, count, budget, config)]


def _budget(candidates: list[_Candidate], articles: int, config: SummaryConfig) -> float:
    """Words the summary may stop at: the ratio times an average article, capped (0: none)."""
    typical = config.budget_ratio * sum(len(split_words(c.text)) for c in candidates) / articles
    if not config.word_budget:
        return typical
    return min(typical, config.word_budget) if typical else config.word_budget


def _opening(candidate: _Candidate, language: str, config: SummaryConfig) -> float:
    # An article's first sentence cannot lean on an earlier one, whatever its first word.
    if candidate.position > 0 and opens_dangling(candidate.text, language):
        return config.dangling_penalty
    return 1.0


def _candidates(articles: Sequence[StoryArticle], rules: LanguageRules) -> list[_Candidate]:
    found = []
    for index, article in enumerate(articles):
        sentences = [strip_dateline(s) for p in _PARAGRAPH_BREAK.split(article.text)
                     for s in split_paragraph(p)]
        for position, sentence in enumerate(sentences):
            vector = _counts(sentence, rules)
            if vector:
                found.append(_Candidate(index, position, sentence, vector))
    return found


def _counts(text: str, rules: LanguageRules) -> Vector:
    counts: Vector = {}
    for word in split_words(text):
        lowered = word.lower()
        if lowered not in rules.stop_words:
            term = rules.stem(lowered)
            counts[term] = counts.get(term, 0.0) + 1.0
    return counts


def _idf(vectors: list[Vector], floor: float) -> dict[str, float]:
    """Sentence-level idf within the story: words every sentence repeats carry little."""
    frequency: dict[str, int] = {}
    for vector in vectors:
        for term in vector:
            frequency[term] = frequency.get(term, 0) + 1
    total = len(vectors) + 1
    return {term: floor + math.log(total / (count + 0.5)) for term, count in frequency.items()}


def _weigh(counts: Vector, idf: dict[str, float]) -> Vector:
    """Turn *counts* into a unit tf-idf vector, in place; terms unknown to *idf* get the most."""
    top = math.log(len(idf) + 2.0)
    for term, count in counts.items():
        counts[term] = (1.0 + math.log(count)) * idf.get(term, top)
    norm = math.sqrt(sum(w * w for w in counts.values()))
    for term in counts:
        counts[term] = counts[term] / norm if norm > 0 else 0.0
    return counts


def _centroid(vectors: list[Vector], idf: dict[str, float]) -> Vector:
    total: Vector = {}
    for vector in vectors:
        for term, weight in vector.items():
            total[term] = total.get(term, 0.0) + weight
    norm = math.sqrt(sum(w * w for w in total.values()))
    return {t: w / norm for t, w in total.items()} if norm > 0 else {}


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _score(candidate: _Candidate, outlets: list[Vector], headlines: Vector,
           config: SummaryConfig) -> float:
    others = [_cosine(candidate.vector, o) for i, o in enumerate(outlets)
              if i != candidate.article and o]
    # A story of one article has no other outlet: its sentences are judged by their own one.
    agreement = sum(others) / len(others) if others else _cosine(
        candidate.vector, outlets[candidate.article])
    agreement += config.shared_weight * _shared(candidate, outlets)
    score = agreement + config.headline_weight * _cosine(candidate.vector, headlines)
    score /= 1.0 + config.position_discount * candidate.position
    return score * _demotion(candidate.text, config)


def _shared(candidate: _Candidate, outlets: list[Vector]) -> float:
    """Mean share of the sentence's terms found in each other outlet's article: unlike the
    cosine, a word every outlet uses counts as much as a rare one."""
    shares = [sum(1 for t in candidate.vector if t in o) / len(candidate.vector)
              for i, o in enumerate(outlets) if i != candidate.article and o]
    return sum(shares) / len(shares) if shares else 0.0


def _demotion(sentence: str, config: SummaryConfig) -> float:
    words = len(split_words(sentence))
    factor = config.short_penalty if words < config.short_words else 1.0
    factor *= min(1.0, config.long_words / max(words, 1))
    return factor * (config.quote_penalty if len(_QUOTE_MARK.findall(sentence)) >= 2 else 1.0)


def _select(candidates: list[_Candidate], scores: list[float], count: int, budget: float,
            config: SummaryConfig) -> list[int]:
    """Maximal marginal relevance: score (scaled to the best) minus similarity to the picks,
    until *count* sentences or *budget* words (0: no budget), the last pick may run over."""
    best = max(scores) or 1.0
    chosen: list[int] = []
    closest = [0.0] * len(candidates)
    words = 0
    while len(chosen) < min(count, len(candidates)) and not (budget and words >= budget):
        gains = [(s / best - config.redundancy * closest[i], -i) for i, s in enumerate(scores)
                 if i not in chosen and closest[i] <= config.max_overlap]
        if not gains:
            break
        pick = -max(gains)[1]
        chosen.append(pick)
        words += len(split_words(candidates[pick].text))
        closest = [max(c, _cosine(candidates[i].vector, candidates[pick].vector))
                   for i, c in enumerate(closest)]
    return chosen
