"""``encore evaluate``: offline quality of every model on one split, next to popularity.

It reads the store (or a file, with ``--interactions``), splits, fits every model on the
training part and prints one table per cut-off. Nothing is written to the store and no
model is promoted; ``--json`` keeps the figures.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from recsys.errors import RecsysError
from recsys.evaluate import ModelResult, evaluate, evaluate_one
from recsys.interactions import Interactions
from recsys.params import ModelParams, params_dict
from recsys.registry import BASELINE, PRESETS, preset
from recsys.splits import SPLITS, Split, SplitKind, SplitSpec
from recsys.tune import Tuned, tune
from service.cli.app import app, fail
from service.cli.interactions_opts import (
    FormatOption,
    SplitOption,
    TestShareOption,
    check_source,
    choice,
    load_interactions,
)

log = logging.getLogger(__name__)

LEVELS = ("track", "artist")
COLUMNS = {
    "precision": "precision",
    "recall": "recall",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "hit rate",
    "coverage": "coverage",
    "novelty": "novelty",
}


def _cutoffs(text: str) -> list[int]:
    try:
        ks = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise fail(f"--k {text!r}: give whole numbers separated by commas, like 10,50") from None
    if not ks or min(ks) < 1:
        raise fail(f"--k {text!r}: give positive whole numbers, like 10,50")
    return sorted(set(ks))


def _models(names: list[str] | None, seed: int) -> dict[str, ModelParams]:
    chosen = list(dict.fromkeys(names or PRESETS))
    for name in chosen:
        choice(name, list(PRESETS), "--model")
    if BASELINE not in chosen:
        chosen.insert(0, BASELINE)
    return {name: preset(name, seed=seed) for name in chosen}


def _table(results: list[ModelResult], k: int, baseline: float) -> Table:
    table = Table(title=f"@{k}", title_justify="left")
    table.add_column("model")
    for label in COLUMNS.values():
        table.add_column(label, justify="right")
    table.add_column("NDCG ÷ popularity", justify="right")
    table.add_column("fit s", justify="right")
    best = max(r.metrics[f"ndcg@{k}"] for r in results)
    for r in results:
        ndcg = r.metrics[f"ndcg@{k}"]
        cells = [f"{r.metrics[f'{m}@{k}']:.4f}" for m in COLUMNS]
        cells[2] = f"[bold]{cells[2]}[/bold]" if ndcg == best else cells[2]
        ratio = f"{ndcg / baseline:.2f}" if baseline > 0 else "-"
        table.add_row(r.name, *cells, ratio, f"{r.fit_seconds:.1f}")
    return table


def _describe(interactions: Interactions, split: Split, source: str) -> list[str]:
    test_users = int((split.test.getnnz(axis=1) > 0).sum())
    return [
        f"data: {source}: {interactions.n_users:,} users, {interactions.n_items:,} items, "
        f"{len(interactions):,} interactions",
        f"split: {split.kind}, {split.description}; train {split.train.nnz:,} user-item "
        f"pairs over {split.train.shape[1]:,} items; test {split.test.nnz:,} pairs of "
        f"{test_users:,} users",
    ]


def _report(
    lines: list[str],
    spec: SplitSpec,
    ks: list[int],
    filtered: bool,
    results: list[ModelResult],
    tuned: list[Tuned],
) -> dict[str, Any]:
    return {
        "data": lines[0].removeprefix("data: "),
        "split": {**dataclasses.asdict(spec), "description": lines[1].removeprefix("split: ")},
        "ks": ks,
        "filter_already_liked": filtered,
        "models": [
            {
                "name": r.name,
                "params": params_dict(r.params),
                "params_hash": r.params_hash,
                "metrics": r.metrics,
                "fit_seconds": round(r.fit_seconds, 3),
                "recommend_seconds": round(r.recommend_seconds, 3),
            }
            for r in results
        ],
        "tuning": [
            {
                "family": t.family,
                "best": params_dict(t.best),
                "validation_ndcg": t.best_score,
                "trials": len(t.trials),
            }
            for t in tuned
        ],
    }


def _show(
    lines: list[str], filtered: bool, results: list[ModelResult], ks: list[int], tuned: list[Tuned]
) -> None:
    console = Console(width=None if os.isatty(1) else 160)
    for line in lines:
        console.print(line, highlight=False)
    console.print(
        "already-played items: "
        + ("filtered, and not counted" if filtered else "recommended, and re-plays count")
        + f"; {int(results[0].metrics['users']):,} users evaluated",
        highlight=False,
    )
    baseline = next(r for r in results if r.name == BASELINE)
    for cutoff in ks:
        console.print(_table(results, cutoff, baseline.metrics[f"ndcg@{cutoff}"]))
    for t in tuned:
        console.print(
            f"{t.family} (tuned): best of {len(t.trials)} on validation, "
            f"NDCG@{ks[0]} {t.best_score:.4f}: {params_dict(t.best)}",
            highlight=False,
        )


@app.command("evaluate")
def evaluate_command(
    interactions: Annotated[
        Path | None,
        typer.Option(help="evaluate on this file (or folder) instead of the store"),
    ] = None,
    fmt: FormatOption = "csv",
    split: SplitOption = None,
    seed: Annotated[int, typer.Option(help="seed of the random split and the models")] = 0,
    model: Annotated[
        list[str] | None,
        typer.Option(
            help=f"repeatable: {'|'.join(PRESETS)}; all by default; popularity always runs"
        ),
    ] = None,
    k: Annotated[str, typer.Option("--k", help="cut-offs, comma-separated")] = "10,50",
    test_share: TestShareOption = 0.2,
    last_n: Annotated[int, typer.Option(help="events held out per user (last-n)")] = 1,
    half_life_days: Annotated[
        float | None, typer.Option(help="recency decay of training confidence")
    ] = None,
    level: Annotated[str, typer.Option(help="track|artist (artist: aggregate by artist)")] = (
        "track"
    ),
    sessions: Annotated[
        float | None,
        typer.Option(help="treat each listening session (gaps under this many minutes) as a user"),
    ] = None,
    keep_listened: Annotated[
        bool,
        typer.Option(help="recommend already-played items too; re-plays then count as hits"),
    ] = False,
    tune_models: Annotated[
        bool,
        typer.Option(
            "--tune", help="also tune each family on a validation split carved from training"
        ),
    ] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the figures here")] = (
        None
    ),
) -> None:
    """Offline evaluation: every model against the popularity baseline, without promoting."""
    check_source(interactions, fmt, split)
    choice(level, LEVELS, "--level")
    ks = _cutoffs(k)
    models = _models(model, seed)
    try:
        data, source = load_interactions(interactions, fmt)
        if level == "artist":
            data = data.to_artists()
        if sessions is not None:
            data = data.by_session(sessions)
        kind: SplitKind = "temporal" if data.timestamps is not None else "random"
        if split is not None:
            kind = next(s for s in SPLITS if s == split)
        spec = SplitSpec(kind, test_share, seed, last_n, half_life_days)
        made = spec.apply(data)
        filtered = not keep_listened
        lines = _describe(data, made, source)
        tuned: list[Tuned] = []
        if tune_models:
            families = [
                f for f in dict.fromkeys(p.family for p in models.values()) if f != BASELINE
            ]
            tuned = tune(
                families, spec.validation(made), ks=ks, filter_already_liked=filtered, seed=seed
            )
        results = evaluate(models, made, ks=ks, filter_already_liked=filtered)
        results += [
            evaluate_one(f"{t.family} (tuned)", t.best, made, ks=ks, filter_already_liked=filtered)
            for t in tuned
        ]
    except RecsysError as exc:
        raise fail(str(exc)) from None
    _show(lines, filtered, results, ks, tuned)
    if json_path is not None:
        report = _report(lines, spec, ks, filtered, results, tuned)
        try:
            json_path.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as exc:
            raise fail(f"cannot write {json_path}: {exc.strerror}") from None
