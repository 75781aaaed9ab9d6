"""Named model configurations and the factory that builds a model from its parameters.

``popularity``, ``als``, ``bpr``, ``lmf``, ``item-knn`` and ``item-knn-cosine`` are the
reference configurations (implicit's defaults; ALS with 64 factors, 15 iterations and
BM25-weighted input, as in the reference figures). ``encore`` is the best configuration
:mod:`recsys.tune` found on a validation split carved from the HetRec training data
(``encore evaluate --format hetrec --seed 42 --tune``; never the test split): ALS on
gently saturated BM25 weights (k1 1.2 instead of 100) with strong regularisation.
``bench/RESULTS.md`` has the search and its scores.
"""

from __future__ import annotations

import dataclasses

from recsys.errors import UnknownModel
from recsys.factorization import Als, Bpr, Lmf
from recsys.neighbours import ItemKnn
from recsys.params import (
    AlsParams,
    BprParams,
    ItemKnnParams,
    LmfParams,
    ModelParams,
    PopularityParams,
)
from recsys.popularity import Popularity
from recsys.recommender import Recommender
from recsys.weighting import WeightingParams

PRESETS: dict[str, ModelParams] = {
    "popularity": PopularityParams(),
    "als": AlsParams(factors=64, iterations=15, weighting=WeightingParams("bm25", 100.0, 0.8)),
    "bpr": BprParams(),
    "lmf": LmfParams(),
    "item-knn": ItemKnnParams(similarity="bm25"),
    "item-knn-cosine": ItemKnnParams(similarity="cosine"),
    "encore": AlsParams(
        factors=64,
        iterations=15,
        regularization=20.0,
        alpha=0.5,
        weighting=WeightingParams("bm25", 1.2, 0.75),
    ),
}
BASELINE = "popularity"


def make_model(params: ModelParams) -> Recommender:
    """An unfitted model of the family ``params`` belong to."""
    if isinstance(params, PopularityParams):
        return Popularity(params)
    if isinstance(params, AlsParams):
        return Als(params)
    if isinstance(params, BprParams):
        return Bpr(params)
    if isinstance(params, LmfParams):
        return Lmf(params)
    return ItemKnn(params)


def preset(name: str, *, seed: int | None = None) -> ModelParams:
    """The named configuration, with its random seed replaced by ``seed`` when given."""
    try:
        params = PRESETS[name]
    except KeyError:
        raise UnknownModel(f"unknown model {name!r}; known: {', '.join(PRESETS)}") from None
    if seed is not None and not isinstance(params, PopularityParams | ItemKnnParams):
        params = dataclasses.replace(params, seed=seed)
    return params
