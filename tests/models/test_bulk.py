"""Bulk-load settings: deferred indexes always come back, checks are always restored."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from models.bulk import bulk_event_load, deferrable_indexes, restore_indexes
from service.store import Store

DEFERRABLE = {"ix_listening_events_item_id", "ix_listening_events_ts"}


def event_indexes(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {str(ix["name"]) for ix in inspect(conn).get_indexes("listening_events")}


def test_the_deferrable_indexes_are_the_non_unique_ones() -> None:
    assert {str(ix.name) for ix in deferrable_indexes()} == DEFERRABLE


def test_a_big_load_defers_the_indexes_and_rebuilds_them(store: Store) -> None:
    with store.engine.connect() as conn, bulk_event_load(conn, 1_000_000) as deferred:
        assert deferred
        assert not DEFERRABLE & event_indexes(store)
    assert event_indexes(store) >= DEFERRABLE


def test_a_small_load_keeps_the_indexes(store: Store) -> None:
    with store.engine.connect() as conn, bulk_event_load(conn, 5_000) as deferred:
        assert not deferred
        assert event_indexes(store) >= DEFERRABLE


def test_indexes_come_back_when_the_load_fails(store: Store) -> None:
    with store.engine.connect() as conn:
        with pytest.raises(ZeroDivisionError), bulk_event_load(conn, 1_000_000):
            conn.exec_driver_sql("SELECT 1")  # a batch's transaction, left open by the error
            1 / 0  # noqa: B018
        assert not conn.in_transaction()
    assert event_indexes(store) >= DEFERRABLE


def test_the_next_load_restores_indexes_a_killed_load_left_missing(store: Store) -> None:
    with store.engine.begin() as conn:
        for index in deferrable_indexes():
            index.drop(conn)
    with store.engine.connect() as conn, bulk_event_load(conn, 10) as deferred:
        assert not deferred
    assert event_indexes(store) >= DEFERRABLE
    with store.engine.connect() as conn:
        restore_indexes(conn)  # idempotent


def test_trusted_rows_turn_sqlite_checks_back_on_afterwards(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the checks skipped for trusted rows are SQLite pragmas")
    pragmas = ("foreign_keys", "ignore_check_constraints", "cache_size")
    with store.engine.connect() as conn:

        def values() -> list[object]:
            return [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in pragmas]

        before = values()
        conn.rollback()
        with bulk_event_load(conn, 10, trusted_rows=True):
            assert values() == [0, 1, -256 * 1024]
            conn.rollback()
        assert values() == before == [1, 0, before[2]]
