"""``encore tune``: a budgeted hyper-parameter search whose winner ``encore retrain`` uses.

The data (the store, or a file with ``--interactions``) is split as ``encore evaluate``
splits it; the search sees only a validation split carved from the training part
(:meth:`recsys.splits.SplitSpec.validation`). The winner and the defaults (the ``encore``
preset, what retrain uses without tuning) are then scored once on the untouched test
split, for the report only. The winner is written to ``ENCORE_MODELS__DIR/tuned.json``
(or ``--output``), where ``encore retrain`` (``--model auto``, the default, or
``--model tuned``) picks it up.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from recsys.errors import RecsysError
from recsys.evaluate import evaluate_one
from recsys.params import ModelParams, params_dict
from recsys.registry import preset
from recsys.splits import SPLITS, SplitKind, SplitSpec
from recsys.tune import SEARCH_FAMILIES, Search, save_tuned, search
from service.cli.app import app, fail, load_settings
from service.cli.interactions_opts import (
    FormatOption,
    SplitOption,
    TestShareOption,
    check_source,
    load_interactions,
)
from service.retraining import tuned_path

FAMILY_NAMES = {"itemknn": "item-knn", **{f: f for f in SEARCH_FAMILIES}}


def _families(names: list[str] | None) -> list[str]:
    chosen = []
    for name in names or list(SEARCH_FAMILIES):
        if name not in FAMILY_NAMES:
            raise fail(f"--family {name!r}: use one of als, bpr, lmf, itemknn")
        chosen.append(FAMILY_NAMES[name])
    return list(dict.fromkeys(chosen))


def _describe(params: ModelParams) -> str:
    """One short line: the family and its knobs, floats to three significant digits."""
    parts = []
    for name, value in params_dict(params).items():
        if name in ("family", "seed"):
            continue
        if isinstance(value, dict):  # the input weighting
            kind = value["kind"]
            value = f"bm25(k1 {value['k1']:.3g}, b {value['b']:.3g})" if kind == "bm25" else kind
        elif isinstance(value, float):
            value = f"{value:.3g}"
        parts.append(f"{name} {value}")
    return f"{params.family}: " + ", ".join(parts)


@app.command("tune")
def tune_command(
    interactions: Annotated[
        Path | None, typer.Option(help="tune on this file (or folder) instead of the store")
    ] = None,
    fmt: FormatOption = "csv",
    split: SplitOption = None,
    budget: Annotated[float, typer.Option(help="seconds to search for (about)")] = 300.0,
    trials: Annotated[
        int | None, typer.Option(help="stop after this many trials besides the defaults")
    ] = None,
    family: Annotated[
        list[str] | None, typer.Option(help="repeatable: als|bpr|lmf|itemknn; all by default")
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the split, the sampler and models")] = 0,
    test_share: TestShareOption = 0.2,
    output: Annotated[
        Path | None, typer.Option(help="where to write the winner; ENCORE_MODELS__DIR/tuned.json")
    ] = None,
) -> None:
    """Search model family and parameters within a time budget; write the winner for retrain."""
    check_source(interactions, fmt, split)
    if budget <= 0:
        raise fail(f"--budget {budget}: give a positive number of seconds")
    if trials is not None and trials < 0:
        raise fail(f"--trials {trials}: give zero or more")
    families = _families(family)
    settings = load_settings()
    target = output or tuned_path(settings)
    console = Console(width=None if os.isatty(1) else 160)
    started = time.perf_counter()
    try:
        data, source = load_interactions(interactions, fmt)
        kind: SplitKind = "temporal" if data.timestamps is not None else "random"
        if split is not None:
            kind = next(s for s in SPLITS if s == split)
        spec = SplitSpec(kind, test_share, seed)
        made = spec.apply(data)
        validation = spec.validation(made)
        defaults = preset("encore", seed=seed)
        count = 0

        def show(params: ModelParams, score: float) -> None:
            nonlocal count
            label = "defaults" if count == 0 else f"trial {count}"
            count += 1
            elapsed = time.perf_counter() - started
            console.print(
                f"[{elapsed:5.0f} s] {label}: validation ndcg@10 {score:.4f}  {_describe(params)}",
                highlight=False,
            )

        found = search(
            validation, defaults, budget_seconds=budget, families=families,
            max_trials=trials, seed=seed, on_trial=show,
        )  # fmt: skip
        test = {
            who: evaluate_one(who, p, made, ks=(10,)).metrics["ndcg@10"]
            for who, p in (("best", found.best), ("defaults", defaults))
        }
    except RecsysError as exc:
        raise fail(str(exc)) from None
    _report(console, found, test, source, made.description)
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "split": {"kind": kind, "test_share": test_share, "seed": seed},
        "budget_seconds": budget,
        "trials": len(found.trials),
        "validation": {"best": found.best_score, "defaults": found.defaults_score},
        "test": test,
        "defaults": params_dict(defaults),
    }
    try:
        save_tuned(target, found.best, report)
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror}") from None
    console.print(
        f"wrote {target}: encore retrain uses it (--model auto, the default, or --model tuned)",
        highlight=False,
    )


def _report(
    console: Console, found: Search, test: dict[str, float], source: str, split: str
) -> None:
    console.print(
        f"data: {source}; test split: {split} (validation carved from its training part)",
        highlight=False,
    )
    console.print(
        f"{len(found.trials)} configurations in {found.seconds:.0f} s; best: "
        f"{_describe(found.best)}",
        highlight=False,
    )
    gain_test = test["best"] / test["defaults"] if test["defaults"] > 0 else float("inf")
    console.print(
        f"ndcg@10 validation: best {found.best_score:.4f} vs defaults "
        f"{found.defaults_score:.4f} ({found.gain:.2f}x); test (not used to choose): best "
        f"{test['best']:.4f} vs defaults {test['defaults']:.4f} ({gain_test:.2f}x)",
        highlight=False,
    )
