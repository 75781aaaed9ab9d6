"""Artists like an artist, from the user x artist matrix aggregated from training.

An artist's column is the sum of its items' columns of the training matrix (a
listener's confidence in all of an artist's tracks, together); artists are then compared
by cosine item-kNN over those columns (implicit's ``ItemItemRecommender``), keeping the
``k`` nearest of each. This is computed once, when an artifact is written
(:mod:`recsys.serving`), so a server only looks neighbours up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.nearest_neighbours import ItemItemRecommender, normalize

from recsys.interactions import Index

NEIGHBOURS = 50


def user_artists(user_items: sp.csr_matrix, item_artist: Index, n_artists: int) -> sp.csr_matrix:
    """The user x artist matrix: each listener's summed confidence per artist."""
    n_items = user_items.shape[1]
    to_artist = sp.csr_matrix(
        (np.ones(n_items, dtype=np.float32), (np.arange(n_items), item_artist)),
        shape=(n_items, n_artists),
    )
    return sp.csr_matrix(user_items @ to_artist, dtype=np.float32)


def similarity(
    user_items: sp.csr_matrix, item_artist: Index, n_artists: int, *, k: int = NEIGHBOURS
) -> sp.csr_matrix:
    """``(n_artists, n_artists)`` cosines of each artist to its ``k`` nearest (not itself)."""
    matrix = user_artists(user_items, item_artist, n_artists)
    knn = ItemItemRecommender(K=k + 1, num_threads=1)  # cosine: dot products of unit columns
    knn.fit(sp.csr_matrix(normalize(matrix.T).T), show_progress=False)
    sim = sp.csr_matrix(knn.similarity, dtype=np.float32)
    sim.setdiag(0)
    sim.eliminate_zeros()
    return sim


def nearest(sim: sp.csr_matrix, artist: int, n: int) -> tuple[npt.NDArray[np.int32], Any]:
    """Dense indices and cosines of the ``n`` artists nearest ``artist``, nearest first."""
    start, stop = sim.indptr[artist], sim.indptr[artist + 1]
    cols, values = sim.indices[start:stop], sim.data[start:stop]
    order = np.lexsort((cols, -values))[:n]
    return cols[order].astype(np.int32), values[order]
