"""Monthly range partitioning of ``listening_events`` on PostgreSQL, measured against the
plain table in one run, on a copy of the shared 5M-event database.

    createdb -h 127.0.0.1 -U postgres -T bench5m scale_test
    .venv/bin/python bench/partitioning.py --url postgresql://postgres@127.0.0.1:5432/scale_test

It builds ``listening_events_part`` (declarative ``PARTITION BY RANGE (ts)``, one partition
per calendar month of the data and a default one) with the same columns, the same rows and
the same indexes as far as PostgreSQL allows, then times, on warm caches, the median of
``--repeat`` runs of:

- a one-year scan and a one-month scan (count and minutes of non-private plays);
- a user's history: the newest 50 plays of ``--users`` random listeners, over all time
  and within one month;
- inserting ``--insert-rows`` new plays of the last month the way Encore's PostgreSQL bulk
  path does (``COPY`` into a temporary table, ``INSERT ... SELECT ... ON CONFLICT DO
  NOTHING``), rolled back after each run.

It also tries the unique index Encore has on ``(user_id, client_event_id)`` and prints
PostgreSQL's refusal: a unique index on a partitioned table must contain the partition key.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

PLAIN, PART = "listening_events", "listening_events_part"
COLS = "user_id, item_id, ts, ms_played, skipped, private, source"


def months(first: datetime, last: datetime) -> list[datetime]:
    start = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = [start]
    while out[-1] <= last:
        prev = out[-1]
        out.append(prev.replace(year=prev.year + prev.month // 12, month=prev.month % 12 + 1))
    return out


def build(conn: psycopg.Connection) -> dict[str, float]:
    """Create and fill the partitioned twin unless it exists; returns set-up timings."""
    exists = conn.execute("SELECT to_regclass(%s)", (PART,)).fetchone()
    if exists and exists[0]:
        return {}
    first, last = conn.execute(f"SELECT min(ts), max(ts) FROM {PLAIN}").fetchone() or (None, None)
    assert first and last, "the plain table is empty"
    conn.execute(
        f"CREATE TABLE {PART} (LIKE {PLAIN} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (ts)"
    )
    bounds = months(first, last)
    for lo, hi in itertools.pairwise(bounds):  # DDL takes no parameters: ISO literals
        conn.execute(
            f"CREATE TABLE {PART}_{lo:%Y_%m} PARTITION OF {PART} "
            f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
        )
    conn.execute(f"CREATE TABLE {PART}_default PARTITION OF {PART} DEFAULT")
    started = time.perf_counter()
    conn.execute(f"INSERT INTO {PART} SELECT * FROM {PLAIN}")
    copied = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute(f"ALTER TABLE {PART} ADD PRIMARY KEY (id, ts)")
    conn.execute(f"CREATE UNIQUE INDEX ON {PART} (user_id, ts, item_id, ms_played)")
    conn.execute(f"CREATE INDEX ON {PART} (item_id)")
    conn.execute(f"CREATE INDEX ON {PART} (ts)")
    conn.execute(
        f"CREATE UNIQUE INDEX ON {PART} (user_id, client_event_id, ts) "
        "WHERE client_event_id IS NOT NULL"
    )
    indexed = time.perf_counter() - started
    conn.commit()
    return {"copy 5M rows into partitions (s)": copied, "build indexes (s)": indexed}


def refusal(conn: psycopg.Connection) -> str:
    """PostgreSQL's answer to Encore's client-event-id unique index on the partitioned table."""
    try:
        conn.execute(
            f"CREATE UNIQUE INDEX ON {PART} (user_id, client_event_id) "
            "WHERE client_event_id IS NOT NULL"
        )
    except psycopg.errors.FeatureNotSupported as exc:
        conn.rollback()
        return str(exc).splitlines()[0]
    conn.rollback()
    return "accepted (unexpected)"


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    run()  # warm the caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def partitions_scanned(conn: psycopg.Connection, sql: str, params: tuple[object, ...]) -> int:
    plan = conn.execute("EXPLAIN " + sql, params).fetchall()
    return sum(1 for (line,) in plan if f" on {PART}_" in line and "Scan" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/scale_test")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--insert-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with psycopg.connect(args.url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")  # month bounds in UTC, as Encore stores ts
        setup = build(conn)
        conn.execute(f"ANALYZE {PLAIN}")
        conn.execute(f"ANALYZE {PART}")
        conn.commit()
        refused = refusal(conn)
        last = conn.execute(f"SELECT max(ts) FROM {PLAIN}").fetchone()
        assert last and last[0]
        year_lo = last[0].replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        year = (year_lo, year_lo.replace(year=year_lo.year + 1))
        month_lo = year_lo.replace(month=6)
        month = (month_lo, month_lo.replace(month=7))
        users = [u for (u,) in conn.execute(f"SELECT DISTINCT user_id FROM {PLAIN} LIMIT 20000")]
        sample = rng.sample(users, min(args.users, len(users)))
        items = [i for (i,) in conn.execute("SELECT id FROM items LIMIT 50000")]
        last_month = last[0].replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        new_rows = [
            (
                rng.choice(users),
                rng.choice(items),
                last_month + timedelta(seconds=rng.uniform(0, 27 * 86400)),
                rng.randrange(1, 400_000),
                False,
                False,
                "api",
            )
            for _ in range(args.insert_rows)
        ]

        def scan(table: str, window: tuple[datetime, datetime]) -> Callable[[], object]:
            sql = (
                f"SELECT count(*), sum(ms_played) FROM {table} "
                "WHERE ts >= %s AND ts < %s AND NOT private"
            )
            return lambda: conn.execute(sql, window).fetchone()

        def history(table: str, window: tuple[datetime, datetime] | None) -> Callable[[], object]:
            where = "" if window is None else " AND ts >= %s AND ts < %s"
            sql = (
                f"SELECT id, ts, item_id, ms_played FROM {table} "
                f"WHERE user_id = %s{where} ORDER BY ts DESC LIMIT 50"
            )
            extra = () if window is None else window
            return lambda: [conn.execute(sql, (u, *extra)).fetchall() for u in sample]

        def insert(table: str) -> Callable[[], object]:
            def run() -> int:
                with conn.cursor() as cur:
                    cur.execute(
                        f"CREATE TEMP TABLE stage ON COMMIT DROP AS "
                        f"SELECT {COLS} FROM {table} WITH NO DATA"
                    )
                    with cur.copy(f"COPY stage ({COLS}) FROM STDIN") as copy:
                        for row in new_rows:
                            copy.write_row(row)
                    cur.execute(
                        f"INSERT INTO {table} ({COLS}) SELECT {COLS} FROM stage "
                        "ON CONFLICT DO NOTHING"
                    )
                    inserted = cur.rowcount
                conn.rollback()
                return inserted

            return run

        cases: list[tuple[str, Callable[[str], Callable[[], object]]]] = [
            (f"one-year scan ({year[0]:%Y})", lambda t: scan(t, year)),
            (f"one-month scan ({month[0]:%Y-%m})", lambda t: scan(t, month)),
            (f"history, newest 50, {len(sample)} users", lambda t: history(t, None)),
            (f"history in {month[0]:%Y-%m}, {len(sample)} users", lambda t: history(t, month)),
            (f"insert {args.insert_rows:,} plays (COPY + ON CONFLICT)", insert),
        ]
        scan_sql = f"SELECT count(*) FROM {PART} WHERE ts >= %s AND ts < %s"
        pruned = partitions_scanned(conn, scan_sql, month)
        total_parts = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", (PART,)
        ).fetchone()
        plain_size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size(%s))", (PLAIN,)
        ).fetchone()
        part_size = conn.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = %s::regclass",
            (PART,),
        ).fetchone()
        print(f"# {datetime.now(UTC):%Y-%m-%d} {conn.info.parameter_status('server_version')}")
        for name, value in setup.items():
            print(f"- {name}: {value:.1f}")
        print(f"- unique (user_id, client_event_id) on the partitioned table: {refused}")
        print(f"- month scan touches {pruned} of {total_parts and total_parts[0]} partitions")
        assert plain_size and part_size
        print(f"- size: plain {plain_size[0]}, partitioned {part_size[0]}")
        print()
        print("| operation | plain | partitioned | partitioned ÷ plain |")
        print("|---|---|---|---|")
        for label, make in cases:
            plain = median_seconds(make(PLAIN), args.repeat)
            part = median_seconds(make(PART), args.repeat)
            if label.startswith("insert"):
                shown = (
                    f"{args.insert_rows / plain:,.0f} rows/s",
                    f"{args.insert_rows / part:,.0f} rows/s",
                )
                ratio = (args.insert_rows / part) / (args.insert_rows / plain)
                print(f"| {label} | {shown[0]} | {shown[1]} | {ratio:.2f} (throughput) |")
            else:
                cells = f"{plain * 1000:,.1f} ms | {part * 1000:,.1f} ms"
                print(f"| {label} | {cells} | {part / plain:.2f} |")


if __name__ == "__main__":
    main()
