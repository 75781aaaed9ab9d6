"""Known-answer fixtures for the recommender suites.

The block matrix has two communities of five users and five items; each user played
every item of their community but one (user ``u`` lacks item ``u``). A collaborative
model must recommend exactly that missing item first, and call items of the same
community similar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.params import (
    AlsParams,
    BprParams,
    ItemKnnParams,
    LmfParams,
    ModelParams,
    PopularityParams,
)
from recsys.weighting import WeightingParams

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parents[2] / "shared" / "datasets"

# Small, fast configurations of every family; all but popularity solve the block matrix.
CONTRACT_MODELS: dict[str, ModelParams] = {
    "popularity": PopularityParams(),
    "als": AlsParams(
        factors=4, iterations=20, regularization=0.1,
        weighting=WeightingParams("bm25", 1.2, 0.75), seed=1,
    ),
    "bpr": BprParams(factors=4, iterations=300, learning_rate=0.05, seed=1),
    "lmf": LmfParams(factors=4, iterations=100, seed=1),
    "item-knn-bm25": ItemKnnParams("bm25", neighbours=10),
    "item-knn-cosine": ItemKnnParams("cosine", neighbours=10),
    "item-knn-tfidf": ItemKnnParams("tfidf", neighbours=10, weighting=WeightingParams("log")),
}  # fmt: skip


def block_matrix() -> sp.csr_matrix:
    rows, cols = [], []
    for first in (0, 5):
        for user in range(5):
            for item in range(5):
                if user != item:
                    rows.append(first + user)
                    cols.append(first + item)
    weights = 1.0 + (np.arange(len(rows)) % 3)  # 1, 2, 3: not all equal
    return sp.csr_matrix((weights, (rows, cols)), shape=(10, 10), dtype=np.float32)


@pytest.fixture
def block() -> sp.csr_matrix:
    return block_matrix()
