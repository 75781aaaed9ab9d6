"""Lists for new listeners, and for listeners with plays newer than the model, against a
known listener's list, in process.

A listener the model does not know (new since the last retrain, never seen, or in an
experiment's popularity arm) gets the popularity ranking under their filters. That list
depends only on the model version, the filters and the limit, so it is picked once and
kept (``Served.popular_picks``). This times ``lists.for_user`` with the benchmarked query
for random known listeners, for new listeners, and for new listeners with the kept lists
cleared before each call (what every new listener cost before), alternating in blocks,
and prints the median block's CPU per list and the ratios to the known listener's list.

A listener with plays newer than the model gets their row folded in (implicit's
``recalculate_user``) and ranked over every item, once per new play. That is timed on
known listeners' own training rows (``recommend_rows``), with the fold-in's solver kept
(now) and made anew for each call (before: it recomputed the item factors' Gram matrix
every time).

    .venv/bin/python bench/recs_new_listeners.py --database sqlite:///... --models DIR \
      --cache DIR
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from service.app import create_app
from service.recs import lists
from service.recs.query import parse_raw
from service.settings import Settings

QUERY = b"limit=20&kind=track&exclude_listened=true&max_per_artist=2"
BLOCK = 200


def alternate(
    kinds: dict[str, Callable[[], None]], blocks: int, size: int
) -> dict[str, list[float]]:
    """Each kind's CPU per call (µs), over ``blocks`` blocks of ``size`` calls, the kinds
    taking turns block by block after one block each to warm up."""
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    for block in range(blocks + 1):
        for name, call in kinds.items():
            started = time.thread_time()
            for _ in range(size):
                call()
            if block:
                cpu[name].append((time.thread_time() - started) / size * 1e6)
    return cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--users", type=int, default=100_000, help="synth-%%06d ids drawn from")
    parser.add_argument("--blocks", type=int, default=15)
    args = parser.parse_args()
    settings = Settings(
        database_url=args.database, models={"dir": args.models}, recs={"cache_dir": args.cache},
        _env_file=None,
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        served = app.state.models.served
        served.top.done.wait()
        recs = app.state.recs
        parsed = parse_raw(QUERY)
        assert isinstance(parsed, tuple), "the benchmarked query must be valid"
        params, filters = parsed
        rng = np.random.default_rng(3)

        def answer(user_id: str) -> None:
            lists.for_user(
                served, recs.fresh, recs.sessions, user_id=user_id, limit=params.limit,
                filters=filters, exclude_listened=params.exclude_listened,
            )  # fmt: skip

        def known() -> None:
            answer(f"synth-{int(rng.integers(args.users)):06d}")

        def new() -> None:
            answer(f"new-{int(rng.integers(1 << 40))}")

        def new_uncached() -> None:
            served.popular_picks.clear()
            new()

        kinds: dict[str, Callable[[], None]] = {
            "known listener": known, "new listener": new,
            "new listener, picked each time (before)": new_uncached,
        }  # fmt: skip
        cpu = alternate(kinds, args.blocks, BLOCK)
        model, rows = served.artifact.model, served.artifact.user_items

        def folded() -> None:
            user = int(rng.integers(model.n_users))
            model.recommend_rows(rows[[user]], N=served.candidates)

        def folded_new_solver() -> None:
            model.__dict__.pop("_solver", None)
            folded()

        fold_kinds = {
            "fold-in and ranking, solver kept": folded,
            "fold-in and ranking, new solver (before)": folded_new_solver,
        }
        cpu |= alternate(fold_kinds, args.blocks // 3, BLOCK // 10)
        base = statistics.median(cpu["known listener"])
        print(f"lists.for_user, {QUERY.decode()}: CPU a list, median of {args.blocks} blocks")
        for name, values in cpu.items():
            us = statistics.median(values)
            print(f"  {name:40s} {us:7.1f} µs   {us / base:5.2f}x the known listener's")


if __name__ == "__main__":
    asyncio.run(main())
