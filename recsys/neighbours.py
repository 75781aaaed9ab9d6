"""Item-item nearest neighbours: a thin wrapper over implicit's BM25, cosine and TF-IDF kNN."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight, normalize, tfidf_weight

from recsys.params import ItemKnnParams
from recsys.recommender import Recommender, StepCallback
from recsys.weighting import Weighting


class ItemKnn(Recommender):
    """Each item keeps its ``neighbours`` most similar items; a user's score for an item is
    the sum of its similarities to the items the user played, weighted by the user's
    (re-weighted) confidence in them, as in implicit. Items that are no neighbour of
    anything the user played are not candidates.
    """

    family = "item-knn"
    params: ItemKnnParams

    def __init__(self, params: ItemKnnParams | None = None, num_threads: int = 0) -> None:
        super().__init__(params or ItemKnnParams())
        self.num_threads = num_threads
        self.weighting = Weighting(self.params.weighting)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float64)

    def fit(self, user_items: sp.csr_matrix, *, on_step: StepCallback | None = None) -> None:
        started = time.perf_counter()
        weighted = self.weighting.fit_transform(sp.csr_matrix(user_items))
        weighted_at = time.perf_counter()
        p = self.params
        # The item-side weighting of implicit's BM25, Cosine and TFIDF recommenders, handed
        # over as CSR (they would pass COO and warn about it).
        item_users = weighted.T
        if p.similarity == "bm25":
            item_users = bm25_weight(item_users, p.k1, p.b)
        elif p.similarity == "tfidf":
            item_users = normalize(tfidf_weight(item_users))
        else:
            item_users = normalize(item_users)
        inner = ItemItemRecommender(K=p.neighbours, num_threads=self.num_threads)
        inner.fit(sp.csr_matrix(item_users.T), show_progress=False)
        self.similarity = sp.csr_matrix(inner.similarity, dtype=np.float64)
        self._fitted_shape(weighted)
        self.fit_seconds = {
            "weighting": weighted_at - started, "fit": time.perf_counter() - weighted_at
        }  # fmt: skip

    def _dense(self, sparse: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Stored entries as values, everything else -inf (not a candidate)."""
        coo = sparse.tocoo()
        dense = np.full(coo.shape, -np.inf)
        dense[coo.row, coo.col] = coo.data
        return dense

    def _user_scores(
        self, users: npt.NDArray[np.int64], user_items: sp.csr_matrix
    ) -> npt.NDArray[np.float64]:
        weighted = sp.csr_matrix(self.weighting.transform(user_items), dtype=np.float64)
        return self._dense(weighted @ self.similarity)

    def _row_scores(self, user_items: sp.csr_matrix) -> npt.NDArray[np.float64]:
        return self._user_scores(np.zeros(0, dtype=np.int64), user_items)

    def _item_scores(self, items: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return self._dense(self.similarity[items])

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        s = self.similarity
        return {
            "similarity_data": s.data,
            "similarity_indices": s.indices,
            "similarity_indptr": s.indptr,
            **self.weighting.state(),
        }

    def _restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.similarity = sp.csr_matrix(
            (arrays["similarity_data"], arrays["similarity_indices"], arrays["similarity_indptr"]),
            shape=(self.n_items, self.n_items),
        )
        self.weighting.restore(arrays)
