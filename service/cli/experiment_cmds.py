"""``encore experiments create | list | stop | report``."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import IntegrityError

from models.experiments import (
    ArmSpec,
    ExperimentStatus,
    create_experiment,
    get_all_experiments,
    get_experiment,
    stop_experiment,
)
from recsys.experiments import Estimate
from service.cli.app import app, fail, load_settings, open_store
from service.experiments import experiment_report
from service.schemas.experiments import ExperimentCreate

experiments_app = typer.Typer(help="Recommendation experiments.", no_args_is_help=True)
app.add_typer(experiments_app, name="experiments")
out = Console()


def _arm(text: str) -> dict[str, object]:
    """``NAME=popular`` or ``NAME=VERSION_ID``, optionally ``:WEIGHT``."""
    name, _, rest = text.partition("=")
    source, _, weight = rest.partition(":")
    if not name or not source:
        raise fail(f"--arm {text!r}: give NAME=popular or NAME=MODEL_VERSION_ID[:WEIGHT]")
    if source != "popular" and not source.isdigit():
        raise fail(f"--arm {text!r}: {source!r} is neither 'popular' nor a model version id")
    arm: dict[str, object] = {
        "name": name,
        "model_version_id": None if source == "popular" else int(source),
    }
    if weight:
        try:
            arm["weight"] = float(weight)
        except ValueError:
            raise fail(f"--arm {text!r}: weight {weight!r} is not a number") from None
    return arm


@experiments_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="a short unique name")],
    arm: Annotated[
        list[str],
        typer.Option(help="NAME=popular|MODEL_VERSION_ID[:WEIGHT]; the first is the control"),
    ],
    traffic: Annotated[float, typer.Option(help="share of listeners enrolled, 0 to 1")] = 1.0,
) -> None:
    """Start an experiment over two or more arms."""
    try:
        body = ExperimentCreate(name=name, arms=[_arm(a) for a in arm], traffic=traffic)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "experiment"
        raise fail(f"{where}: {first['msg']}") from None
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        try:
            experiment = create_experiment(
                session, name=body.name, traffic=body.traffic,
                arms=[ArmSpec(a.name, a.model_version_id, a.weight) for a in body.arms],
            )  # fmt: skip
            session.commit()
        except IntegrityError:
            raise fail(f"an experiment named {name!r} exists") from None
        out.print(f"experiment {experiment.name} (id {experiment.id}) running on "
                  f"{100 * experiment.traffic:g}% of listeners: "
                  + ", ".join(a.name for a in experiment.arms))  # fmt: skip


@experiments_app.command("list")
def list_() -> None:
    """Every experiment and its arms."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        table = Table("id", "name", "status", "traffic", "started", "arms")
        for e in get_all_experiments(session):
            arms = ", ".join(
                f"{a.name}={a.model_version_id or 'popular'}:{a.weight:g}" for a in e.arms
            )
            table.add_row(str(e.id), e.name, e.status.value, f"{e.traffic:g}",
                          f"{e.started_at:%Y-%m-%d %H:%M}", arms)  # fmt: skip
        out.print(table)


@experiments_app.command("stop")
def stop(name: Annotated[str, typer.Argument()]) -> None:
    """Stop an experiment (its listeners go back to the active model)."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        experiment = get_experiment(session, name=name)
        if experiment is None:
            raise fail(f"no experiment named {name!r}")
        if experiment.status is ExperimentStatus.running:
            stop_experiment(session, experiment=experiment)
            session.commit()
        out.print(f"experiment {name} stopped at {experiment.stopped_at:%Y-%m-%d %H:%M} UTC")


def _est(e: Estimate, pct: bool = False) -> str:
    if e.value is None:
        return "-"
    k = 100 if pct else 1
    unit = "%" if pct else ""
    text = f"{k * e.value:.2f}{unit}"
    if e.low is not None and e.high is not None:
        text += f" [{k * e.low:.2f}, {k * e.high:.2f}]"
    if e.diff is not None:
        text += f"\nΔ {k * e.diff:+.2f}"
        if e.diff_low is not None and e.diff_high is not None:
            text += f" [{k * e.diff_low:+.2f}, {k * e.diff_high:+.2f}]"
        if e.p_value is not None:
            text += f" p={e.p_value:.2g}"
    return text


@experiments_app.command("report")
def report(
    name: Annotated[str, typer.Argument()],
    alpha: Annotated[float, typer.Option(min=0.0001, max=0.5)] = 0.05,
    min_users: Annotated[int, typer.Option(min=2)] = 100,
) -> None:
    """Each arm against the control, with confidence intervals, and the verdict."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        experiment = get_experiment(session, name=name)
        if experiment is None:
            raise fail(f"no experiment named {name!r}")
        result = experiment_report(session, experiment, alpha=alpha, min_users=min_users)
    control = result.arms[0].arm if result.arms else "-"
    title = f"{name} ({100 * (1 - alpha):g}% intervals; Δ against {control})"
    table = Table("arm", "listeners", "lists", "minutes / listener", "rec share",
                  "click-through", "skip rate", title=title, title_justify="left")  # fmt: skip
    for r in result.arms:
        table.add_row(
            r.arm, f"{r.users:,}", f"{r.lists:,}", _est(r.listening_minutes_per_user),
            _est(r.rec_share, True), _est(r.click_through, True), _est(r.skip_rate, True),
        )  # fmt: skip
    out.print(table)
    out.print(f"[bold]{result.verdict.summary}[/bold]")
