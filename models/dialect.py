"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    SQLColumnExpression,
    Table,
    cast,
    extract,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

CHUNK = 500


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def fetch_ids(
    conn: Connection, table: Table, columns: Sequence[str], keys: Sequence[Any]
) -> dict[Any, int]:
    """Map each key (a value, or a tuple for several columns) present in ``table`` to its id.

    PostgreSQL joins against ``unnest`` of one array per column, which uses the unique
    index; a long ``(a, b) IN (...)`` list there is planned an order of magnitude slower.
    """
    found: dict[Any, int] = {}
    single = len(columns) == 1
    cols = [table.c[name] for name in columns]
    if conn.dialect.name == "postgresql":
        types = ["bigint" if isinstance(c.type, Integer) else "text" for c in cols]
        arrays = ", ".join(f"CAST(:k{n} AS {t}[])" for n, t in enumerate(types))
        names = ", ".join(columns)
        on = " AND ".join(f"t.{name} = k.{name}" for name in columns)
        stmt = text(
            f"SELECT t.id, {', '.join('t.' + n for n in columns)} FROM {table.name} t "
            f"JOIN unnest({arrays}) AS k({names}) ON {on}"
        )
        for chunk in _chunks(keys, 5 * CHUNK):
            tuples = [(key,) if single else key for key in chunk]
            params = {f"k{n}": [_plain(k[n]) for k in tuples] for n in range(len(columns))}
            for row in conn.execute(stmt, params):
                values = [_plain(v) for v in row[1:]]
                found[values[0] if single else tuple(values)] = row[0]
        return found
    target: ColumnElement[Any] = cols[0] if single else tuple_(*cols)
    for chunk in _chunks(keys):
        for row in conn.execute(select(table.c.id, *cols).where(target.in_(chunk))):
            values = [_plain(v) for v in row[1:]]
            found[values[0] if single else tuple(values)] = row[0]
    return found


def _insert_ignore_stmt(conn: Connection, table: Table) -> Any:
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    return module.insert(table).on_conflict_do_nothing()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, silently skipping any that would violate a unique constraint."""
    if rows:
        conn.execute(_insert_ignore_stmt(conn, table), list(rows))


def insert_ignore_one(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert one row unless it violates a unique constraint; True when it was new."""
    stmt = _insert_ignore_stmt(conn, table).returning(*table.primary_key.columns)
    return conn.execute(stmt, row).first() is not None


def epoch_us(dialect: str, column: SQLColumnExpression[Any]) -> ColumnElement[int]:
    """``column`` (a UTC timestamp) as integer epoch microseconds, computed by the database.

    SQLite stores ``YYYY-MM-DD HH:MM:SS.ffffff`` text: whole seconds from ``strftime`` plus
    the six fraction digits. ``strftime`` is given the whole seconds only: it parses the
    fraction to milliseconds and rounds, so ``...:12.999769`` would come out as second 13.
    PostgreSQL's ``EXTRACT(EPOCH ...)`` is exact ``numeric``.
    """
    if dialect == "sqlite":
        seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)
        return seconds * 1_000_000 + cast(func.substr(column, 21, 6), Integer)
    return cast(func.round(extract("epoch", column) * 1_000_000), BigInteger)


def sqlite_timestamp(ts: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores for the aware ``ts`` (naive UTC, always
    six fraction digits), so rows written raw and through the ORM compare equal."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds")


def insert_rows(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[Any]) -> None:
    """Insert plain tuples of ``names``' values, many at a time: a driver ``executemany``
    on SQLite, ``COPY`` on PostgreSQL (both several times faster than building a dict
    per row for SQLAlchemy)."""
    columns = ", ".join(names)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"
        conn.exec_driver_sql(sql, list(rows))
        return
    with driver_cursor(conn) as cur:
        copy_rows(cur, f"COPY {table.name} ({columns}) FROM STDIN", rows)


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[Any]:
    """The driver's own cursor on ``conn`` (for ``COPY``), its errors raised as SQLAlchemy
    raises them (``IntegrityError``, ``OperationalError``, ...) so callers catch one kind."""
    raw = conn.connection.driver_connection
    assert raw is not None
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cur:
            yield cur
    except dbapi_error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi_error) from exc


def copy_rows(cur: Any, statement: str, rows: Iterable[Any]) -> None:
    """Stream ``rows`` (tuples in the statement's column order) through ``COPY ... FROM STDIN``."""
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
