"""Recommender speed: ``encore retrain --no-eval`` against a raw ``implicit`` ALS fit.

    .venv/bin/python bench/recs.py [train] --db PATH.db [--repeat 2] [--model encore]

``train`` (the default mode) runs, in one process and alternating, ``repeat`` times each:

1. ``encore retrain --no-eval --promote never`` as a subprocess on the SQLite database at
   ``--db`` (a copy of the shared synthetic set, upgraded with ``encore db upgrade``), timed
   end to end from process start to exit: reading the store, building the matrix, the
   input weighting, the fit, writing and checksumming the artifact, recording the version;
2. a raw ``implicit.als.AlternatingLeastSquares`` fit with the same parameters (factors,
   iterations, regularisation, alpha, seed, all cores) on the same CSR matrix: the
   artifact's training matrix, weighted exactly as the retrain weighted it. Only ``fit``
   is timed.

It prints the retrain's own phase times and the median of the per-run ratios (the goal is
at most 1.25): each pair runs back to back, so it shares the machine's load. Artifacts go
to a temporary directory that is removed afterwards (the candidate versions stay recorded
in the copy, never promoted).

``serve`` (``bench/recs.py serve --database URL --models DIR ...``) runs
``bench/recs_serve.py`` with the rest of the arguments: the recommendations endpoint's
throughput and p99 against ``/healthz`` on the same 2-worker server under wrk, and the
server's memory with the model loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import implicit.als
import scipy.sparse as sp

from recsys.artifacts import load_artifact
from recsys.params import AlsParams, params_from_dict
from recsys.weighting import Weighting

ROOT = Path(__file__).resolve().parent.parent
ENCORE = ROOT / ".venv" / "bin" / "encore"


def run_retrain(db: Path, models: Path, model: str) -> tuple[float, str, Path]:
    """Wall time of one ``encore retrain --no-eval``, its summary, and its artifact."""
    env = {
        **os.environ,
        "ENCORE_DATABASE_URL": f"sqlite:///{db}",
        "ENCORE_MODELS__DIR": str(models),
        "ENCORE_LOG_LEVEL": "warning",
    }
    cmd = [str(ENCORE), "retrain", "--no-eval", "--promote", "never", "--model", model]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"retrain failed: {done.stderr.strip()}")
    found = re.search(r"^artifact: (.+)$", done.stdout, re.MULTILINE)
    if found is None:
        raise SystemExit(f"no artifact line in:\n{done.stdout}")
    return seconds, done.stdout, Path(found.group(1))


def raw_fit(matrix: sp.csr_matrix, params: AlsParams) -> float:
    """Seconds of a bare implicit ALS fit with ``params`` on an already weighted matrix."""
    model = implicit.als.AlternatingLeastSquares(
        factors=params.factors, regularization=params.regularization, alpha=params.alpha,
        iterations=params.iterations, random_state=params.seed, num_threads=0, use_gpu=False,
    )  # fmt: skip
    started = time.perf_counter()
    model.fit(matrix, show_progress=False)
    return time.perf_counter() - started


def train(args: argparse.Namespace) -> None:
    db = Path(args.db).resolve()
    if not db.exists():
        raise SystemExit(f"no database at {db}")
    ours: list[float] = []
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        models = Path(tmp)
        weighted: sp.csr_matrix | None = None
        params: AlsParams | None = None
        for n in range(args.repeat):
            seconds, summary, path = run_retrain(db, models, args.model)
            ours.append(seconds)
            print(f"[{n + 1}] encore retrain --no-eval: {seconds:.2f} s")
            for line in summary.splitlines():
                if line.startswith(("data:", "time:", "model:")):
                    print("     " + line)
            if weighted is None:
                artifact = load_artifact(path)
                found = params_from_dict(artifact.meta["params"])
                if not isinstance(found, AlsParams):
                    raise SystemExit(f"--model {args.model} is {found.family}, not ALS")
                params = found
                weighted = Weighting(params.weighting).fit_transform(artifact.user_items)
                del artifact
            assert params is not None
            seconds = raw_fit(weighted, params)
            raw.append(seconds)
            print(f"[{n + 1}] raw implicit ALS fit: {seconds:.2f} s")
    assert weighted is not None and params is not None
    mine, theirs = statistics.median(ours), statistics.median(raw)
    print(
        f"matrix {weighted.shape[0]:,} x {weighted.shape[1]:,}, {weighted.nnz:,} non-zeros; "
        f"ALS factors {params.factors}, iterations {params.iterations}, regularization "
        f"{params.regularization}, alpha {params.alpha}, {os.cpu_count()} cores"
    )
    ratios = [a / b for a, b in zip(ours, raw, strict=True)]
    print(
        f"median of the per-run ratios (each retrain against the raw fit right after it, "
        f"under the same load): {statistics.median(ratios):.2f} (goal <= 1.25); runs: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f"; medians: encore retrain --no-eval {mine:.2f} s, raw implicit fit {theirs:.2f} s"
    )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    if sys.argv[1:2] == ["serve"]:
        serve = Path(__file__).with_name("recs_serve.py")
        raise SystemExit(subprocess.call([sys.executable, str(serve), *sys.argv[2:]]))
    parser.add_argument("mode", nargs="?", default="train", choices=["train", "serve"])
    parser.add_argument("--db", required=True, help="SQLite copy of the synthetic set")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--model", default="encore", help="an ALS preset of encore retrain")
    args = parser.parse_args()
    train(args)


if __name__ == "__main__":
    main()
