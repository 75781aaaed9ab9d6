"""Recommendation quality on the real datasets: the protocols behind bench/RESULTS.md.

    .venv/bin/python bench/recs_quality.py [--datasets ../shared/datasets] [--tune]

1. HetRec 2011 Last.fm-2K, user x artist play counts, a seeded random 80/20 split of the
   matrix entries (implicit's protocol), already-played artists filtered: every model,
   then NDCG@10 over several split seeds to show the noise.
2. MovieLens latest-small, every rating an implicit interaction, temporal split (train
   before the time after which the last 20% of ratings fall), rated movies filtered;
   then each user's last 10 ratings held out, which tests every user, not only those
   active on both sides of one cut-off.
3. Last.fm scrobbles (one listener), temporal split, at track and artist level; re-plays
   kept and counted, because a single listener's later plays of *new* items are outside
   any catalog learnt from the past. Then the same file with each listening session
   (30-minute gap) as a user and its last play held out.

``--tune`` adds, per family, the configuration chosen on a validation split carved
from each protocol's training data (never its test split). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recsys.evaluate import ModelResult, evaluate, evaluate_one
from recsys.files import read_interactions
from recsys.interactions import Interactions
from recsys.registry import BASELINE, PRESETS, preset
from recsys.splits import SplitSpec
from recsys.tune import tune

ROOT = Path(__file__).resolve().parent.parent
KS = (10, 50)
METRICS = ("ndcg", "precision", "recall", "map", "hit_rate", "coverage", "novelty")
LABELS = {"hit_rate": "HR", "precision": "P", "recall": "R", "coverage": "cov", "novelty": "nov"}


def table(results: Sequence[ModelResult]) -> str:
    head = ["model"] + [f"{LABELS.get(m, m.upper())}@{k}" for k in KS for m in METRICS]
    base = next(r for r in results if r.name == BASELINE).metrics["ndcg@10"]
    rows = ["| " + " | ".join([*head, "NDCG@10 ÷ pop", "fit s"]) + " |"]
    rows.append("|" + "---|" * (len(head) + 2))
    for r in results:
        cells = [f"{r.metrics[f'{m}@{k}']:.4f}" for k in KS for m in METRICS]
        ratio = r.metrics["ndcg@10"] / base if base else float("nan")
        rows.append(f"| {r.name} | {' | '.join(cells)} | {ratio:.2f} | {r.fit_seconds:.1f} |")
    return "\n".join(rows)


def run(
    title: str,
    data: Interactions,
    spec: SplitSpec,
    *,
    filtered: bool,
    tuned: bool,
    seed: int,
) -> list[ModelResult]:
    started = time.perf_counter()
    split = spec.apply(data)
    models = {name: preset(name, seed=seed) for name in PRESETS}
    results = evaluate(models, split, ks=KS, filter_already_liked=filtered)
    notes = []
    if tuned:
        families = [f for f in dict.fromkeys(p.family for p in models.values()) if f != BASELINE]
        validation = spec.validation(split)
        for t in tune(families, validation, ks=KS, filter_already_liked=filtered, seed=seed):
            results.append(
                evaluate_one(
                    f"{t.family} (tuned)", t.best, split, ks=KS, filter_already_liked=filtered
                )
            )
            notes.append(f"- {t.family} (tuned): validation NDCG@10 {t.best_score:.4f}, {t.best}")
    users = int(results[0].metrics["users"])
    print(f"\n### {title}\n")
    print(
        f"{data.n_users:,} users, {data.n_items:,} items, {len(data):,} interactions; "
        f"{split.kind}: {split.description}; {users:,} users evaluated; already-played "
        f"{'filtered' if filtered else 'kept (re-plays count)'}; "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(table(results))
    if notes:
        print("\n" + "\n".join(notes))
    return results


def noise(data: Interactions, seeds: Sequence[int]) -> None:
    print(f"\n### HetRec NDCG@10 over split seeds {', '.join(map(str, seeds))}\n")
    print("| model | mean | sd | min | max |\n|---|---|---|---|---|")
    scores: dict[str, list[float]] = {name: [] for name in PRESETS}
    for seed in seeds:
        split = SplitSpec("random", seed=seed).apply(data)
        for name in PRESETS:
            result = evaluate_one(name, preset(name, seed=seed), split, ks=(10,))
            scores[name].append(result.metrics["ndcg@10"])
    for name, values in scores.items():
        print(
            f"| {name} | {statistics.mean(values):.4f} | {statistics.stdev(values):.4f} | "
            f"{min(values):.4f} | {max(values):.4f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--noise-seeds", default="0,1,2,3,4")
    parser.add_argument("--tune", action="store_true")
    args = parser.parse_args()
    root: Path = args.datasets
    seed: int = args.seed

    hetrec = read_interactions(root / "hetrec2011-lastfm-2k", "hetrec")
    run(
        "HetRec 2011 Last.fm-2K, random 80/20 split of entries",
        hetrec, SplitSpec("random", seed=seed), filtered=True, tuned=args.tune, seed=seed,
    )  # fmt: skip
    noise(hetrec, [int(s) for s in args.noise_seeds.split(",")])

    movielens = read_interactions(root / "movielens-latest-small", "movielens")
    run(
        "MovieLens latest-small, ratings as implicit, temporal split",
        movielens, SplitSpec("temporal", seed=seed), filtered=True, tuned=args.tune, seed=seed,
    )  # fmt: skip
    run(
        "MovieLens latest-small, ratings as implicit, each user's last 10 ratings held out",
        movielens, SplitSpec("last-n", seed=seed, last_n=10), filtered=True, tuned=False,
        seed=seed,
    )  # fmt: skip

    scrobbles = read_interactions(root / "lastfm-scrobbles-sachawheeler", "lastfm")
    for level, data in (("tracks", scrobbles), ("artists", scrobbles.to_artists())):
        run(
            f"Last.fm scrobbles (one listener), {level}, temporal split",
            data, SplitSpec("temporal", seed=seed), filtered=False, tuned=False, seed=seed,
        )  # fmt: skip
    run(
        "Last.fm scrobbles, tracks, each 30-minute session a user, last play held out",
        scrobbles.by_session(30), SplitSpec("last-n", seed=seed), filtered=True,
        tuned=args.tune, seed=seed,
    )  # fmt: skip


if __name__ == "__main__":
    main()
