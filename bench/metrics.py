"""Metric endpoints on a large SQLite store: each one for a one-year range, timed through
the real app (FastAPI's TestClient, so routing, validation and JSON are included).

Run it on a *copy* of the shared 5M-event store, upgraded to this branch's schema:

    cp /work/benchdata/synth5m.db .bench/synth5m.db && \\
      ENCORE_DATABASE_URL=sqlite:///.bench/synth5m.db .venv/bin/encore db upgrade
    .venv/bin/python bench/metrics.py --db .bench/synth5m.db [--serve 20000]
    .venv/bin/python bench/metrics.py --url postgresql://postgres@127.0.0.1:5432/mine_bench

It first brings the rollup of each zone up to date (timed apart: the one-off build, or a
refresh that finds nothing to do), optionally records ``--serve`` synthetic served lists
(clicked at the rate real lists would be) so click-through has work, then times each
endpoint ``--repeat`` times and prints the best and the median. The reference in the same
run is one full scan of the events (``SELECT sum(ms_played) FROM listening_events``): the
least any metric read straight from the events would cost.

Artist stats are timed for the most played artist, the 10th and a small one (the 2,000th),
through the app (the rollup, refreshed first) and straight from the events (the read a
zone without a rollup gets, and what every zone got before the artist rollup), and the two
answers are checked equal. Last, ``--fresh`` listeners each get one new play and the
refresh that re-summarises them is timed; the rollup's log lines say what share of each
build and refresh the artist rows took.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, insert, select, text

from models.api_keys import Scope, create_key
from models.listening import ListeningEvent
from models.metrics.artists import artist_name, artist_stats
from models.metrics.localtime import utc_bounds
from models.metrics.rollup import refresh
from models.served import ServedList, ServedRecommendation, record_served
from service.app import create_app
from service.settings import Settings
from service.store import Store

events: Table = ListeningEvent.__table__  # type: ignore[assignment]
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


def _ranked_artists(store: Store) -> list[tuple[int, int]]:
    """(artist id, plays) of every artist, most played first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT i.artist_id, count(*) FROM listening_events e JOIN items i"
                 " ON i.id = e.item_id WHERE NOT e.private GROUP BY i.artist_id"
                 " ORDER BY count(*) DESC, i.artist_id")
        ).all()  # fmt: skip
    return [(int(a), int(n)) for a, n in rows]


def _artist_stats(
    store: Store, client: TestClient, artists: list[tuple[str, int, int]], args: argparse.Namespace,
    zone: str, ref_best: float,
) -> None:  # fmt: skip
    """Each artist through the app (the rollup) and straight from the events; equal."""
    first, end = date.fromisoformat(args.first), date.fromisoformat(args.to)
    params = {"from": args.first, "to": args.to, "tz": zone}
    for label, artist, plays in artists:
        url = f"/v1/artists/{artist}/stats"
        best, median = _timed(lambda url=url: client.get(url, params=params), args.repeat)
        rolled = client.get(url, params=params).json()["data"]

        def direct(artist: int = artist) -> dict[str, object]:
            start, stop = utc_bounds(first, end, ZoneInfo(zone))
            with store.engine.connect() as conn:
                name = artist_name(conn, artist) or ""
                return dataclasses.asdict(artist_stats(conn, artist, name, start, stop))

        d_best, d_median = _timed(direct, args.direct_repeat)
        assert json.loads(json.dumps(direct(), default=str)) == rolled, (zone, artist)
        print(
            f"{zone:16} artist stats {label:9} ({plays:,} plays, {rolled['listeners']:,} "
            f"listeners): rollup best {best:.3f} s median {median:.3f} s "
            f"({best / ref_best:.2f}x the scan); from the events best {d_best:.3f} s "
            f"median {d_median:.3f} s ({d_best / ref_best:.2f}x); same answer"
        )


def _fresh_plays(store: Store, listeners: int, seed: int = 5) -> None:
    """One more play for each of ``listeners`` listeners: a copy of one of their plays a
    second later (every column but id, ts and the client's event id as stored)."""
    with store.engine.begin() as conn:
        users = conn.scalars(select(events.c.user_id).distinct().order_by(events.c.user_id))
        rng = np.random.default_rng(seed)
        chosen = rng.choice(np.array(list(users)), size=listeners, replace=False).tolist()
        picks = select(func.max(events.c.id)).where(events.c.user_id.in_(chosen))
        rows = conn.execute(
            select(events).where(events.c.id.in_(picks.group_by(events.c.user_id)))
        ).mappings().all()  # fmt: skip
        copies = [
            {**{k: v for k, v in r.items() if k != "id"}, "client_event_id": None,
             "ts": r["ts"] + timedelta(seconds=1)}
            for r in rows
        ]  # fmt: skip
        conn.execute(insert(events), copies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="a SQLite file")
    where.add_argument("--url", help="a database URL")
    parser.add_argument("--from", dest="first", default="2025-01-01")
    parser.add_argument("--to", default="2026-01-01")
    parser.add_argument("--zones", default="UTC,Europe/Amsterdam")
    parser.add_argument("--serve", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--direct-repeat", type=int, default=2)
    parser.add_argument("--fresh", type=int, default=1_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("models.metrics.rollup").setLevel(logging.INFO)
    url = args.url or f"sqlite:///{args.db}"
    settings = Settings(database_url=url, _env_file=None)
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
    with store.sessions() as session:
        _row, key = create_key(session, scopes=[Scope.read], name="bench")
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
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
        ranked = _ranked_artists(store)
        small = min(1999, len(ranked) - 1)
        picks = [("top 1", *ranked[0]), ("top 10", *ranked[9]), (f"#{small + 1:,}", *ranked[small])]
        for zone in args.zones.split(","):
            _artist_stats(store, client, picks, args, zone, ref_best)
        if args.fresh:
            _fresh_plays(store, args.fresh)
            zone = args.zones.split(",")[0]
            with store.engine.connect() as conn:
                t = time.perf_counter()
                users = refresh(conn, zone)
                took = time.perf_counter() - t
            print(
                f"rollup {zone}: {users:,} listeners with a new play re-summarised in {took:.1f} s"
            )
            _artist_stats(store, client, picks[:1], args, zone, ref_best)
    store.close()
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
