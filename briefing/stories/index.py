"""An inverted index of article vectors: who resembles a new article, without all pairs.

Postings are ``array`` buffers read by numpy without copying, so a query costs the length of
the postings of its terms, not the number of articles.  Vectors are weighed with the idf known
when they arrive; as the corpus grows the weights drift, so the index re-weighs every vector
once the corpus has grown by half since the last time (amortized linear cost).
"""

from __future__ import annotations

from array import array

import numpy as np

from briefing.stories.vectors import SparseVector, TermStatistics

__all__ = ["VectorIndex"]

_REWEIGH_GROWTH = 1.5


class VectorIndex:
    """Unit vectors of articles by slot (0, 1, 2, ... in order of arrival)."""

    def __init__(self, statistics: TermStatistics, *, reweigh: bool = True) -> None:
        self._statistics = statistics
        self._reweighs = reweigh  # False when the statistics were complete from the start
        self._raw: list[tuple[np.ndarray, np.ndarray]] = []  # term ids and log counts per slot
        self.vectors: list[SparseVector] = []
        self._postings: dict[int, tuple[array[int], array[float]]] = {}
        self._weighed_at = 0

    def __len__(self) -> int:
        return len(self.vectors)

    def add(self, ids: np.ndarray, counts: np.ndarray) -> SparseVector:
        """Store a document; returns its vector (the slot is the previous length)."""
        vector = self._statistics.weigh(ids, counts)
        self._raw.append((ids, counts))
        self._post(len(self.vectors), vector)
        self.vectors.append(vector)
        if self._reweighs and len(self.vectors) >= _REWEIGH_GROWTH * max(self._weighed_at, 16):
            self.reweigh()
        return vector

    def similar(self, vector: SparseVector) -> tuple[np.ndarray, np.ndarray]:
        """Slots sharing a term with *vector*, and their cosine similarity to it."""
        slots: list[np.ndarray] = []
        products: list[np.ndarray] = []
        for term, weight in zip(vector.ids.tolist(), vector.weights.tolist(), strict=True):
            posting = self._postings.get(term)
            if posting is not None:
                slots.append(np.frombuffer(posting[0], dtype=np.int64))
                products.append(np.frombuffer(posting[1], dtype=np.float64) * weight)
        if not slots:
            return np.zeros(0, np.int64), np.zeros(0)
        sums = np.bincount(np.concatenate(slots), weights=np.concatenate(products),
                           minlength=len(self.vectors))
        found = np.flatnonzero(sums)
        return found, sums[found]

    def reweigh(self) -> None:
        """Weigh every stored vector with today's idf and rebuild the postings."""
        self._postings = {}
        self.vectors = [self._statistics.weigh(ids, counts) for ids, counts in self._raw]
        for slot, vector in enumerate(self.vectors):
            self._post(slot, vector)
        self._weighed_at = len(self.vectors)

    def _post(self, slot: int, vector: SparseVector) -> None:
        for term, weight in zip(vector.ids.tolist(), vector.weights.tolist(), strict=True):
            posting = self._postings.get(term)
            if posting is None:
                posting = self._postings[term] = (array("q"), array("d"))
            posting[0].append(slot)
            posting[1].append(weight)
