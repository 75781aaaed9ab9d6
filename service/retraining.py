"""The training job: read the store, train and measure, write the artifact, record it.

Retraining measures the configuration against popularity, and against the active
version's configuration re-fitted on the same temporal holdout, then fits it on the
whole history, writes a versioned artifact under ``ENCORE_MODELS__DIR`` and records a
candidate version, promoted when ``--promote`` says so (see
:func:`recsys.retrain.should_promote`). Nothing is promoted before the artifact is
written and recorded, so a retrain that fails on the way leaves the active version
serving. With ``ENCORE_MODELS__KEEP=N`` the artifacts of older versions are deleted
afterwards (:func:`models.model_versions.prunable` says which).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from models import model_versions
from models.model_versions import ModelVersion
from recsys import serving
from recsys.artifacts import Artifact, write_artifact
from recsys.errors import RecsysError, UnknownModel
from recsys.params import ModelParams, params_dict, params_from_dict, params_hash
from recsys.registry import PRESETS, preset
from recsys.retrain import HOLDOUT, Phases, PromoteMode, Trained, should_promote, train
from recsys.store import read_store
from recsys.tune import load_tuned
from service import metrics
from service.settings import Settings
from service.store import Store

log = logging.getLogger(__name__)

ALIASES = {"itemknn": "item-knn", "popular": "popularity"}
CHOICES = ("auto", "tuned", "als", "bpr", "lmf", "itemknn", "popular", "encore")
TUNED_FILE = "tuned.json"


def tuned_path(settings: Settings) -> Path:
    """Where ``encore tune`` writes the winning parameters and retrain looks for them."""
    return settings.models.dir / TUNED_FILE


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


def resolve_params(name: str, settings: Settings) -> tuple[ModelParams, str]:
    """The configuration ``--model`` names, and where it came from.

    ``auto`` is the tuned configuration when ``encore tune`` has written one, else the
    ``encore`` preset; ``tuned`` insists on the tuned file; anything else is a preset
    (:func:`model_params`).

    Raises
    ------
    UnknownModel
        No preset answers to ``name``.
    RecsysError
        ``tuned`` was asked for and no readable tuned file exists.
    """
    path = tuned_path(settings)
    if name == "tuned" or (name == "auto" and path.exists()):
        return load_tuned(path), f"tuned parameters ({path})"
    if name == "auto":
        return preset("encore"), "the encore preset (no tuned parameters yet)"
    return model_params(name), f"the {ALIASES.get(name, name)} preset"


@dataclass(frozen=True)
class Rival:
    """The active version a candidate is measured against."""

    version_id: int
    params: ModelParams | None
    stored_score: float | None


@dataclass
class Outcome:
    """What one retrain did: the data read, the model, where it went, whether it serves."""

    users: int
    items: int
    nonzeros: int
    trained: Trained
    artifact: Artifact
    version_id: int
    to_beat: float | None
    against: str
    promoted: bool
    seconds: dict[str, float]
    rival: Rival | None = None
    pruned: list[int] = field(default_factory=list)
    prune_errors: list[str] = field(default_factory=list)


def _rival(version: ModelVersion | None) -> Rival | None:
    if version is None:
        return None
    value = version.metrics.get("model", {}).get("ndcg@10")
    try:
        params: ModelParams | None = params_from_dict(version.params)
    except RecsysError:  # a family this code no longer knows: only its old score is left
        params = None
    return Rival(version.id, params, None if value is None else float(value))


def _to_beat(trained: Trained, rival: Rival | None, same: bool) -> tuple[float | None, str]:
    """The score a candidate must beat, and what it is."""
    if rival is None:
        return trained.baseline_score, "popularity (no active version)"
    if same:
        return trained.baseline_score, (
            f"popularity (version {rival.version_id} is this configuration on older data)"
        )
    rescored = trained.score_of("active")
    if rescored is not None:
        return rescored, f"version {rival.version_id} re-scored on this holdout"
    return rival.stored_score, f"version {rival.version_id}'s recorded score"


def retrain(
    store: Store,
    settings: Settings,
    params: ModelParams,
    *,
    evaluate: bool,
    promote: PromoteMode,
    since: float | None = None,
    until: float | None = None,
    phases: Phases | None = None,
) -> Outcome:
    """Train ``params`` on the store, write the artifact, record (and maybe promote) it."""
    began = time.perf_counter()
    phases = phases or Phases()
    with store.sessions() as session:
        rival = _rival(model_versions.get_active(session))
    same = (
        rival is not None
        and rival.params is not None
        and (params_hash(rival.params) == params_hash(params))
    )
    with phases.phase("read"):
        interactions = read_store(store.engine, since=since, until=until)
    trained = train(
        interactions, params, holdout=HOLDOUT if evaluate else None,
        rival=None if rival is None or same else rival.params, phases=phases,
    )  # fmt: skip
    with phases.phase("write"):
        artifact = write_artifact(
            settings.models.dir.resolve(), trained.model,
            user_ids=interactions.user_ids, item_ids=interactions.item_ids,
            user_items=trained.user_items, window=trained.window, metrics=trained.metrics,
            serving=serving.from_interactions(interactions, trained.user_items),
        )  # fmt: skip
    to_beat, against = _to_beat(trained, rival, same)
    window = trained.window
    with phases.phase("record"), store.sessions() as session:
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
    outcome = Outcome(
        interactions.n_users, interactions.n_items, trained.user_items.nnz, trained,
        artifact, version.id, to_beat, against, promoted, phases.seconds, rival,
    )  # fmt: skip
    if settings.models.keep is not None:
        with phases.phase("prune"):
            outcome.pruned, outcome.prune_errors = prune(store, settings, settings.models.keep)
    metrics.RETRAIN_SECONDS.observe(time.perf_counter() - began)
    return outcome


def prune(store: Store, settings: Settings, keep: int) -> tuple[list[int], list[str]]:
    """Delete the artifacts of versions beyond the ``keep`` newest (never the active one
    or the rollback target); their rows stay, marked pruned. Returns the pruned ids and
    a message per directory that could not be removed."""
    root = settings.models.dir.resolve()
    errors: list[str] = []
    with store.sessions() as session:
        doomed = model_versions.prunable(session, keep=keep)
        ids = [v.id for v in doomed]
        paths = [Path(v.path) for v in doomed]
        model_versions.mark_pruned(session, version_ids=ids)
    for path in paths:
        if path.resolve().parent != root:  # only ever delete what this store's job wrote
            errors.append(f"{path} is not under {root}; left in place")
            continue
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            errors.append(f"cannot remove {path}: {exc.strerror}")
    if ids:
        log.info("pruned the artifacts of versions %s", ids)
    return ids, errors
