"""Retraining: measure a configuration on a temporal holdout, then fit it on everything.

The holdout score is what decides promotion (:func:`should_promote`); the model that is
saved is fitted on the whole history, so it knows every listener and item the holdout
model never saw.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import scipy.sparse as sp

from recsys.artifacts import DataWindow
from recsys.evaluate import evaluate_one
from recsys.interactions import Interactions
from recsys.params import ModelParams
from recsys.recommender import Recommender
from recsys.registry import BASELINE, make_model, preset
from recsys.splits import SplitSpec

log = logging.getLogger(__name__)

PromoteMode = Literal["auto", "always", "never"]
PROMOTE_MODES: tuple[PromoteMode, ...] = ("auto", "always", "never")
DECIDING_METRIC = "ndcg@10"
HOLDOUT = SplitSpec("temporal", test_share=0.2)


@dataclass
class Trained:
    """A model fitted on all the interactions, its holdout metrics and phase timings."""

    model: Recommender
    user_items: sp.csr_matrix
    window: DataWindow
    metrics: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        """The deciding metric on the holdout; None when it was not evaluated."""
        value = self.metrics.get("model", {}).get(DECIDING_METRIC)
        return None if value is None else float(value)

    @property
    def baseline_score(self) -> float | None:
        value = self.metrics.get("baseline", {}).get(DECIDING_METRIC)
        return None if value is None else float(value)


def window_of(interactions: Interactions) -> DataWindow:
    ts = interactions.timestamps
    return DataWindow(
        since=None if ts is None else float(ts.min()),
        until=None if ts is None else float(ts.max()),
        events=len(interactions),
        users=interactions.n_users,
        items=interactions.n_items,
    )


def train(
    interactions: Interactions,
    params: ModelParams,
    *,
    holdout: SplitSpec | None = HOLDOUT,
) -> Trained:
    """Evaluate ``params`` and the popularity baseline on ``holdout`` (skipped when None),
    then fit ``params`` on every interaction.

    Raises
    ------
    SplitError
        The holdout cannot be made (no timestamps, nothing left to test).
    """
    seconds: dict[str, float] = {}
    metrics: dict[str, Any] = {}
    if holdout is not None:
        started = time.perf_counter()
        split = holdout.apply(interactions)
        seconds["split"] = time.perf_counter() - started
        started = time.perf_counter()
        ours = evaluate_one(params.family, params, split)
        base = evaluate_one(BASELINE, preset(BASELINE), split)
        seconds["evaluate"] = time.perf_counter() - started
        metrics = {"split": split.description, "model": ours.metrics, "baseline": base.metrics}
    started = time.perf_counter()
    matrix = interactions.matrix()
    model = make_model(params)
    model.fit(matrix)
    seconds["fit"] = time.perf_counter() - started
    log.info("fitted %s on %d x %d", params.family, *matrix.shape)
    return Trained(model, matrix, window_of(interactions), metrics, seconds)


def should_promote(mode: PromoteMode, score: float | None, to_beat: float | None) -> bool:
    """Whether a candidate scoring ``score`` replaces what scores ``to_beat``.

    ``auto`` needs a measured score strictly above ``to_beat`` (the active model's, or the
    baseline's when nothing is active); an unmeasured candidate is never auto-promoted.
    """
    if mode == "always":
        return True
    if mode == "never" or score is None:
        return False
    return to_beat is None or score > to_beat
