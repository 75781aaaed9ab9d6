"""``encore retrain`` and ``encore models list|promote|rollback``: the training job's CLI.

The job itself is :func:`service.retraining.retrain`; servers pick up whatever is
promoted (see :mod:`service.model_holder`); nothing here talks to a server.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from models import model_versions
from recsys.artifacts import load_artifact
from recsys.errors import CorruptArtifact, RecsysError, UnknownModel
from recsys.params import ModelParams
from recsys.retrain import DECIDING_METRIC, PROMOTE_MODES
from service.cli.app import app, fail, load_settings, open_store
from service.retraining import CHOICES, Outcome, model_params, retrain

models_app = typer.Typer(help="Trained model versions: list, promote, roll back.")
app.add_typer(models_app, name="models", no_args_is_help=True)

SHOWN = ("ndcg@10", "precision@10", "recall@10", "map@10", "coverage@10")


def resolve_model(name: str) -> ModelParams:
    try:
        return model_params(name)
    except UnknownModel:
        raise fail(f"--model {name!r}: use one of {', '.join(CHOICES)}") from None


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _metric(metrics: dict[str, Any], who: str, name: str) -> str:
    value = metrics.get(who, {}).get(name)
    return "-" if value is None else f"{value:.4f}"


def _summary(outcome: Outcome, promote: str) -> None:
    console = Console(width=None if os.isatty(1) else 120)
    t = outcome.trained
    console.print(
        f"data: {outcome.users:,} users, {outcome.items:,} items, {outcome.nonzeros:,} "
        f"non-zeros from {t.window.events:,} events, {_when(t.window.since)} to "
        f"{_when(t.window.until)}",
        highlight=False,
    )
    console.print(
        "time: " + ", ".join(f"{phase} {s:.1f} s" for phase, s in outcome.seconds.items()),
        highlight=False,
    )
    if t.metrics:
        table = Table(title=f"holdout: {t.metrics['split']}", title_justify="left")
        table.add_column("model")
        for name in SHOWN:
            table.add_column(name, justify="right")
        for who, label in (("model", t.model.family), ("baseline", "popularity")):
            cells = [_metric(t.metrics, who, n) for n in SHOWN]
            table.add_row(label, *cells)
        console.print(table)
    else:
        console.print("holdout: skipped (--no-eval)", highlight=False)
    beat = "-" if outcome.to_beat is None else f"{outcome.to_beat:.4f}"
    verdict = "promoted: now active" if outcome.promoted else "kept as a candidate"
    console.print(
        f"version {outcome.version_id} ({t.model.family}, {t.model.params_hash}): {verdict} "
        f"(--promote {promote}; {DECIDING_METRIC} to beat {beat})",
        highlight=False,
    )
    console.print(f"artifact: {outcome.artifact.path}", highlight=False)


@app.command("retrain")
def retrain_command(
    model: Annotated[str, typer.Option(help="|".join(CHOICES))] = "encore",
    no_eval: Annotated[
        bool, typer.Option("--no-eval", help="skip the holdout (auto then never promotes)")
    ] = False,
    promote: Annotated[
        str,
        typer.Option(help="auto (NDCG@10 beats the active model or popularity)|always|never"),
    ] = "auto",
) -> None:
    """Train a model on the store, write its artifact and record a new version."""
    mode = next((m for m in PROMOTE_MODES if m == promote), None)
    if mode is None:
        raise fail(f"--promote {promote!r}: use one of {', '.join(PROMOTE_MODES)}")
    params = resolve_model(model)
    settings = load_settings()
    with open_store(settings) as store:
        try:
            outcome = retrain(store, settings, params, evaluate=not no_eval, promote=mode)
        except (RecsysError, OSError) as exc:
            raise fail(str(exc)) from None
    _summary(outcome, promote)


@models_app.command("list")
def list_command() -> None:
    """Every recorded version, newest first."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        versions = model_versions.get_all(session)
        table = Table()
        for column in ("id", "created", "family", "status", DECIDING_METRIC, "events", "path"):
            table.add_column(column, justify="right" if column in ("id", "events") else "left")
        for v in versions:
            table.add_row(
                str(v.id), v.created_at.strftime("%Y-%m-%d %H:%M"), v.family, v.status.value,
                _metric(v.metrics, "model", DECIDING_METRIC), f"{v.data_events:,}",
                os.path.basename(v.path),
            )  # fmt: skip
    Console(width=None if os.isatty(1) else 160).print(table)


@models_app.command("promote")
def promote_command(version_id: Annotated[int, typer.Argument(help="version id")]) -> None:
    """Make a version the one servers load, after checking its artifact is intact."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        found = model_versions.get(session, version_id=version_id)
        if found is None:
            raise fail(f"no model version {version_id}")
        try:
            load_artifact(found.path, checksum=found.checksum, root=settings.models.dir)
            version = model_versions.promote(session, version_id=version_id)
        except (LookupError, CorruptArtifact) as exc:
            raise fail(str(exc)) from None
        typer.echo(f"version {version.id} ({version.family}) is active")


@models_app.command("rollback")
def rollback_command() -> None:
    """Retire the active version and re-activate the one promoted before it."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        try:
            version = model_versions.rollback(session)
        except LookupError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"version {version.id} ({version.family}) is active again")
