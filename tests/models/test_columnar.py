"""Whole-table scans into numpy: the Arrow (SQLite file), binary COPY (PostgreSQL) and
row-by-row (in-memory SQLite) paths agree with what was stored."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import false, func, select, update

from models.columnar import Column, _scan_rows, scan
from models.ingest import ingest_events
from models.interactions import read_plays
from models.listening import ListeningEvent
from service.store import Store
from tests.utils.factories import T0, record


def plays() -> list:  # type: ignore[type-arg]
    return [
        record(0, ms_played=1),
        record(1, ts=T0 + timedelta(microseconds=123_456), skipped=True),
        record(2, user="bob", ms_played=86_400_000, skipped=False),
        record(3, private=True),
    ]


def columns(store: Store) -> dict[str, np.ndarray]:
    e = ListeningEvent
    return scan(
        store.engine,
        [
            Column("user_id", e.user_id, "int64"),
            Column("ts", e.ts, "ts_us"),
            Column("ms_played", e.ms_played, "int32"),
            Column("skipped", func.coalesce(e.skipped, false()), "bool"),
        ],
        from_=e.__table__,
        where=[e.private == false()],
    )


def test_scan_returns_every_value_exactly(store: Store) -> None:
    empty = columns(store)
    assert all(len(v) == 0 for v in empty.values())
    ingest_events(store.engine, store.resolver, plays())
    got = columns(store)
    order = np.argsort(got["ts"], kind="stable")
    t0 = int(T0.timestamp()) * 1_000_000
    offsets = got["ts"][order] - t0
    assert offsets.tolist() == [0, 123_456, 8 * 60 * 1_000_000]
    assert got["ms_played"][order].tolist() == [1, 200_000, 86_400_000]
    assert got["skipped"][order].tolist() == [False, True, False]
    assert got["ts"].dtype == np.int64 and got["skipped"].dtype == np.bool_


def test_the_row_by_row_fallback_agrees_with_the_fast_path(store: Store) -> None:
    ingest_events(store.engine, store.resolver, plays())
    e = ListeningEvent
    spec = [Column("user_id", e.user_id, "int64"), Column("ts", e.ts, "ts_us")]
    fast = scan(store.engine, spec, from_=e.__table__)
    slow = _scan_rows(store.engine, spec, e.__table__, [])
    assert sorted(zip(*fast.values(), strict=True)) == sorted(zip(*slow.values(), strict=True))
    assert len(fast["ts"]) == 4


def test_read_plays_joins_items_and_leaves_private_plays_out(store: Store) -> None:
    ingest_events(store.engine, store.resolver, plays())
    got = read_plays(store.engine)
    assert len(got.user_id) == 3
    assert (got.artist_id > 0).all() and (got.duration_ms == 0).all()


def test_scans_leave_this_process_own_connections_working(store: Store) -> None:
    ingest_events(store.engine, store.resolver, plays()[:2])
    count = select(func.count()).select_from(ListeningEvent)
    with store.engine.connect() as held:
        assert held.execute(count).scalar() == 2
        for _ in range(3):
            assert len(columns(store)["ts"]) == 2
        ingest_events(store.engine, store.resolver, plays()[2:])
        assert held.execute(count).scalar() == 4
    assert len(columns(store)["ts"]) == 3


def test_key_ranges_are_read_in_parallel_and_joined(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_events(store.engine, store.resolver, [record(i, user=f"u{i % 5}") for i in range(40)])
    with store.engine.begin() as conn:  # spread the ids so that the range splits
        conn.execute(update(ListeningEvent).values(id=ListeningEvent.id * 100_000))
    monkeypatch.setattr("models.columnar.os.cpu_count", lambda: 3)
    e = ListeningEvent
    spec = [Column("id", e.id, "int64"), Column("user_id", e.user_id, "int64")]
    fast = scan(store.engine, spec, from_=e.__table__, key=e.id)
    slow = _scan_rows(store.engine, spec, e.__table__, [])
    assert sorted(fast["id"].tolist()) == sorted(slow["id"].tolist())
    assert len(fast["id"]) == 40
    assert sorted(zip(*fast.values(), strict=True)) == sorted(zip(*slow.values(), strict=True))
