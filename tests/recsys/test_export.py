"""The exported interaction table, read back with pyarrow and checked against totals
computed here, row by row, from the raw events (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text, update

from models.ingest import ingest_events
from models.records import ItemRef
from models.users import User
from recsys.export import SCHEMA, interaction_batches
from service.store import Store
from tests.utils.factories import T0, record

ENCORE = str(Path(sys.executable).parent / "encore")
Row = tuple[int, int, float, datetime]  # plays, ms_played, confidence, last_ts
Pairs = dict[tuple[str, int], Row]


def load(store: Store) -> None:
    """Plays of six users over three months and one later; bob opts out, carol plays only
    privately."""
    rng = random.Random(5)
    items = [
        ItemRef(artist=f"Artist {n % 3}", title=f"Song {n}", duration_ms=dur)
        for n, dur in enumerate([200_000, 180_000, None, 25_000, 240_000])
    ]
    plays = []
    for i in range(240):
        user = rng.choice(["alice", "alice", "dave", "bob", "erin"])
        plays.append(
            record(
                i,
                user=user,
                ts=T0 + timedelta(hours=9 * i),
                item=rng.choice(items),
                ms_played=rng.choice([5_000, 29_999, 30_000, 90_000, 200_000, 400_000]),
                skipped=rng.choice([None, False, True]),
                private=rng.random() < 0.15,
            )
        )
    plays += [record(i, user="carol", item=items[0], private=True) for i in range(5)]
    plays.append(record(0, user="frank", ts=T0 + timedelta(days=300), item=items[1]))
    ingest_events(store.engine, store.resolver, plays)
    with store.engine.begin() as conn:
        conn.execute(
            update(User).where(User.external_id == "bob").values(opt_out_personalization=True)
        )


def expected(store: Store, since: datetime | None = None, until: datetime | None = None) -> Pairs:
    """Totals per (user, item) from the raw rows, by the documented weighting."""
    sql = text(
        "SELECT u.external_id, e.item_id, e.ts, e.ms_played, e.skipped, i.duration_ms, "
        "e.private, u.opt_out_personalization "
        "FROM listening_events e JOIN users u ON u.id = e.user_id JOIN items i ON i.id = e.item_id"
    )
    totals: dict[tuple[str, int], list[Any]] = {}
    with store.sessions() as session:
        for user, item, ts, ms, skipped, duration, private, opted_out in session.execute(sql):
            ts = ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)
            ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
            if private or opted_out or (since and ts < since) or (until and ts >= until):
                continue
            length = duration or 210_000
            weight = min(ms / length, 1.0) if ms >= 30_000 or ms >= length else 0.0
            weight *= 0.5 if skipped else 1.0
            row = totals.setdefault((user, item), [0, 0, 0.0, ts])
            row[0] += 1
            row[1] += ms
            row[2] += weight
            row[3] = max(row[3], ts)
    return {key: (v[0], v[1], v[2], v[3]) for key, v in totals.items()}


def as_dict(table: pa.Table) -> Pairs:
    rows = table.to_pylist()
    return {
        (r["user"], r["item"]): (r["plays"], r["ms_played"], r["confidence"], r["last_ts"])
        for r in rows
    }


def assert_same(got: Pairs, want: Pairs) -> None:
    assert got.keys() == want.keys()
    for key, (plays, ms, confidence, last) in want.items():
        g = got[key]
        assert (g[0], g[1], g[3]) == (plays, ms, last), key
        assert g[2] == pytest.approx(confidence, rel=1e-6, abs=1e-9), key


@pytest.mark.parametrize("chunk_rows", [1, 7, 100_000])
def test_batches_total_every_pair_once(store: Store, chunk_rows: int) -> None:
    load(store)
    batches = list(interaction_batches(store.engine, chunk_rows=chunk_rows))
    table = pa.Table.from_batches(batches, schema=SCHEMA)
    keys = list(zip(table["user"].to_pylist(), table["item"].to_pylist(), strict=True))
    assert len(keys) == len(set(keys)), "a pair split across chunks was written twice"
    want = expected(store)
    assert {user for user, _ in want} == {"alice", "dave", "erin", "frank"}
    assert_same(as_dict(table), want)


def run(*args: str, db: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENCORE_DATABASE_URL": db}
    return subprocess.run([ENCORE, *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_command_writes_a_file_pyarrow_reads(
    store: Store, db_url: str, tmp_path: Path, fmt: str
) -> None:
    load(store)
    since, until = datetime(2024, 3, 20, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)
    out = tmp_path / f"interactions.{fmt}"
    args = ["export", "interactions", "--format", fmt, "--output", str(out)]
    done = run(*args, "--since", "2024-03-20", "--until", "2024-05-01T00:00:00+00:00",
               db=db_url, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    if fmt == "parquet":
        table = pq.read_table(out)
        assert table.schema.equals(SCHEMA)
    else:
        options = pa_csv.ConvertOptions(column_types=SCHEMA)
        table = pa_csv.read_csv(out, convert_options=options)
    want = expected(store, since, until)
    assert want and len(want) < len(expected(store))
    assert_same(as_dict(table), want)
    plays = sum(row[0] for row in want.values())
    assert f"{len(want)} user-item pairs from {plays} plays" in done.stdout
    assert not list(tmp_path.glob(".*.partial"))


def test_an_empty_store_gives_an_empty_table(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "empty.parquet"
    done = run("export", "interactions", "--output", str(out), db=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.equals(SCHEMA)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "error: --since 'last week': not an ISO date"),
        (["--since", "2025-02-01", "--until", "2025-01-01"], "error: --since must be before"),
        (["--output", "/nonexistent/dir/x.parquet"], "error: --output /nonexistent/dir"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["export", "interactions", "--output", str(tmp_path / "x.parquet")]
    done = run(*base, *args, db=f"sqlite:///{tmp_path / 'e.db'}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.parquet").exists()
