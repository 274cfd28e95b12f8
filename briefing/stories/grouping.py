"""Grouping articles into stories: one story per event, incrementally.

How an article finds its story (:class:`StoryIndex`):

1. Its terms (stemmed words and numbers of the title, counted twice, and of the lead) become a
   tf-idf vector; an inverted index finds the earlier articles that share terms with it.
2. Similarity is cosine, scaled down for articles published days apart (a news event spreads
   over a few days; past ``max_event_days`` two articles are never one event).
3. **Density correction** (the CSLS of Conneau et al. 2018, made for "hub" words in embedding
   spaces): each article's similarity is measured against how similar it is to its nearest
   neighbours in general.  On a day with ten stories about one election every election article
   resembles every other; what marks the same *event* is standing out from that crowd.  The
   score of a pair is ``cosine - density_weight * (r_i + r_j) / 2`` where ``r`` is an article's
   mean similarity to its ``density_neighbours`` most similar articles, at most
   ``own_story_neighbours`` of them from its own story (so that a story covered by ten outlets
   does not look dense to itself and fall apart), and never less than ``min_density`` (on a
   quiet day density says little).
4. **Local re-clustering**: the new article and the stories of its nearest neighbours are
   clustered again by average linkage on that score (merge while the mean score between two
   groups is above ``threshold``).  Only that neighbourhood is touched, never the day; it also
   repairs an early decision made when little was known (a story that turns out to be two
   events splits once more articles arrive).  Story ids survive re-clustering: each existing
   story keeps its id for the group holding most of its articles.

:func:`group_articles` is the batch form: term statistics from the whole batch first, then the
same incremental steps.  Weights were chosen on one half of the evaluation stories
(benchmarks/stories.py) and checked on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from briefing.stories.articles import ArticleId, StoryArticle
from briefing.stories.index import VectorIndex
from briefing.stories.linkage import average_linkage
from briefing.stories.terms import article_terms, language_rules
from briefing.stories.vectors import SparseVector, TermStatistics

__all__ = ["DEFAULT_GROUPING", "GroupingConfig", "Placement", "StoryIndex", "group_articles"]

StoryId = int
_UNPLACED: StoryId = 0
# Similarities below this are not kept for re-clustering (they count as 0 there): most pairs of
# a day's articles share some word, and keeping them all would cost memory for nothing.
_PAIR_FLOOR = 0.02
# Nearest articles remembered per article for its density: enough that the density neighbours
# outside its own story are among them unless the story is very large.
_KEPT_NEIGHBOURS = 32
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class GroupingConfig:
    """Weights of the grouping (see the module docstring for what each does)."""

    title_weight: float = 2.0
    lead_words: int = 150
    density_neighbours: int = 5
    density_weight: float = 1.0
    threshold: float = -0.04
    own_story_neighbours: int = 3
    min_density: float = 0.1
    neighbourhood: int = 30  # nearest articles whose stories are re-clustered with a new one
    # ...if at least this similar. 0.13, not 0.1: on a quiet day (a handful of articles) the
    # idf says little and two unrelated articles reach 0.11-0.12 on common words alone (the
    # demo's seeds merged a grocer's shares with a council budget); chosen on the tune half,
    # where it costs 0.006 F1 on 5-story days and nothing on 100- and 300-story days.
    min_similarity: float = 0.13
    same_event_days: float = 3.0  # published this close: time does not matter
    max_event_days: float = 7.0  # published this far apart: never one event


DEFAULT_GROUPING = GroupingConfig()


@dataclass(frozen=True)
class Placement:
    """Where an added article went, and every article whose story changed (it included)."""

    story: StoryId
    changed: dict[ArticleId, StoryId] = field(default_factory=dict)


class StoryIndex:
    """Articles of a time window grouped into stories, one article at a time.

    A database-backed store rebuilds one at start-up from the window's articles with their
    stored stories (``add(article, story=...)``, which records without clustering), then adds
    new articles as they arrive and writes back the ``changed`` placements.
    """

    def __init__(self, config: GroupingConfig = DEFAULT_GROUPING, *,
                 statistics: TermStatistics | None = None) -> None:
        self.config = config
        self._statistics = statistics or TermStatistics()
        self._counts_articles = statistics is None
        self._index = VectorIndex(self._statistics, reweigh=self._counts_articles)
        self._ids: list[ArticleId] = []
        self._days: list[float] = []  # published, in days since the epoch (nan: unknown)
        # Per slot, its _KEPT_NEIGHBOURS most similar articles (slot -1: none yet) and their
        # similarities, unsorted: what the density correction is computed from.
        self._near_slots = np.full((1024, _KEPT_NEIGHBOURS), -1)
        self._near_cosines = np.zeros((1024, _KEPT_NEIGHBOURS))
        # Per slot, the earlier slots it resembles (ascending) and how much (time included):
        # similarities are computed once, when the later article arrives.
        self._earlier: list[tuple[np.ndarray, np.ndarray]] = []
        self._story: list[StoryId] = []
        self._slots: dict[ArticleId, int] = {}
        self._members: dict[StoryId, set[int]] = {}
        self._next_story = 1

    def add(self, article: StoryArticle, story: StoryId | None = None) -> Placement:
        """Place *article* in a story (or record it in *story*, when restoring)."""
        if article.id in self._slots:
            raise ValueError(f"article {article.id!r} is already in the index")
        slot = len(self._ids)
        vector = self._store(article)
        slots, cosines = self._index.similar(vector)
        slots, cosines = _drop(slots, cosines, slot)
        cosines = cosines * self._time_factor(slot, slots)
        self._update_density(slot, slots, cosines)
        if story is not None:
            self._assign([slot], story)
            self._next_story = max(self._next_story, story + 1)
            return Placement(story, {article.id: story})
        return self._place(slot, slots, cosines)

    def story_of(self, article_id: ArticleId) -> StoryId:
        return self._story[self._slots[article_id]]

    def stories(self) -> dict[StoryId, list[ArticleId]]:
        """Every story with its articles, in order of arrival."""
        return {s: [self._ids[m] for m in sorted(ms)] for s, ms in sorted(self._members.items())}

    # ------------------------------------------------------------------ storing an article

    def _store(self, article: StoryArticle) -> SparseVector:
        terms = article_terms(article.title, article.text, language_rules(article.language),
                              title_weight=self.config.title_weight,
                              lead_words=self.config.lead_words)
        if self._counts_articles:
            self._statistics.count(terms)
        ids = self._statistics.ids(terms)
        vector = self._index.add(ids, np.fromiter(terms.values(), float, count=len(terms)))
        self._slots[article.id] = len(self._ids)
        self._ids.append(article.id)
        published = article.published
        self._days.append(published.timestamp() / _SECONDS_PER_DAY if published else np.nan)
        if len(self._ids) > len(self._near_slots):
            grown = np.full_like(self._near_slots, -1)
            self._near_slots = np.concatenate([self._near_slots, grown])
            self._near_cosines = np.concatenate([self._near_cosines,
                                                 np.zeros_like(self._near_cosines)])
        self._story.append(_UNPLACED)
        return vector

    def _time_factor(self, slot: int, slots: np.ndarray) -> np.ndarray:
        days = np.asarray(self._days)
        return self._closeness(np.abs(days[slots] - days[slot]))

    def _closeness(self, apart: np.ndarray) -> np.ndarray:
        """1 within ``same_event_days``, falling linearly to 0 at ``max_event_days``."""
        same, most = self.config.same_event_days, self.config.max_event_days
        factor = np.clip((most - apart) / max(most - same, 1e-9), 0.0, 1.0)
        return np.where(np.isnan(apart), 1.0, factor)

    def _update_density(self, slot: int, slots: np.ndarray, cosines: np.ndarray) -> None:
        nearest = np.argsort(-cosines, kind="stable")[:_KEPT_NEIGHBOURS]
        self._near_slots[slot, : len(nearest)] = slots[nearest]
        self._near_cosines[slot, : len(nearest)] = cosines[nearest]
        # Each earlier article's least similar kept neighbour gives way to a closer newcomer.
        rows = self._near_cosines[slots]
        lowest = np.argmin(rows, axis=1)
        better = cosines > rows[np.arange(len(slots)), lowest]
        self._near_slots[slots[better], lowest[better]] = slot
        self._near_cosines[slots[better], lowest[better]] = cosines[better]
        keep = cosines >= _PAIR_FLOOR
        self._earlier.append((slots[keep], cosines[keep]))

    def _r(self, slots: Sequence[int], own: np.ndarray) -> np.ndarray:
        """Density of each of *slots*: mean similarity to its nearest articles.

        At most ``own_story_neighbours`` of them may come from the article's own story *own*:
        otherwise a story covered by twenty outlets would look dense to itself and fall apart,
        while what should count is how close the nearest other stories come.
        """
        k = self.config.density_neighbours
        order = np.argsort(-self._near_cosines[list(slots)], axis=1, kind="stable")
        near = np.take_along_axis(self._near_slots[list(slots)], order, axis=1)
        cosines = np.take_along_axis(self._near_cosines[list(slots)], order, axis=1)
        mine = (np.asarray(self._story)[np.maximum(near, 0)] == own[:, None]) & (near >= 0)
        excess = mine & (np.cumsum(mine, axis=1) > self.config.own_story_neighbours)
        cosines = np.where(excess | (near < 0), 0.0, cosines)
        nearest: np.ndarray = -np.sort(-cosines, axis=1)[:, :k].sum(axis=1) / k
        return nearest

    # ------------------------------------------------------------------ placing it

    def _place(self, slot: int, slots: np.ndarray, cosines: np.ndarray) -> Placement:
        near = cosines >= self.config.min_similarity
        slots, cosines = slots[near], cosines[near]
        nearest = slots[np.argsort(-cosines, kind="stable")[: self.config.neighbourhood]]
        touched = sorted({self._story[s] for s in nearest.tolist()})
        group = [slot, *sorted(m for s in touched for m in self._members[s])]
        # The newcomer has no story yet: its likely one is its nearest neighbour's.
        likely = self._story[int(nearest[0])] if len(nearest) else _UNPLACED
        labels = average_linkage(self._scores(group, likely), self.config.threshold)
        changed = self._relabel(group, labels, touched)
        story = self._story[slot]
        return Placement(story, {self._ids[s]: self._story[s] for s in changed})

    def _scores(self, group: list[int], newcomer_story: StoryId) -> np.ndarray:
        cosines = self._pairwise(group)
        own = np.asarray([newcomer_story] + [self._story[s] for s in group[1:]])
        r = self._r(group, own)
        density = self.config.density_weight * (r[:, None] + r[None, :]) / 2
        # On a quiet day (or the first articles of one) density says little: a floor keeps
        # two articles that merely share a few words from counting as one event.
        above: np.ndarray = cosines - np.maximum(density, self.config.min_density)
        return above

    def _pairwise(self, group: list[int]) -> np.ndarray:
        """Stored similarities among *group* (those under the floor count as 0)."""
        members = np.asarray(group)
        order = np.argsort(members)
        ordered = members[order]
        cosines = np.zeros((len(group), len(group)))
        for row, slot in enumerate(group):
            earlier, values = self._earlier[slot]
            found = np.searchsorted(earlier, ordered)
            found = np.minimum(found, len(earlier) - 1) if len(earlier) else found
            hit = (earlier[found] == ordered) if len(earlier) else np.zeros(len(group), bool)
            cosines[row, order[hit]] = values[found[hit]]
        return np.maximum(cosines, cosines.T)

    def _relabel(self, group: list[int], labels: np.ndarray, touched: list[StoryId]) -> list[int]:
        """Give each new cluster a story id, keeping old ids where they fit; slots that moved."""
        clusters = [[group[i] for i in np.flatnonzero(labels == c)]
                    for c in range(int(labels.max()) + 1)]
        inherited = _inherited_ids(clusters, self._story)
        for old in touched:  # the clusters partition exactly the touched stories and the newcomer
            del self._members[old]
        changed: list[int] = []
        for cluster, story in zip(clusters, inherited, strict=True):
            story = story if story is not None else self._new_story()
            changed += [s for s in cluster if self._story[s] != story]
            self._assign(cluster, story)
        return changed

    def _assign(self, slots: list[int], story: StoryId) -> None:
        for slot in slots:
            self._story[slot] = story
        self._members.setdefault(story, set()).update(slots)

    def _new_story(self) -> StoryId:
        story = self._next_story
        self._next_story += 1
        return story


def _inherited_ids(clusters: list[list[int]], story_of: list[StoryId]) -> list[StoryId | None]:
    """For each cluster the old story id it keeps (None: a new story).

    Largest overlaps first, each old id to one cluster only, so a story that grows keeps its id
    and a story that splits keeps it for its larger part.
    """
    overlaps: dict[tuple[int, StoryId], int] = {}
    for index, cluster in enumerate(clusters):
        for slot in cluster:
            if story_of[slot] != _UNPLACED:
                key = (index, story_of[slot])
                overlaps[key] = overlaps.get(key, 0) + 1
    inherited: list[StoryId | None] = [None] * len(clusters)
    used: set[StoryId] = set()
    for (index, story), _ in sorted(overlaps.items(), key=lambda item: (-item[1], item[0])):
        if inherited[index] is None and story not in used:
            inherited[index] = story
            used.add(story)
    return inherited


def _drop(slots: np.ndarray, cosines: np.ndarray, slot: int) -> tuple[np.ndarray, np.ndarray]:
    keep = slots != slot
    return slots[keep], cosines[keep]


def group_articles(articles: Iterable[StoryArticle],
                   config: GroupingConfig = DEFAULT_GROUPING) -> list[StoryId]:
    """Story of each article, in input order; the stories are numbered 1, 2, ... by first article.

    Term statistics come from the whole batch before any article is placed, which is what a
    batch knows and an incremental index learns as it goes.
    """
    articles = list(articles)
    statistics = TermStatistics()
    for article in articles:
        statistics.count(article_terms(article.title, article.text,
                                       language_rules(article.language),
                                       title_weight=config.title_weight,
                                       lead_words=config.lead_words))
    index = StoryIndex(config, statistics=statistics)
    for article in articles:
        index.add(article)
    stories = [index.story_of(a.id) for a in articles]
    return _renumber(stories)


def _renumber(stories: list[StoryId]) -> list[StoryId]:
    numbers: dict[StoryId, StoryId] = {}
    return [numbers.setdefault(s, len(numbers) + 1) for s in stories]
