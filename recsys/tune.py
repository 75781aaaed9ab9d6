"""Hyper-parameter search on a validation split carved from the training data.

The test split is never looked at: each family's grid is fitted on the validation
split's training part and ranked by NDCG at the first cut-off on its held-out part;
the winner is then refitted on the whole training matrix by the caller. The grids are
small on purpose (about three minutes on HetRec with two cores) and centred on what matters
for implicit feedback: the BM25 saturation of play counts, the factor count and
regularisation of ALS, the neighbourhood size of item-kNN.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from recsys.errors import UnknownModel
from recsys.evaluate import DEFAULT_KS, ModelResult, evaluate_one
from recsys.params import (
    AlsParams,
    BprParams,
    ItemKnnParams,
    LmfParams,
    ModelParams,
    PopularityParams,
)
from recsys.splits import Split
from recsys.weighting import WeightingKind, WeightingParams

log = logging.getLogger(__name__)

BM25_SHAPES = [(100.0, 0.8), (3.0, 0.9), (1.2, 0.75)]
WEIGHT_KINDS: tuple[WeightingKind, ...] = ("none", "binary")


def _grids(seed: int) -> dict[str, list[ModelParams]]:
    bm25 = [WeightingParams("bm25", k1, b) for k1, b in BM25_SHAPES]
    return {
        "popularity": [PopularityParams("users"), PopularityParams("weight")],
        "als": [
            AlsParams(factors=f, regularization=r, alpha=a, weighting=w, seed=seed)
            for w, f, r, a in itertools.product(bm25, (32, 64, 128), (0.01, 1.0, 20.0), (0.5, 1.0))
        ],
        "bpr": [
            BprParams(factors=f, learning_rate=lr, regularization=r, seed=seed)
            for f, lr, r in itertools.product((64, 128), (0.005, 0.01), (0.001, 0.01))
        ],
        "lmf": [
            LmfParams(weighting=WeightingParams(w), iterations=i, regularization=r, seed=seed)
            for w, i, r in itertools.product(WEIGHT_KINDS, (30, 100), (0.6, 1.5))
        ],
        "item-knn": [
            ItemKnnParams(similarity="bm25", neighbours=n, k1=k1, b=b, weighting=w)
            for w, n, (k1, b) in itertools.product(
                (WeightingParams(), WeightingParams("bm25")),
                (20, 50, 200),
                ((1.2, 0.75), (10.0, 0.9), (100.0, 0.25)),
            )
        ],
    }


@dataclass(frozen=True)
class Tuned:
    """A family's best configuration on validation, and every trial that led to it."""

    family: str
    best: ModelParams
    trials: list[ModelResult]

    @property
    def best_score(self) -> float:
        return max(t.metrics[_key(self.trials)] for t in self.trials)


def _key(trials: Sequence[ModelResult]) -> str:
    return next(k for k in trials[0].metrics if k.startswith("ndcg@"))


def tune(
    families: Sequence[str],
    validation: Split,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    filter_already_liked: bool = True,
    seed: int = 0,
) -> list[Tuned]:
    """Search each family's grid on ``validation``; one :class:`Tuned` per family."""
    grids = _grids(seed)
    unknown = [f for f in families if f not in grids]
    if unknown:
        raise UnknownModel(f"no search grid for {unknown}; known: {sorted(grids)}")
    key = f"ndcg@{ks[0]}"
    out = []
    for family in families:
        trials = [
            evaluate_one(
                f"{family} #{i}",
                params,
                validation,
                ks=ks,
                filter_already_liked=filter_already_liked,
            )
            for i, params in enumerate(grids[family])
        ]
        best = max(trials, key=lambda t: t.metrics[key])
        log.info("%s: best validation %s %.4f with %s", family, key, best.metrics[key], best.params)
        out.append(Tuned(family, best.params, trials))
    return out
