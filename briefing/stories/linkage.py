"""Average-linkage (UPGMA) clustering of a small similarity matrix, in numpy.

Grouping only ever clusters one neighbourhood at a time (an arriving article and the stories it
touches: tens of articles), so the plain O(n³) merge loop is fast enough and keeps SciPy out of
the core.
"""

from __future__ import annotations

import numpy as np

__all__ = ["average_linkage"]


def average_linkage(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster labels 0..k-1, in order of first member.

    Two clusters merge while the mean similarity between their members, over all pairs, is
    above *threshold*; the best pair merges first.
    """
    n = len(similarity)
    sim = np.array(similarity, dtype=float)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    owner = np.arange(n)
    while n > 1:
        i, j = divmod(int(np.argmax(sim)), n)
        if sim[i, j] <= threshold:
            break
        merged = (sim[i] * sizes[i] + sim[j] * sizes[j]) / (sizes[i] + sizes[j])
        sim[i], sim[:, i] = merged, merged
        sim[i, i] = -np.inf
        sim[j], sim[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        owner[owner == j] = i
    _, first, labels = np.unique(owner, return_index=True, return_inverse=True)
    # np.unique numbers clusters by owner index; renumber them by first member.
    rank = np.argsort(np.argsort(first))
    return rank[labels]
