"""The training job: read the store, train and measure, write the artifact, record it.

Retraining measures the configuration against popularity on a temporal holdout, fits it
on the whole history, writes a versioned artifact under ``ENCORE_MODELS__DIR`` and
records a candidate version, promoted when ``--promote`` says so (see
:func:`recsys.retrain.should_promote`). Old versions and their artifacts are kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from models import model_versions
from models.model_versions import ModelVersion
from recsys import serving
from recsys.artifacts import Artifact, write_artifact
from recsys.errors import UnknownModel
from recsys.params import ModelParams, params_dict
from recsys.registry import PRESETS, preset
from recsys.retrain import DECIDING_METRIC, HOLDOUT, PromoteMode, Trained, should_promote, train
from recsys.store import read_store
from service.settings import Settings
from service.store import Store

ALIASES = {"itemknn": "item-knn", "popular": "popularity"}
CHOICES = ("als", "bpr", "lmf", "itemknn", "popular", "encore")


def model_params(name: str) -> ModelParams:
    """The preset a model name names (``itemknn`` and ``popular`` are aliases).

    Raises
    ------
    UnknownModel
        No preset answers to ``name``.
    """
    key = ALIASES.get(name, name)
    if key not in PRESETS:
        raise UnknownModel(f"unknown model {name!r}; use one of {', '.join(CHOICES)}")
    return preset(key)


@dataclass(frozen=True)
class Outcome:
    """What one retrain did: the data read, the model, where it went, whether it serves."""

    users: int
    items: int
    nonzeros: int
    trained: Trained
    artifact: Artifact
    version_id: int
    to_beat: float | None
    promoted: bool
    seconds: dict[str, float]


def _score(version: ModelVersion | None) -> float | None:
    if version is None:
        return None
    value = version.metrics.get("model", {}).get(DECIDING_METRIC)
    return None if value is None else float(value)


def retrain(
    store: Store,
    settings: Settings,
    params: ModelParams,
    *,
    evaluate: bool,
    promote: PromoteMode,
) -> Outcome:
    """Train ``params`` on the store, write the artifact, record (and maybe promote) it."""
    started = time.perf_counter()
    interactions = read_store(store.engine)
    read_seconds = time.perf_counter() - started
    trained = train(interactions, params, holdout=HOLDOUT if evaluate else None)
    started = time.perf_counter()
    artifact = write_artifact(
        settings.models.dir.resolve(), trained.model,
        user_ids=interactions.user_ids, item_ids=interactions.item_ids,
        user_items=trained.user_items, window=trained.window, metrics=trained.metrics,
        serving=serving.from_interactions(interactions, trained.user_items),
    )  # fmt: skip
    write_seconds = time.perf_counter() - started
    window = trained.window
    with store.sessions() as session:
        active = model_versions.get_active(session)
        to_beat = _score(active)
        if to_beat is None:
            to_beat = trained.baseline_score
        version = model_versions.create(
            session, family=params.family, params=params_dict(params),
            params_hash=trained.model.params_hash, data_since=window.since,
            data_until=window.until, data_events=window.events, data_users=window.users,
            data_items=window.items, metrics=trained.metrics, checksum=artifact.checksum,
            path=str(artifact.path),
        )  # fmt: skip
        promoted = should_promote(promote, trained.score, to_beat)
        if promoted:
            model_versions.promote(session, version_id=version.id)
    seconds = {"read": read_seconds, **trained.seconds, "write": write_seconds}
    return Outcome(
        interactions.n_users, interactions.n_items, trained.user_items.nnz, trained,
        artifact, version.id, to_beat, promoted, seconds,
    )  # fmt: skip
