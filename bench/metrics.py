"""Metric endpoints on a large SQLite store: each one for a one-year range, timed through
the real app (FastAPI's TestClient, so routing, validation and JSON are included).

Run it on a *copy* of the shared 5M-event store, upgraded to this branch's schema:

    cp /work/benchdata/synth5m.db .bench/synth5m.db && \\
      ENCORE_DATABASE_URL=sqlite:///.bench/synth5m.db .venv/bin/encore db upgrade
    .venv/bin/python bench/metrics.py --db .bench/synth5m.db [--serve 20000]

It first brings the rollup of each zone up to date (timed apart: the one-off build, or a
refresh that finds nothing to do), optionally records ``--serve`` synthetic served lists
(clicked at the rate real lists would be) so click-through has work, then times each
endpoint ``--repeat`` times and prints the best and the median. The reference in the same
run is one full scan of the events (``SELECT sum(ms_played) FROM listening_events``): the
least any metric read straight from the events would cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from models.listening import ListeningEvent
from models.metrics.rollup import refresh
from models.served import ServedList, ServedRecommendation, record_served
from service.app import create_app
from service.settings import Settings
from service.store import Store

ENDPOINTS = ["north-star", "active-users", "retention", "engagement", "discovery"]


def _timed(fn: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def _serve(store: Store, n: int, seed: int = 3) -> None:
    """Record ``n`` lists served in 2025, a third of them naming an item the listener
    played within the next hour (so some are clicked)."""
    with store.sessions() as session:
        have = session.scalar(select(func.count()).select_from(ServedRecommendation)) or 0
        if have >= n:
            return
        rng = np.random.default_rng(seed)
        top = int(session.scalar(select(func.max(ListeningEvent.id))) or 0)
        picks = rng.choice(np.arange(1, top + 1), size=n - have, replace=False)
        rows = session.execute(
            select(ListeningEvent.id, ListeningEvent.user_id, ListeningEvent.ts,
                   ListeningEvent.item_id).where(ListeningEvent.id.in_(picks.tolist()))
        ).all()  # fmt: skip
        lists = [
            ServedList(
                f"bench-{eid}", uid, ts - timedelta(minutes=30), None, "model",
                [item if k % 3 == 0 else item + 1, item + 2],
            )
            for k, (eid, uid, ts, item) in enumerate(rows)
        ]  # fmt: skip
        record_served(session, lists)
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--from", dest="first", default="2025-01-01")
    parser.add_argument("--to", default="2026-01-01")
    parser.add_argument("--zones", default="UTC,Europe/Amsterdam")
    parser.add_argument("--serve", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(database_url=f"sqlite:///{args.db}", _env_file=None)
    store = Store.open(settings)
    if args.serve:
        _serve(store, args.serve)
    for zone in args.zones.split(","):
        with store.engine.connect() as conn:
            t = time.perf_counter()
            users = refresh(conn, zone)
            took = time.perf_counter() - t
            print(f"rollup {zone}: {users:,} listeners summarised in {took:.1f} s")
            t = time.perf_counter()
            refresh(conn, zone)
            print(f"rollup {zone}: up-to-date check {1000 * (time.perf_counter() - t):.1f} ms")
    with store.engine.connect() as conn:
        events = conn.scalar(text("SELECT count(*) FROM listening_events"))
        rows = conn.scalar(text("SELECT count(*) FROM metrics_user_days"))
    print(f"{events:,} events, {rows:,} rollup rows (all zones)")

    def scan() -> None:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT sum(ms_played) FROM listening_events")).one()

    ref_best, ref_median = _timed(scan, args.repeat)
    print(f"reference full scan: best {ref_best:.3f} s, median {ref_median:.3f} s")
    app = create_app(settings, store)
    with TestClient(app) as client:
        for zone in args.zones.split(","):
            for granularity in ["day", "week", "month"]:
                for path in ENDPOINTS:
                    if path == "retention" and granularity != "week":
                        continue
                    params = {"from": args.first, "to": args.to, "tz": zone,
                              "granularity": granularity}  # fmt: skip

                    def call(path: str = path, params: dict[str, str] = params) -> None:
                        r = client.get(f"/v1/metrics/{path}", params=params)
                        assert r.status_code == 200, r.text

                    best, median = _timed(call, args.repeat)
                    print(
                        f"{zone:16} {granularity:5} {path:13} best {best:.3f} s  median "
                        f"{median:.3f} s  ({best / ref_best:.2f}x the scan)"
                    )
            params = {"from": args.first, "to": args.to, "tz": zone, "by": "platform",
                      "granularity": "month"}  # fmt: skip
            for path in ["north-star", "active-users", "engagement"]:
                best, median = _timed(
                    lambda path=path, params=params: client.get(
                        f"/v1/metrics/{path}", params=params
                    ),
                    args.repeat,
                )
                print(
                    f"{zone:16} month {path:13} by platform best {best:.3f} s median {median:.3f} s"
                )
        with store.engine.connect() as conn:
            top = conn.execute(
                text("SELECT i.artist_id FROM listening_events e JOIN items i ON i.id = e.item_id"
                     " WHERE e.user_id < 500 GROUP BY i.artist_id ORDER BY count(*) DESC LIMIT 1")
            ).scalar()  # fmt: skip
        best, median = _timed(
            lambda: client.get(
                f"/v1/artists/{top}/stats", params={"from": args.first, "to": args.to}
            ),
            args.repeat,
        )
        print(f"artist stats (a top artist, {top}): best {best:.3f} s median {median:.3f} s")
    store.close()
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
