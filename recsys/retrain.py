"""Retraining: measure a configuration on a temporal holdout, then fit it on everything.

The holdout score is what decides promotion (:func:`should_promote`); the model that is
saved is fitted on the whole history, so it knows every listener and item the holdout
model never saw.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import scipy.sparse as sp

from recsys.artifacts import DataWindow
from recsys.evaluate import evaluate_one
from recsys.interactions import Interactions
from recsys.params import ModelParams
from recsys.recommender import Recommender, StepCallback
from recsys.registry import BASELINE, make_model, preset
from recsys.splits import SplitSpec

log = logging.getLogger(__name__)

PromoteMode = Literal["auto", "always", "never"]
PROMOTE_MODES: tuple[PromoteMode, ...] = ("auto", "always", "never")
DECIDING_METRIC = "ndcg@10"
HOLDOUT = SplitSpec("temporal", test_share=0.2)


class Phases:
    """Times the named phases of a job; subclasses show them (the CLI's progress bars).

    ``with phases.phase("fit", total=15) as step:`` times the block under "fit" and
    ``step()`` reports one of its ``total`` steps done. Times of a phase entered twice add up.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[StepCallback]:
        self.begin(name, total)
        started = time.perf_counter()
        try:
            yield lambda: self.step(name)
        finally:
            self.add(name, time.perf_counter() - started)
            self.end(name)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def begin(self, name: str, total: int | None) -> None:
        """A phase starts; ``total`` steps when known."""

    def step(self, name: str) -> None:
        """One step of the running phase is done."""

    def end(self, name: str) -> None:
        """The phase is over (also when it failed)."""


@dataclass
class Trained:
    """A model fitted on all the interactions, its holdout metrics and phase timings.

    ``metrics`` holds ``split``, ``model`` and ``baseline`` and, when a rival
    configuration (the active model's) was re-scored on the same split, ``active``.
    """

    model: Recommender
    user_items: sp.csr_matrix
    window: DataWindow
    metrics: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def score_of(self, who: str) -> float | None:
        """The deciding metric of ``model``, ``baseline`` or ``active``; None if unmeasured."""
        value = self.metrics.get(who, {}).get(DECIDING_METRIC)
        return None if value is None else float(value)

    @property
    def score(self) -> float | None:
        """The deciding metric on the holdout; None when it was not evaluated."""
        return self.score_of("model")

    @property
    def baseline_score(self) -> float | None:
        return self.score_of("baseline")


def window_of(interactions: Interactions) -> DataWindow:
    ts = interactions.timestamps
    return DataWindow(
        since=None if ts is None or not len(ts) else float(ts.min()),
        until=None if ts is None or not len(ts) else float(ts.max()),
        events=len(interactions),
        users=interactions.n_users,
        items=interactions.n_items,
    )


def train(
    interactions: Interactions,
    params: ModelParams,
    *,
    holdout: SplitSpec | None = HOLDOUT,
    rival: ModelParams | None = None,
    phases: Phases | None = None,
) -> Trained:
    """Evaluate ``params``, the popularity baseline and ``rival`` (the active model's
    configuration, when given) on one ``holdout`` split (skipped when None), then fit
    ``params`` on every interaction.

    The rival is refitted on the same training part and scored on the same test users
    as the candidate, so the two scores compare like with like; its score recorded when
    it was trained came from another window and would not.

    Raises
    ------
    SplitError
        The holdout cannot be made (no timestamps, nothing left to test).
    """
    phases = phases or Phases()
    metrics: dict[str, Any] = {}
    if holdout is not None:
        with phases.phase("split"):
            split = holdout.apply(interactions)
        contenders = {"model": params, "baseline": preset(BASELINE)}
        if rival is not None:
            contenders["active"] = rival
        metrics["split"] = split.description
        with phases.phase("evaluate", total=len(contenders)) as step:
            for who, p in contenders.items():
                metrics[who] = evaluate_one(who, p, split).metrics
                step()
    with phases.phase("matrix"):
        matrix = interactions.matrix()
    model = make_model(params)
    with phases.phase("fit", total=model.fit_steps()) as step:
        model.fit(matrix, on_step=step)
    if "weighting" in model.fit_seconds:  # the weighting ran inside the fit phase
        weighting = model.fit_seconds["weighting"]
        fit = phases.seconds.pop("fit")
        phases.add("weighting", weighting)
        phases.add("fit", fit - weighting)
    log.info("fitted %s on %d x %d", params.family, *matrix.shape)
    return Trained(model, matrix, window_of(interactions), metrics, dict(phases.seconds))


def should_promote(mode: PromoteMode, score: float | None, to_beat: float | None) -> bool:
    """Whether a candidate scoring ``score`` replaces what scores ``to_beat``.

    ``auto`` needs a measured score strictly above ``to_beat`` (the active model's
    configuration re-scored on the same holdout, or the baseline's when nothing is active
    or the active version has the candidate's very configuration); an unmeasured
    candidate is never auto-promoted.
    """
    if mode == "always":
        return True
    if mode == "never" or score is None:
        return False
    return to_beat is None or score > to_beat
