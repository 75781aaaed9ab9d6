"""Reading training data from SQLite: streamed rows aggregated in numpy vs. a GROUP BY.

Builds a fresh SQLite store with N plays (default 1M) over 2,000 users and 50,000
tracks, then times, on the same database:

- **stream**: ``recsys.store.read_store``, one columnar scan of every play into numpy
  (:mod:`models.columnar`; streamed ``yield_per`` chunks before 2026-12-01), confidence
  computed per play, summed into a CSR matrix by scipy;
- **group by**: the same confidence computed in SQL and summed by
  ``GROUP BY user_id, item_id``, the aggregated rows then put into a CSR matrix.

The stream keeps every play with its timestamp (temporal splits need them); the GROUP
BY returns one row per user and item. Prints rows/s and the wall time of each.

    .venv/bin/python bench/interactions_read.py --events 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import scipy.sparse as sp
from sqlalchemy import insert, text

from models.catalog import Artist, Item
from models.engine import make_engine
from models.ingest import insert_event_rows, ts_text
from models.migrate import upgrade
from models.users import User
from recsys.store import read_store

GROUP_BY = """
SELECT e.user_id, e.item_id, SUM(
    CASE WHEN e.ms_played >= 30000 OR e.ms_played >= COALESCE(NULLIF(i.duration_ms, 0), 210000)
    THEN MIN(1.0, e.ms_played * 1.0 / COALESCE(NULLIF(i.duration_ms, 0), 210000))
         * (CASE WHEN e.skipped THEN 0.5 ELSE 1.0 END)
    ELSE 0 END)
FROM listening_events e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = e.user_id
WHERE NOT e.private AND NOT u.opt_out_personalization
GROUP BY e.user_id, e.item_id
"""


def build(path: Path, n_events: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_users, n_items, n_artists = 2_000, 50_000, 5_000
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(User), [{"external_id": f"user-{u}"} for u in range(n_users)])
        conn.execute(
            insert(Artist),
            [{"name": f"Artist {a}", "name_key": f"artist {a}"} for a in range(n_artists)],
        )
        conn.execute(
            insert(Item),
            [
                {"title": f"Track {i}", "title_key": f"track {i}", "album_key": "",
                 "artist_id": 1 + i % n_artists, "duration_ms": int(rng.integers(120, 400)) * 1000}
                for i in range(n_items)
            ],
        )  # fmt: skip
    ranks = np.arange(1, n_items + 1)
    popularity = 1 / ranks**0.9
    items = 1 + rng.choice(n_items, size=n_events, p=popularity / popularity.sum())
    users = 1 + rng.integers(0, n_users, n_events)
    start = np.datetime64(datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None), "s")
    stamps = start + (np.arange(n_events) * 30).astype("timedelta64[s]")
    ms = rng.integers(1_000, 300_000, n_events)
    skipped = rng.random(n_events) < 0.2
    texts = ts_text(stamps, "sqlite")
    batch = 100_000
    for first in range(0, n_events, batch):
        rows = [
            (int(users[i]), int(items[i]), texts[i], int(ms[i]), bool(skipped[i]), None, None,
             None, None, False, None, None, "synthetic", None, None)
            for i in range(first, min(first + batch, n_events))
        ]  # fmt: skip
        with engine.begin() as conn:
            insert_event_rows(conn, rows)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "read.db"
        started = time.perf_counter()
        build(path, args.events, args.seed)
        print(f"built {args.events:,} plays in {time.perf_counter() - started:.0f} s")
        engine = make_engine(f"sqlite:///{path}")

        started = time.perf_counter()
        data = read_store(engine)
        matrix = data.matrix()
        stream = time.perf_counter() - started

        started = time.perf_counter()
        with engine.connect() as conn:
            rows = conn.execute(text(GROUP_BY)).all()
        users, items, weights = (np.asarray(c) for c in zip(*rows, strict=True))
        grouped = sp.csr_matrix((weights, (users - 1, items - 1)))
        group_by = time.perf_counter() - started

        pairs = grouped.nnz
        print(f"stream:   {stream:6.2f} s  {args.events / stream:>10,.0f} plays/s  "
              f"({len(data):,} streams kept, {matrix.nnz:,} user-item pairs)")  # fmt: skip
        print(f"group by: {group_by:6.2f} s  {args.events / group_by:>10,.0f} plays/s  "
              f"({pairs:,} rows)")  # fmt: skip
        print(f"stream / group by time: {stream / group_by:.2f}")


if __name__ == "__main__":
    main()
