"""Ingest throughput against the raw driver, measured in one run.

``api`` mode generates N events (default 1M) as 1,000-event JSON batches and posts them
with several client threads to ``encore serve`` on loopback. ``import`` mode has the
synthetic generator write a Spotify extended-history file of N events and times
``encore import spotify`` on it (a subprocess, whose peak RSS is reported too). Either
way, the same rows (ids already resolved) are then inserted with the raw driver into a
fresh database with the same schema and indexes: ``sqlite3.executemany`` for SQLite,
``COPY`` for PostgreSQL. Prints events/s for both and their ratio.

    .venv/bin/python bench/ingest.py api --events 1000000 --backend both
    .venv/bin/python bench/ingest.py import --events 1000000 --backend both
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from models.engine import make_engine
from models.migrate import upgrade

PG_BASE = os.environ.get("ENCORE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ENCORE = str(Path(sys.executable).parent / "encore")
COLUMNS = (
    "user_id, item_id, ts, ms_played, skipped, reason_start, reason_end, shuffle, offline, "
    "private, platform, country, source, client_event_id, rec_id"
)


def make_events(n: int, seed: int) -> list[dict[str, Any]]:
    """Events over 2,000 users and 50,000 tracks with long-tail popularity."""
    rnd = random.Random(seed)
    n_items, n_users = 50_000, 2_000
    weights = [1 / (rank + 1) ** 0.9 for rank in range(n_items)]
    picks = rnd.choices(range(n_items), weights=weights, k=n)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = []
    for i, item in enumerate(picks):
        ms = rnd.randint(1_000, 300_000)
        events.append({
            "user_id": f"user-{rnd.randrange(n_users)}",
            "ts": (start + timedelta(seconds=i * 30 + rnd.randrange(30))).isoformat(),
            "ms_played": ms,
            "item": {"artist": f"Artist {item // 10}", "title": f"Song {item}",
                     "album": f"Album {item // 10}"},
            "skipped": ms < 30_000,
            "shuffle": rnd.random() < 0.5,
            "platform": rnd.choice(("android", "ios", "web")),
            "country": rnd.choice(("NL", "GB", "US", "IN")),
        })  # fmt: skip
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_pg_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_BASE.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    with psycopg.connect(PG_BASE, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def run_api(url: str, bodies: list[bytes], workers: int, clients: int) -> tuple[float, int]:
    """Post every body to a fresh ``encore serve``; returns (seconds, accepted)."""
    port = free_port()
    env = {**os.environ, "ENCORE_DATABASE_URL": url, "ENCORE_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [ENCORE, "serve", "--port", str(port), "--workers", str(workers)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)

        def worker(chunk: list[bytes]) -> int:
            accepted = 0
            with httpx.Client(base_url=base, timeout=120) as http:
                for body in chunk:
                    resp = http.post(
                        "/v1/events", content=body, headers={"content-type": "application/json"}
                    )
                    resp.raise_for_status()
                    accepted += resp.json()["accepted"]
            return accepted

        chunks = [bodies[i::clients] for i in range(clients)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            accepted = sum(pool.map(worker, chunks))
        return time.perf_counter() - t0, accepted
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def catalog_rows(events: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    users = {e["user_id"]: 0 for e in events}
    items = {e["item"]["title"]: 0 for e in events}
    return {u: i + 1 for i, u in enumerate(users)}, {t: i + 1 for i, t in enumerate(items)}


def raw_rows(events: list[dict[str, Any]], sqlite: bool) -> tuple[list[tuple[Any, ...]], Any]:
    users, items = catalog_rows(events)
    rows = []
    for e in events:
        ts = datetime.fromisoformat(e["ts"])
        rows.append((
            users[e["user_id"]], items[e["item"]["title"]],
            ts.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else ts,
            e["ms_played"], e["skipped"], None, None, e["shuffle"], None, False,
            e["platform"], e["country"], "api", None, None,
        ))  # fmt: skip
    return rows, (users, items)


def seed_catalog(execute: Any, users: dict[str, int], items: dict[str, int]) -> None:
    execute("INSERT INTO artists (id, name, name_key) VALUES (1, 'a', 'a')", None)
    execute(
        "INSERT INTO users (id, external_id, created_at, timezone) VALUES (%s, %s, %s, 'UTC')",
        [(i, u, datetime(2024, 1, 1, tzinfo=UTC)) for u, i in users.items()],
    )
    execute(
        "INSERT INTO items (id, kind, title, title_key, artist_id, album_key) "
        "VALUES (%s, 'track', %s, %s, 1, '')",
        [(i, t, t.lower()) for t, i in items.items()],
    )


def run_raw_sqlite(events: list[dict[str, Any]], batch: int, commit_each: bool = True) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "raw.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        rows, (users, items) = raw_rows(events, sqlite=True)
        conn = sqlite3.connect(path)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")

        def execute(sql: str, params: Any) -> None:
            sql = sql.replace("%s", "?")
            conn.executemany(sql, params) if params else conn.execute(sql)

        seed_catalog(execute, users, items)
        conn.commit()
        sql = (
            f"INSERT INTO listening_events ({COLUMNS}) VALUES ({', '.join('?' * 15)}) "
            "ON CONFLICT DO NOTHING"
        )
        t0 = time.perf_counter()
        for start in range(0, len(rows), batch):
            conn.executemany(sql, rows[start : start + batch])
            if commit_each:
                conn.commit()
        conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
        return elapsed


def run_raw_pg(events: list[dict[str, Any]], batch: int, commit_each: bool = True) -> float:
    url, schema = fresh_pg_url()
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        rows, (users, items) = raw_rows(events, sqlite=False)
        with psycopg.connect(PG_BASE, options=f"-csearch_path={schema}") as conn:
            with conn.cursor() as cur:

                def execute(sql: str, params: Any) -> None:
                    cur.executemany(sql, params) if params else cur.execute(sql)

                seed_catalog(execute, users, items)
            conn.commit()
            t0 = time.perf_counter()
            for start in range(0, len(rows), batch):
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY listening_events ({COLUMNS}) FROM STDIN") as cp,
                ):
                    for row in rows[start : start + batch]:
                        cp.write_row(row)
                if commit_each:
                    conn.commit()
            conn.commit()
            return time.perf_counter() - t0
    finally:
        drop_pg_schema(schema)


def spotify_events(path: Path) -> list[dict[str, Any]]:
    """The rows an import of ``path`` stores, in the API's event shape, for the raw reference."""
    events, seen = [], set()
    for rec in orjson.loads(path.read_bytes()):
        uri = rec.get("spotify_track_uri") or rec.get("spotify_episode_uri")
        key = (rec["ts"], uri, rec["ms_played"])
        if not uri or key in seen:  # the import stores a duplicate once; so does COPY here
            continue
        seen.add(key)
        end = datetime.fromisoformat(rec["ts"])
        events.append({
            "user_id": "bench",
            "ts": (end - timedelta(milliseconds=rec["ms_played"])).isoformat(),
            "ms_played": rec["ms_played"], "item": {"title": uri},
            "skipped": rec.get("skipped"), "shuffle": rec.get("shuffle"),
            "platform": rec.get("platform"), "country": rec.get("conn_country"),
        })  # fmt: skip
    return events


