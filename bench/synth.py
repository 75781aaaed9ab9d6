"""Synthetic history throughput: ``data.synth.store_history`` vs. the raw driver.

Generates N events (default 5M, 10,000 listeners, 2023-2025) and stores them through
the bulk path into a fresh SQLite file and a fresh PostgreSQL schema, timing
everything the command does: building the catalog and listeners, resolving them,
generating every block, inserting, rebuilding deferred indexes. In the same run it
inserts the same rows (catalog already resolved, rows already built, neither timed)
with the raw driver into another fresh database with the same schema and all its
indexes, one commit per block: ``sqlite3.executemany`` for SQLite, ``COPY`` straight
into the table for PostgreSQL. Prints events/s for both and their ratio.

    .venv/bin/python bench/synth.py --events 5000000 --users 10000 --backend both
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from data.synth import SynthConfig, World, build_world, store_history
from data.synth.listening import generate_block
from data.synth.load import event_rows, item_refs
from models.engine import make_engine
from models.ingest import EVENT_COLUMNS
from models.migrate import upgrade
from models.resolve import CatalogResolver

PG_BASE = os.environ.get("ENCORE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
COLUMNS = ", ".join(EVENT_COLUMNS)
SQLITE_INSERT = f"INSERT INTO listening_events ({COLUMNS}) VALUES ({', '.join('?' * 15)})"
PG_COPY = f"COPY listening_events ({COLUMNS}) FROM STDIN"


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """The URL of a new, migrated database, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'synth.db'}"
            _migrate(url)
            yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
        _migrate(url)
        yield url
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def run_synth(url: str, config: SynthConfig) -> float:
    """Seconds for the whole load, as ``encore data synth`` does it."""
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        result = store_history(engine, CatalogResolver(), build_world(config))
        elapsed = time.perf_counter() - began
    finally:
        engine.dispose()
    assert result.inserted == config.events, f"{result.inserted} of {config.events} stored"
    return elapsed


def _blocks_of_rows(url: str, world: World, dialect: str) -> Iterator[list[tuple[Any, ...]]]:
    """Resolve the catalog into ``url`` (untimed), then yield each block's rows."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            res = CatalogResolver().resolve(conn, world.population.ids, item_refs(world))
        user_ids = np.array([res.user_ids[u] for u in world.population.ids], dtype=np.int64)
        item_ids = np.array(res.item_ids, dtype=np.int64)
    finally:
        engine.dispose()
    for block in range(len(world.blocks)):
        yield event_rows(generate_block(world, block), world, user_ids, item_ids, dialect)


def run_raw(url: str, world: World, backend: str) -> float:
    """Seconds the raw driver spends inserting and committing the same rows."""
    insert: Callable[[list[tuple[Any, ...]]], None]
    if backend == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")

        def insert(rows: list[tuple[Any, ...]]) -> None:
            conn.executemany(SQLITE_INSERT, rows)
            conn.commit()

    else:
        schema = url.rsplit("%3D", 1)[1]
        pg = psycopg.connect(PG_BASE, options=f"-csearch_path={schema}")

        def insert(rows: list[tuple[Any, ...]]) -> None:
            with (
                pg.cursor() as cur,
                cur.copy(PG_COPY) as cp,
            ):
                for row in rows:
                    cp.write_row(row)
            pg.commit()

    elapsed = 0.0
    try:
        for rows in _blocks_of_rows(url, world, backend):
            began = time.perf_counter()
            insert(rows)
            elapsed += time.perf_counter() - began
    finally:
        (conn if backend == "sqlite" else pg).close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--start", default="2023-01-01")
    parser.add_argument("--end", default="2026-01-01")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()

    start, end = (datetime.fromisoformat(d).replace(tzinfo=UTC) for d in (args.start, args.end))
    config = SynthConfig(args.users, args.events, start, end, seed=args.seed)
    world = build_world(config)
    print(
        f"{args.events:,} events, {args.users:,} listeners, {world.catalog.n_items:,} items, "
        f"{args.start} .. {args.end}, {len(world.blocks)} blocks"
    )
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with fresh_database(backend) as url:
            synth_s = run_synth(url, config)
        with fresh_database(backend) as url:
            raw_s = run_raw(url, world, backend)
        raw_name = "sqlite3 executemany" if backend == "sqlite" else "psycopg COPY"
        synth_rate, raw_rate = args.events / synth_s, args.events / raw_s
        print(f"[{backend}] data synth: {synth_rate:>10,.0f} events/s ({synth_s:.1f} s)")
        print(f"[{backend}] raw {raw_name}: {raw_rate:>10,.0f} events/s ({raw_s:.1f} s)")
        print(f"[{backend}] ratio synth/raw: {synth_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
