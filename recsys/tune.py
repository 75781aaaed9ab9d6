"""Hyper-parameter search on a validation split carved from the training data.

Two searches. :func:`search` (``encore tune``) spends a time budget on Optuna's TPE over
model family, factors, regularisation, alpha, input weighting (none, binary, log, TF-IDF,
BM25 with its k1 and b) and each family's own knobs, after scoring the defaults on the same
split; :func:`save_tuned` writes the winner where ``encore retrain`` picks it up.
:func:`tune` (``encore evaluate --tune``, ``bench/recs_quality.py``) walks a small fixed
grid per family. In both the test split is never looked at: configurations are fitted on
the validation split's training part and ranked by NDCG on its held-out part; the
winner is then refitted on the whole training matrix by the caller. The grids are
small on purpose (about three minutes on HetRec with two cores) and centred on what matters
for implicit feedback: the BM25 saturation of play counts, the factor count and
regularisation of ALS, the neighbourhood size of item-kNN.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys.errors import RecsysError, UnknownModel
from recsys.evaluate import DEFAULT_KS, ModelResult, evaluate_one
from recsys.params import (
    AlsParams,
    BprParams,
    ItemKnnParams,
    LmfParams,
    ModelParams,
    PopularityParams,
    params_dict,
    params_from_dict,
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


SEARCH_FAMILIES = ("als", "bpr", "lmf", "item-knn")
TUNED_FORMAT = 1


@dataclass(frozen=True)
class Search:
    """What a budgeted search found: the best configuration and the defaults' score on
    the same validation split, and every trial (``(params, score)``, in run order)."""

    best: ModelParams
    best_score: float
    defaults: ModelParams
    defaults_score: float
    trials: list[tuple[ModelParams, float]]
    seconds: float

    @property
    def gain(self) -> float:
        """Best over defaults on validation (1.0: no better)."""
        return self.best_score / self.defaults_score if self.defaults_score > 0 else float("inf")


def _weighting(trial: Any) -> WeightingParams:
    kind = trial.suggest_categorical("weighting", ["none", "binary", "log", "bm25", "tfidf"])
    if kind != "bm25":
        return WeightingParams(kind)
    return WeightingParams(
        "bm25", trial.suggest_float("bm25_k1", 0.5, 200.0, log=True),
        trial.suggest_float("bm25_b", 0.3, 1.0),
    )  # fmt: skip


def _suggest(trial: Any, families: Sequence[str], seed: int) -> ModelParams:
    """One configuration from the search space (define-by-run: each family its own knobs)."""
    family = trial.suggest_categorical("family", list(families))
    weighting = _weighting(trial)
    if family == "als":
        return AlsParams(
            factors=trial.suggest_categorical("als_factors", [32, 64, 128]),
            regularization=trial.suggest_float("als_regularization", 1e-3, 100.0, log=True),
            alpha=trial.suggest_float("als_alpha", 0.1, 10.0, log=True),
            weighting=weighting, seed=seed,
        )  # fmt: skip
    if family == "bpr":
        return BprParams(
            factors=trial.suggest_categorical("bpr_factors", [64, 128]),
            learning_rate=trial.suggest_float("bpr_learning_rate", 1e-3, 0.1, log=True),
            regularization=trial.suggest_float("bpr_regularization", 1e-4, 0.1, log=True),
            weighting=weighting, seed=seed,
        )  # fmt: skip
    if family == "lmf":
        return LmfParams(
            factors=trial.suggest_categorical("lmf_factors", [16, 30, 64]),
            regularization=trial.suggest_float("lmf_regularization", 0.1, 5.0, log=True),
            learning_rate=trial.suggest_float("lmf_learning_rate", 0.1, 2.0, log=True),
            weighting=weighting, seed=seed,
        )  # fmt: skip
    return ItemKnnParams(
        similarity=trial.suggest_categorical("knn_similarity", ["bm25", "cosine"]),
        neighbours=trial.suggest_int("knn_neighbours", 10, 500, log=True),
        k1=trial.suggest_float("knn_k1", 0.5, 100.0, log=True),
        b=trial.suggest_float("knn_b", 0.1, 1.0),
        weighting=weighting,
    )


def search(
    validation: Split,
    defaults: ModelParams,
    *,
    budget_seconds: float,
    families: Sequence[str] = SEARCH_FAMILIES,
    max_trials: int | None = None,
    seed: int = 0,
    k: int = 10,
    filter_already_liked: bool = True,
    on_trial: Callable[[ModelParams, float], None] | None = None,
) -> Search:
    """Optuna's TPE over ``families`` and their knobs on ``validation``, for about
    ``budget_seconds`` (a trial that has started is finished) or ``max_trials``.

    ``defaults`` is scored first, on the same split, so the gain is like for like.
    Raises :class:`~recsys.errors.UnknownModel` for a family outside the search space.
    """
    import optuna

    unknown = [f for f in families if f not in SEARCH_FAMILIES]
    if unknown or not families:
        raise UnknownModel(f"cannot search {unknown or 'no family'}; use {SEARCH_FAMILIES}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    key = f"ndcg@{k}"

    def score(params: ModelParams) -> float:
        result = evaluate_one(
            params.family, params, validation, ks=(k,), filter_already_liked=filter_already_liked
        )
        value = float(result.metrics[key])
        if on_trial is not None:
            on_trial(params, value)
        return value

    defaults_score = score(defaults)
    trials: list[tuple[ModelParams, float]] = [(defaults, defaults_score)]

    def objective(trial: Any) -> float:
        params = _suggest(trial, families, seed)
        value = score(params)
        trials.append((params, value))
        return value

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    remaining = budget_seconds - (time.perf_counter() - started)
    if remaining > 0 and (max_trials is None or max_trials > 0):
        study.optimize(objective, n_trials=max_trials, timeout=remaining, catch=(RecsysError,))
    best, best_score = max(trials, key=lambda t: t[1])
    log.info("search: %d trials, best %s %.4f (defaults %.4f)", len(trials), key, best_score,
             defaults_score)  # fmt: skip
    return Search(best, best_score, defaults, defaults_score, trials, time.perf_counter() - started)


def save_tuned(path: Path, params: ModelParams, report: dict[str, Any]) -> None:
    """Write the winning parameters where ``encore retrain`` looks (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format": TUNED_FORMAT, "params": params_dict(params), **report}
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    os.replace(staging, path)


def load_tuned(path: Path) -> ModelParams:
    """The parameters :func:`save_tuned` wrote.

    Raises
    ------
    RecsysError
        The file is missing, unreadable or holds no valid parameters.
    """
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecsysError(f"no tuned parameters at {path}: run encore tune first") from None
    except (OSError, ValueError) as exc:
        raise RecsysError(f"cannot read the tuned parameters at {path}: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("params"), dict):
        raise RecsysError(f"{path} holds no tuned parameters")
    return params_from_dict(body["params"])
