"""Offline evaluation: fit each model on a split's training matrix, score its test users.

Every model goes through the same :class:`~recsys.recommender.Recommender` calls, so the
popularity baseline and the implicit models are measured identically. When
already-played items are filtered from the recommendations they are also left out of
the ground truth (a model cannot be blamed for not recommending what it was told to
hide); when they are kept, re-listening counts as a hit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from recsys.errors import SplitError
from recsys.metrics import ranking_metrics
from recsys.params import ModelParams, params_hash
from recsys.recommender import Recommender
from recsys.registry import make_model
from recsys.splits import Split

log = logging.getLogger(__name__)

DEFAULT_KS = (10, 50)


@dataclass(frozen=True)
class ModelResult:
    """One model's row of an evaluation table."""

    name: str
    params: ModelParams
    metrics: dict[str, float]
    fit_seconds: float
    recommend_seconds: float

    @property
    def params_hash(self) -> str:
        return params_hash(self.params)


def score_model(
    model: Recommender,
    split: Split,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    filter_already_liked: bool = True,
) -> dict[str, float]:
    """Metrics of a fitted ``model`` on ``split``'s test users (see :mod:`recsys.metrics`)."""
    truth = split.ground_truth(exclude_train=filter_already_liked)
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    if not len(users):
        raise SplitError(
            "no test user has a held-out item that training did not already hold"
            + (": every one was filtered as already played" if filter_already_liked else "")
        )
    ids, _ = model.recommend(
        users, split.train[users], N=max(ks), filter_already_liked=filter_already_liked
    )
    return ranking_metrics(ids, truth[users], split.train, ks)


def evaluate_one(
    name: str,
    params: ModelParams,
    split: Split,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    filter_already_liked: bool = True,
) -> ModelResult:
    """Fit a model of ``params`` on ``split.train`` and score it."""
    model = make_model(params)
    started = time.perf_counter()
    model.fit(split.train)
    fitted = time.perf_counter()
    metrics = score_model(model, split, ks=ks, filter_already_liked=filter_already_liked)
    done = time.perf_counter()
    log.info("%s: ndcg@%d %.4f", name, ks[0], metrics[f"ndcg@{ks[0]}"])
    return ModelResult(name, params, metrics, fitted - started, done - fitted)


def evaluate(
    models: Mapping[str, ModelParams],
    split: Split,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    filter_already_liked: bool = True,
) -> list[ModelResult]:
    """One :class:`ModelResult` per named model, in the order given."""
    return [
        evaluate_one(name, params, split, ks=ks, filter_already_liked=filter_already_liked)
        for name, params in models.items()
    ]
