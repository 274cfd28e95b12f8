"""Tf-idf unit vectors over a growing vocabulary, and the statistics that weigh them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SparseVector", "TermStatistics", "pairwise_cosines"]


@dataclass(frozen=True)
class SparseVector:
    """Term ids with their weights; ``weights`` has unit length (or is empty)."""

    ids: np.ndarray
    weights: np.ndarray


class TermStatistics:
    """Document frequencies of the terms seen so far, and the idf weighting they give.

    In the batch case every article is counted before any is compared, so the weights are the
    day's; in the incremental case counts grow with each article (and the index re-weighs its
    vectors now and then, see :class:`briefing.stories.index.VectorIndex`).
    """

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._frequency = np.zeros(1024)
        self.documents = 0

    def count(self, terms: dict[str, float]) -> None:
        """Count one document that holds *terms*."""
        self.documents += 1
        ids = self.ids(terms)
        if len(ids) and ids.max() >= len(self._frequency):
            grown = np.zeros(max(2 * len(self._frequency), int(ids.max()) + 1))
            grown[: len(self._frequency)] = self._frequency
            self._frequency = grown
        self._frequency[ids] += 1

    def ids(self, terms: dict[str, float]) -> np.ndarray:
        known = self._ids
        return np.fromiter((known.setdefault(t, len(known)) for t in terms), dtype=np.int64,
                           count=len(terms))

    def weigh(self, ids: np.ndarray, counts: np.ndarray) -> SparseVector:
        """Unit tf-idf vector of a document with term *ids* and (log-scaled) *counts*."""
        frequency = self._frequency[ids] if len(ids) else np.zeros(0)
        # Smoothed idf, as in most tf-idf implementations: never zero, never negative.
        idf = np.log((1.0 + self.documents) / (1.0 + frequency)) + 1.0
        weights = counts * idf
        norm = float(np.sqrt(np.dot(weights, weights)))
        return SparseVector(ids, weights / norm if norm > 0 else weights)


def pairwise_cosines(vectors: list[SparseVector]) -> np.ndarray:
    """Cosine similarity of every pair of a few unit vectors, as a dense matrix."""
    all_ids = np.concatenate([v.ids for v in vectors]) if vectors else np.zeros(0, np.int64)
    columns, inverse = np.unique(all_ids, return_inverse=True)
    dense = np.zeros((len(vectors), len(columns)))
    start = 0
    for row, vector in enumerate(vectors):
        stop = start + len(vector.ids)
        dense[row, inverse[start:stop]] = vector.weights
        start = stop
    return dense @ dense.T
