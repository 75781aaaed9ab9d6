"""``encore retrain`` and ``encore models list|promote|rollback``: the training job's CLI.

The job itself is :func:`service.retraining.retrain`; servers pick up whatever is
promoted (see :mod:`service.model_holder`); nothing here talks to a server. Progress
bars go to stderr and only on a terminal; the summary goes to stdout.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from models import model_versions
from recsys.artifacts import load_artifact
from recsys.errors import CorruptArtifact, RecsysError
from recsys.params import ModelParams, override
from recsys.retrain import DECIDING_METRIC, PROMOTE_MODES, Phases
from service.cli.app import app, fail, load_settings, open_store
from service.retraining import CHOICES, Outcome, resolve_params, retrain
from service.settings import Settings

models_app = typer.Typer(help="Trained model versions: list, promote, roll back.")
app.add_typer(models_app, name="models", no_args_is_help=True)

SHOWN = ("ndcg@10", "precision@10", "recall@10", "map@10", "coverage@10")
LABELS = {
    "read": "reading the store", "split": "splitting off the holdout",
    "evaluate": "scoring on the holdout", "matrix": "building the matrix",
    "fit": "fitting", "write": "writing the artifact", "record": "recording the version",
    "prune": "pruning old artifacts",
}  # fmt: skip


class ProgressPhases(Phases):
    """Phases shown as rich progress bars on stderr (nothing when it is not a terminal)."""

    def __init__(self) -> None:
        super().__init__()
        console = Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=console,
            disable=not console.is_terminal, transient=True,
        )  # fmt: skip
        self.tasks: dict[str, TaskID] = {}

    def begin(self, name: str, total: int | None) -> None:
        self.tasks[name] = self.progress.add_task(LABELS.get(name, name), total=total)

    def step(self, name: str) -> None:
        self.progress.advance(self.tasks[name])

    def end(self, name: str) -> None:
        self.progress.remove_task(self.tasks.pop(name))


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _metric(metrics: dict[str, Any], who: str, name: str) -> str:
    value = metrics.get(who, {}).get(name)
    return "-" if value is None else f"{value:.4f}"


def _summary(outcome: Outcome, promote: str, source: str) -> None:
    console = Console(width=None if os.isatty(1) else 120)
    t = outcome.trained
    console.print(
        f"data: {outcome.users:,} users, {outcome.items:,} items, {outcome.nonzeros:,} "
        f"non-zeros from {t.window.events:,} events, {_when(t.window.since)} to "
        f"{_when(t.window.until)}",
        highlight=False,
        soft_wrap=True,
    )
    total = sum(outcome.seconds.values())
    console.print(
        "time: " + ", ".join(f"{phase} {s:.1f} s" for phase, s in outcome.seconds.items())
        + f"; total {total:.1f} s",
        highlight=False,
        soft_wrap=True,
    )  # fmt: skip
    console.print(f"model: {t.model.family} from {source}", highlight=False, soft_wrap=True)
    if t.metrics:
        table = Table(title=f"holdout: {t.metrics['split']}", title_justify="left")
        table.add_column("model")
        for name in SHOWN:
            table.add_column(name, justify="right")
        rows = [("model", f"candidate ({t.model.family})")]
        if "active" in t.metrics and outcome.rival is not None:
            family = outcome.rival.params.family if outcome.rival.params else "?"
            rows.append(("active", f"active: version {outcome.rival.version_id} ({family})"))
        rows.append(("baseline", "popularity"))
        for who, label in rows:
            table.add_row(label, *[_metric(t.metrics, who, n) for n in SHOWN])
        console.print(table)
    else:
        console.print("holdout: skipped (--no-eval)", highlight=False, soft_wrap=True)
    beat = "-" if outcome.to_beat is None else f"{outcome.to_beat:.4f}"
    verdict = "promoted: now active" if outcome.promoted else "kept as a candidate"
    console.print(
        f"version {outcome.version_id} ({t.model.family}, {t.model.params_hash}): {verdict} "
        f"(--promote {promote}; {DECIDING_METRIC} to beat {beat}: {outcome.against})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"artifact: {outcome.artifact.path}", highlight=False, soft_wrap=True)
    if outcome.pruned:
        ids = ", ".join(str(i) for i in outcome.pruned)
        console.print(f"pruned the artifacts of versions {ids}", highlight=False, soft_wrap=True)
    for error in outcome.prune_errors:
        console.print(f"warning: {error}", highlight=False, soft_wrap=True)


def _instant(value: str | None, option: str) -> float | None:
    """A date (UTC midnight) or an ISO 8601 time with an offset, as Unix seconds."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or (parsed.tzinfo is None and len(value) > 10):
        raise fail(
            f"{option} {value!r}: give a date like 2025-01-31 or a time with an offset "
            "like 2025-01-31T12:00:00Z"
        )
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _params(name: str, settings: Settings, **values: Any) -> tuple[ModelParams, str]:
    if name not in CHOICES:
        raise fail(f"--model {name!r}: use one of {', '.join(CHOICES)}")
    try:
        params, source = resolve_params(name, settings)
        changed = override(params, **values)
    except RecsysError as exc:
        message = str(exc)
        for field in values:
            message = message.replace(field, "--" + field.replace("_", "-"))
        raise fail(message) from None
    if changed is not params:
        source += ", with " + ", ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in values.items() if v is not None
        )
    return changed, source


