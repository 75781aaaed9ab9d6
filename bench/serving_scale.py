"""Recommendation latency of a trained artifact as the catalog grows, measured in-process.

Loads an artifact written by ``encore retrain`` (for example the one trained on the shared
5M-event set), times ``Recommender.recommend`` for single users, as the API calls it, then
repeats with the item factors tiled 10x and 100x (the same users, a catalog ten and a hundred
times larger) to show how brute-force scoring grows with the number of items. Also reports
the loaded artifact's array sizes, which every API worker holds.

    .venv/bin/python bench/serving_scale.py ARTIFACT_DIR [--users 200] [--scales 1,10,100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import scipy.sparse as sp

from recsys.artifacts import load_artifact
from recsys.factorization import MatrixFactorization


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    artifact = load_artifact(args.artifact)
    model = artifact.model
    assert isinstance(model, MatrixFactorization), "a factorization model is needed"
    users_f, items_f, n_items = model.user_factors, model.item_factors, model.n_items
    held = users_f.nbytes + items_f.nbytes
    held += sum(a.nbytes for a in (artifact.user_items.data, artifact.user_items.indices))
    held += artifact.user_items.indptr.nbytes
    print(
        f"artifact: {users_f.shape[0]:,} users, {items_f.shape[0]:,} items, "
        f"{items_f.shape[1]} factors, {artifact.user_items.nnz:,} non-zeros; "
        f"arrays held by a worker: {held / 2**20:.0f} MiB"
    )
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(users_f.shape[0], size=min(args.users, users_f.shape[0]), replace=False)
    print("| items | factor memory | median per request | p95 |")
    print("|---|---|---|---|")
    for scale in (int(s) for s in args.scales.split(",")):
        model.item_factors = np.ascontiguousarray(np.tile(items_f, (scale, 1)))
        model.n_items = n_items * scale
        rows = sp.hstack([artifact.user_items] * scale, format="csr") if scale > 1 else None
        matrix = artifact.user_items if rows is None else rows
        times = []
        for user in sample:
            started = time.perf_counter()
            model.recommend(np.array([user]), matrix[int(user)], N=10)
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"| {model.item_factors.shape[0]:,} | {model.item_factors.nbytes / 2**20:,.0f} MiB | "
            f"{statistics.median(times) * 1000:.2f} ms | {p95 * 1000:.2f} ms |"
        )
    model.item_factors, model.n_items = items_f, n_items


if __name__ == "__main__":
    main()
