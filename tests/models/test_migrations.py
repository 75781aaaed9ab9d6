"""Migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import models.tables  # noqa: F401
from models.base import Base
from models.engine import make_engine
from models.migrate import current_revision, head_revision, is_current, upgrade


def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_on_new_database_is_current_and_repeatable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert is_current(engine)
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert {"users", "items", "artists", "albums", "listening_events", "feedback"} <= names
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()


def test_read_paths_have_indexes(db_url: str) -> None:
    engine = make_engine(db_url)
    indexes = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("listening_events")}
    engine.dispose()
    assert ("user_id", "ts", "item_id", "ms_played") in indexes  # a user's history by time
    assert ("item_id",) in indexes  # per item
    assert ("ts",) in indexes  # by time


def test_upgrade_restores_event_indexes_a_killed_load_dropped(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_listening_events_ts"))
    upgrade(engine)
    names = {ix["name"] for ix in inspect(engine).get_indexes("listening_events")}
    engine.dispose()
    assert "ix_listening_events_ts" in names