@app.command("retrain")
def retrain_command(
    model: Annotated[
        str, typer.Option(help="|".join(CHOICES) + "; auto: tuned parameters, else encore")
    ] = "auto",
    factors: Annotated[int | None, typer.Option(help="latent factors (als, bpr, lmf)")] = None,
    iterations: Annotated[int | None, typer.Option(help="training iterations")] = None,
    regularization: Annotated[float | None, typer.Option(help="regularisation")] = None,
    alpha: Annotated[float | None, typer.Option(help="confidence scale (als)")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="learning rate (bpr, lmf)")] = None,
    neighbours: Annotated[int | None, typer.Option(help="neighbours per item (itemknn)")] = None,
    weighting: Annotated[
        str | None, typer.Option(help="input weighting: none|binary|log|bm25|tfidf")
    ] = None,
    bm25_k1: Annotated[float | None, typer.Option(help="BM25 saturation k1")] = None,
    bm25_b: Annotated[float | None, typer.Option(help="BM25 length normalisation b")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed of the model")] = None,
    since: Annotated[
        str | None, typer.Option(help="train on events from this date or time on (UTC)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="train on events before this date or time (UTC)")
    ] = None,
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
    start, end = _instant(since, "--since"), _instant(until, "--until")
    if start is not None and end is not None and start >= end:
        raise fail(f"--since {since} is not before --until {until}")
    settings = load_settings()
    params, source = _params(
        model, settings, factors=factors, iterations=iterations,
        regularization=regularization, alpha=alpha, learning_rate=learning_rate,
        neighbours=neighbours, weighting=weighting, bm25_k1=bm25_k1, bm25_b=bm25_b, seed=seed,
    )  # fmt: skip
    with open_store(settings) as store:
        phases = ProgressPhases()
        try:
            with phases.progress:
                outcome = retrain(
                    store, settings, params, evaluate=not no_eval, promote=mode,
                    since=start, until=end, phases=phases,
                )  # fmt: skip
        except (RecsysError, OSError) as exc:
            raise fail(str(exc)) from None
    _summary(outcome, promote, source)


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
            status = v.status.value + (", pruned" if v.pruned_at is not None else "")
            table.add_row(
                str(v.id), v.created_at.strftime("%Y-%m-%d %H:%M"), v.family, status,
                _metric(v.metrics, "model", DECIDING_METRIC), f"{v.data_events:,}",
                "-" if v.pruned_at is not None else os.path.basename(v.path),
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
        if found.pruned_at is not None:
            raise fail(f"model version {version_id} was pruned: its artifact is gone")
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
