"""Whole-table scans straight into numpy columns, without a Python object per value.

Training reads millions of plays; through the DB-API every value becomes a Python object
(about 7.6 s of CPU for 5M plays on SQLite, four times the database's own scan). Here:

- **SQLite** (a database file): Apache Arrow's ADBC driver runs the query and fills Arrow
  arrays in C; timestamps (stored as UTC text) are parsed by Arrow's ISO 8601 cast. It runs
  in a forked child process (see :func:`_scan_sqlite_file` for why) and the columns come
  back through a pipe as raw buffers.
- **PostgreSQL**: ``COPY (query) TO STDOUT (FORMAT BINARY)`` through psycopg. Every column
  is fixed-width and never NULL (the caller coalesces), so each row has the same size and
  numpy reads the stream as a big-endian structured array; ``timestamptz`` arrives as
  microseconds since 2000-01-01.
- Anything else (an in-memory SQLite database) streams through SQLAlchemy.

A :class:`Column` names an expression and its numpy kind. Timestamps come back as integer
Unix microseconds on every path.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, Boolean, Integer, cast, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from models.dialect import epoch_us
from models.errors import StoreError

log = logging.getLogger(__name__)

Kind = Literal["int64", "int32", "bool", "ts_us"]
_PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01 in Unix microseconds
_PG_TYPES: dict[Kind, tuple[Any, str, int]] = {
    "int64": (BigInteger, ">i8", 8),
    "int32": (Integer, ">i4", 4),
    "bool": (Boolean, "?", 1),
    "ts_us": (None, ">i8", 8),
}
_OUT: dict[Kind, type[np.generic]] = {
    "int64": np.int64, "int32": np.int32, "bool": np.bool_, "ts_us": np.int64
}  # fmt: skip
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4, zero)
_COPY_BLOCK = 8 << 20


@dataclass(frozen=True)
class Column:
    """One output column: a SQL expression (never NULL) and what it holds."""

    name: str
    expr: ColumnElement[Any] | InstrumentedAttribute[Any]
    kind: Kind


Columns = dict[str, npt.NDArray[Any]]


def scan(
    engine: Engine,
    columns: Sequence[Column],
    *,
    from_: Any,
    where: Sequence[ColumnElement[bool]] = (),
    key: ColumnElement[int] | InstrumentedAttribute[int] | None = None,
) -> Columns:
    """``SELECT columns FROM from_ WHERE where`` as one numpy array per column name.

    With ``key`` (an indexed integer column, the primary key), SQLite scans ranges of it
    in parallel, one process per core; the row order then follows ``key``'s ranges.
    """
    backend = engine.dialect.name
    if backend == "postgresql":
        return _scan_postgresql(engine, columns, from_, where)
    database = engine.url.database
    if backend == "sqlite" and database and database != ":memory:":
        if "fork" not in multiprocessing.get_all_start_methods():
            return _scan_rows(engine, columns, from_, where)
        ranges: list[list[Any]] = [list(where)]
        if key is not None and (os.cpu_count() or 1) > 1:
            ranges = [[*where, *part] for part in _key_ranges(engine, key, from_)]
        sql = [_sql(engine, [c.expr.label(c.name) for c in columns], from_, w) for w in ranges]
        return _scan_sqlite_file(database, sql, columns)
    return _scan_rows(engine, columns, from_, where)


def _key_ranges(engine: Engine, key: Any, from_: Any) -> list[list[ColumnElement[bool]]]:
    with engine.connect() as conn:
        low, high = conn.execute(select(func.min(key), func.max(key)).select_from(from_)).one()
    parts = os.cpu_count() or 1
    if low is None or high - low < 100_000 * parts:  # not worth a second process
        return [[]]
    bounds = [low + (high + 1 - low) * n // parts for n in range(parts + 1)]
    return [[key >= a, key < b] for a, b in itertools.pairwise(bounds)]


def _sql(engine: Engine, exprs: Sequence[Any], from_: Any, where: Any) -> str:
    stmt = select(*exprs).select_from(from_).where(*where)
    return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))


def _scan_sqlite_file(database: str, queries: list[str], columns: Sequence[Column]) -> Columns:
    """The Arrow scans, each run in a forked child that sends its columns back over a pipe.

    The ADBC driver links its own copy of SQLite, and two copies of SQLite must never
    open one database file in one process: POSIX locks belong to the process, so when
    one copy closes the file it silently drops the locks the other holds (the stdlib
    connections of this process then fail with "disk I/O error", or worse). A child
    process has locks of its own; several children read key ranges on several cores.
    """
    spec = [(c.name, c.kind) for c in columns]
    ctx = multiprocessing.get_context("fork")
    children = []
    for sql in queries:
        header_in, header_out = ctx.Pipe(duplex=False)
        data_in, data_out = os.pipe()
        child = ctx.Process(
            target=_arrow_child, args=(database, sql, spec, header_out, data_out), daemon=True
        )
        child.start()
        header_out.close()
        os.close(data_out)
        children.append((child, header_in, data_in))
    parts: dict[str, list[npt.NDArray[Any]]] = {c.name: [] for c in columns}
    try:
        for _child, header_in, data_in in children:
            try:
                status, payload = header_in.recv()
            except EOFError:
                raise StoreError(f"cannot read {database}: the reading process died") from None
            if status != "ok":
                raise StoreError(f"cannot read {database}: {payload}")
            with io.FileIO(data_in, "rb", closefd=False) as stream:
                for name, dtype, size in payload:
                    array = np.empty(size, dtype=np.dtype(dtype))
                    _read_into(stream, array.data.cast("B"), database)
                    parts[name].append(array)
    finally:
        for child, header_in, data_in in children:
            header_in.close()
            os.close(data_in)
            child.join()
    return {
        name: arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
        for name, arrays in parts.items()
    }


def _read_into(stream: io.FileIO, buffer: memoryview, database: str) -> None:
    done = 0
    while done < len(buffer):
        n = stream.readinto(buffer[done:])
        if not n:
            raise StoreError(f"cannot read {database}: the reading process stopped early")
        done += n


def _arrow_child(
    database: str, sql: str, spec: list[tuple[str, Kind]], header: Any, data: int
) -> None:
    """In a forked child: run ``sql`` through ADBC, send a header, then each column's bytes."""
    try:
        arrays = _arrow_columns(database, sql, spec)
        header.send(("ok", [(name, a.dtype.str, a.size) for name, a in arrays.items()]))
        with io.FileIO(data, "wb", closefd=False) as stream:
            for a in arrays.values():
                stream.write(np.ascontiguousarray(a).data.cast("B"))
    except BaseException as exc:  # reported to the parent, which raises StoreError
        with contextlib.suppress(OSError):  # the parent gave up on us already
            header.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        header.close()
        os.close(data)


