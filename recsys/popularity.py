"""The popularity baseline: every user gets the most popular items they do not know yet."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.params import PopularityParams
from recsys.recommender import Recommender, StepCallback


class Popularity(Recommender):
    """Items ranked by distinct users (or by summed confidence), the same for everyone.

    By users, the score is the user count plus the summed confidence scaled into
    [0, 0.5], so items with as many users are ordered by how much they were played.
    :meth:`similar_items` answers with the most popular items too: the baseline for
    item-to-item lists.
    """

    family = "popularity"
    params: PopularityParams

    def __init__(self, params: PopularityParams | None = None) -> None:
        super().__init__(params or PopularityParams())
        self.item_scores: npt.NDArray[np.float64] = np.zeros(0)

    def fit(self, user_items: sp.csr_matrix, *, on_step: StepCallback | None = None) -> None:
        matrix = sp.csr_matrix(user_items)
        users = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
        weight = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
        if self.params.by == "users":
            top = weight.max() if weight.size else 0.0
            self.item_scores = users + (0.5 * weight / top if top > 0 else 0.0)
        else:
            self.item_scores = weight
        self._fitted_shape(matrix)

    def _user_scores(
        self, users: npt.NDArray[np.int64], user_items: sp.csr_matrix
    ) -> npt.NDArray[np.float64]:
        return np.tile(self.item_scores, (len(users), 1))

    def _row_scores(self, user_items: sp.csr_matrix) -> npt.NDArray[np.float64]:
        return np.tile(self.item_scores, (user_items.shape[0], 1))

    def _item_scores(self, items: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.tile(self.item_scores, (len(items), 1))

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {"item_scores": self.item_scores}

    def _restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.item_scores = np.asarray(arrays["item_scores"], dtype=np.float64)
