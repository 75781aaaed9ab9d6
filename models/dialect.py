"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def _insert_ignore_stmt(conn: Connection, table: Table) -> Any:
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    return module.insert(table).on_conflict_do_nothing()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, silently skipping any that would violate a unique constraint."""
    if rows:
        conn.execute(_insert_ignore_stmt(conn, table), list(rows))


def insert_ignore_one(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert one row unless it violates a unique constraint; True when it was new."""
    return bool(conn.execute(_insert_ignore_stmt(conn, table), row).rowcount == 1)