def _arrow_columns(database: str, sql: str, spec: list[tuple[str, Kind]]) -> Columns:
    import adbc_driver_sqlite.dbapi
    import pyarrow as pa

    with adbc_driver_sqlite.dbapi.connect(database) as conn, conn.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    out: Columns = {}
    for name, kind in spec:
        array = table.column(name)
        if kind == "ts_us":
            if array.null_count == len(array):  # no rows: the driver could not type it
                array = array.cast(pa.string())
            array = array.cast(pa.timestamp("us")).cast(pa.int64())
        elif array.type == pa.null():
            array = array.cast(pa.int64())
        out[name] = np.asarray(array.to_numpy(), dtype=_OUT[kind])
    return out


def _scan_postgresql(engine: Engine, columns: Sequence[Column], from_: Any, where: Any) -> Columns:
    exprs = [c.expr if c.kind == "ts_us" else cast(c.expr, _PG_TYPES[c.kind][0]) for c in columns]
    sql = _sql(engine, exprs, from_, where)
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for n, c in enumerate(columns):
        fields += [(f"len{n}", ">i4"), (c.name, _PG_TYPES[c.kind][1])]
    row = np.dtype(fields)
    parts: dict[str, list[npt.NDArray[Any]]] = {c.name: [] for c in columns}
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()  # type: ignore[union-attr]
        with cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
            for block in _rows(copy, row.itemsize):
                records = np.frombuffer(block, dtype=row)
                _check_widths(records, columns)
                for c in columns:
                    parts[c.name].append(records[c.name])
    finally:
        raw.close()
    out: Columns = {}
    for c in columns:
        joined = np.concatenate(parts[c.name]) if parts[c.name] else np.zeros(0, row[c.name])
        values = joined.astype(_OUT[c.kind])
        out[c.name] = values + _PG_EPOCH_US if c.kind == "ts_us" else values
    return out


def _rows(copy: Any, size: int) -> Iterator[bytes]:
    """Whole rows of a binary COPY stream, a few MiB at a time, header and trailer cut."""
    buffer = bytearray()
    header = True
    for data in copy:
        buffer += data
        if header and len(buffer) >= _COPY_HEADER:
            del buffer[:_COPY_HEADER]
            header = False
        if not header and len(buffer) >= _COPY_BLOCK:
            whole = len(buffer) // size * size
            yield bytes(buffer[:whole])
            del buffer[:whole]
    if buffer[-2:] == b"\xff\xff":  # the trailer: a field count of -1
        del buffer[-2:]
    if len(buffer) % size:
        raise ValueError(f"binary COPY ended inside a row ({len(buffer) % size} bytes left)")
    if buffer:
        yield bytes(buffer)


def _check_widths(records: npt.NDArray[Any], columns: Sequence[Column]) -> None:
    ok = (records["count"] == len(columns)).all()
    for n, c in enumerate(columns):
        ok = ok and (records[f"len{n}"] == _PG_TYPES[c.kind][2]).all()
    if not ok:
        raise ValueError("binary COPY rows are not the fixed-width, non-NULL rows expected")


def _scan_rows(engine: Engine, columns: Sequence[Column], from_: Any, where: Any) -> Columns:
    exprs = [
        epoch_us(engine.dialect.name, c.expr) if c.kind == "ts_us" else c.expr for c in columns
    ]
    stmt = select(*exprs).select_from(from_).where(*where)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return {
        c.name: np.asarray(v, dtype=np.int64).astype(_OUT[c.kind])
        for c, v in zip(columns, values, strict=True)
    }