def make_spotify_file(path: Path, events: int, seed: int) -> None:
    subprocess.run(
        [ENCORE, "data", "synth", "--users", str(max(1, events // 50_000)), "--events", str(events),
         "--seed", str(seed), "--start", "2019-01-01", "--end", "2025-01-01",
         "--output", str(path)],
        check=True, env={**os.environ, "ENCORE_DATABASE_URL": "sqlite:///:memory:"},
    )  # fmt: skip


# A small Python process starts the import and reports its children's peak RSS: measured
# from this (large) process, the fork before exec would count this process's memory too.
RSS_WRAPPER = (
    "import resource, subprocess, sys; "
    "rc = subprocess.run(sys.argv[1:]).returncode; "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "sys.stderr.write(f'peak_rss_kib={peak}\\n'); "
    "sys.exit(rc)"
)


def run_import(url: str, path: Path) -> tuple[float, int, int]:
    """``encore import spotify`` into a fresh store: (seconds, imported, peak RSS in MiB)."""
    env = {**os.environ, "ENCORE_DATABASE_URL": url, "ENCORE_LOG_LEVEL": "warning"}
    subprocess.run([ENCORE, "db", "upgrade"], check=True, env=env, capture_output=True)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, ENCORE, "import", "spotify", str(path),
         "--user", "bench"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stdout} {done.stderr}")
    imported = int(done.stdout.split("total: ")[1].split(" imported")[0])
    rss_kib = int(done.stderr.rsplit("peak_rss_kib=", 1)[1].split()[0])
    return elapsed, imported, rss_kib // 1024


def main_import(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Streaming_History_Audio_bench.json"
        make_spotify_file(path, args.events, args.seed)
        size = path.stat().st_size
        events = spotify_events(path)
        print(f"{len(events):,} plays in a {size / 1e6:,.0f} MB Spotify file (from the generator)")
        for backend in backends(args):
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'import.db'}"
                seconds, imported, rss = run_import(url, path)
                raw_name, raw_s = "sqlite3 executemany", run_raw_sqlite(events, args.batch, False)
            else:
                url, schema = fresh_pg_url()
                try:
                    seconds, imported, rss = run_import(url, path)
                finally:
                    drop_pg_schema(schema)
                raw_name, raw_s = "psycopg COPY", run_raw_pg(events, args.batch, False)
            rate, raw_rate = imported / seconds, len(events) / raw_s
            print(f"[{backend}] encore import spotify: {rate:>10,.0f} events/s "
                  f"({seconds:.1f} s, {imported:,} imported, peak RSS {rss} MiB)")  # fmt: skip
            print(f"[{backend}] raw {raw_name}: {raw_rate:>10,.0f} events/s ({raw_s:.1f} s)")
            print(f"[{backend}] ratio import/raw: {rate / raw_rate:.3f}")


def backends(args: argparse.Namespace) -> tuple[str, ...]:
    return ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("api", "import"), nargs="?", default="api")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.mode == "import":
        args.batch = max(args.batch, 5_000)  # the importer's batch size
        main_import(args)
        return

    events = make_events(args.events, args.seed)
    bodies = [
        orjson.dumps({"events": events[i : i + args.batch]})
        for i in range(0, len(events), args.batch)
    ]
    print(f"{len(events):,} events in {len(bodies):,} batches of {args.batch}; "
          f"server workers={args.workers}, client threads={args.clients}")  # fmt: skip
    for backend in backends(args):
        if backend == "sqlite":
            raw_name, raw = "sqlite3 executemany", run_raw_sqlite
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'api.db'}"
                api_s, accepted = run_api(url, bodies, args.workers, args.clients)
        else:
            raw_name, raw = "psycopg COPY", run_raw_pg
            url, schema = fresh_pg_url()
            try:
                api_s, accepted = run_api(url, bodies, args.workers, args.clients)
            finally:
                drop_pg_schema(schema)
        assert accepted == len(events), f"only {accepted} of {len(events)} accepted"
        raw_s = raw(events, args.batch)
        api_rate, raw_rate = len(events) / api_s, len(events) / raw_s
        print(f"[{backend}] POST /v1/events: {api_rate:>10,.0f} events/s ({api_s:.1f} s)")
        print(f"[{backend}] raw {raw_name}: {raw_rate:>10,.0f} events/s ({raw_s:.1f} s)")
        print(f"[{backend}] ratio API/raw: {api_rate / raw_rate:.3f}")


if __name__ == "__main__":
    main()
