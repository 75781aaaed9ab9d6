"""Loading many events at once through :func:`models.ingest.insert_event_rows`, faster.

Measured on SQLite (5M events into an empty table, 100,000-row commits):

- Maintaining the two non-unique indexes of ``listening_events`` (by ``ts`` and by
  ``item_id``, whose entries land at random places) is about a third of the time;
  dropping them and building them again afterwards (one sort each) costs a tenth
  of that. So a load that is large next to the table defers them. The unique
  indexes stay: they are what makes loading idempotent.
- Rows that code built from the resolver's ids and the ``EventSource`` enum cannot
  break a foreign key or the ``source`` CHECK, yet checking costs SQLite another
  third: the CHECK's ``IN (...)`` list is rebuilt for every row of an
  ``executemany``. A caller vouching for its rows (``trusted_rows``) skips both.
- A bigger page cache helps a load that keeps the indexes (1M events into a table
  of 5M: 22 s down to 19 s) but slows rebuilding them, so it is reset before that.

On PostgreSQL only the index deferral applies, with more sort memory for the rebuild.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Index, Table, func, select
from sqlalchemy.engine import Connection

from models.listening import ListeningEvent

log = logging.getLogger(__name__)

events_t: Table = ListeningEvent.__table__  # type: ignore[assignment]
DEFER_MIN_ROWS = 100_000
DEFER_SHARE = 0.25  # defer when a load adds at least this share of the rows already there
PG_REBUILD_MEMORY = "256MB"
SQLITE_CACHE_KIB = 256 * 1024


def deferrable_indexes() -> list[Index]:
    """The indexes a bulk load may drop and rebuild: the non-unique ones."""
    return sorted((ix for ix in events_t.indexes if not ix.unique), key=lambda ix: str(ix.name))


def restore_indexes(conn: Connection) -> None:
    """Create every deferrable index that is missing, e.g. after a load that was killed."""
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{PG_REBUILD_MEMORY}'")
        for index in deferrable_indexes():
            index.create(conn, checkfirst=True)


def should_defer(conn: Connection, expected_rows: int) -> bool:
    """Whether rebuilding beats maintaining: the load is big, and big next to the table."""
    with conn.begin():
        highest = conn.scalar(select(func.max(events_t.c.id))) or 0
    return expected_rows >= max(DEFER_MIN_ROWS, DEFER_SHARE * highest)


def _set_pragmas(conn: Connection, values: dict[str, object], before: dict[str, object]) -> None:
    """Set SQLite PRAGMAs on this connection, noting each one's old value in ``before``."""
    with conn.begin():  # pysqlite issues no BEGIN for a PRAGMA, so these take effect
        for pragma, value in values.items():
            before[pragma] = conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
            conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")


@contextmanager
def bulk_event_load(
    conn: Connection, expected_rows: int, *, trusted_rows: bool = False
) -> Iterator[bool]:
    """Prepare ``conn`` for inserting about ``expected_rows`` events; yields whether the
    non-unique indexes were deferred.

    Enter it outside a transaction and commit batches inside it. On SQLite the
    connection gets a bigger page cache; ``trusted_rows`` promises that every row
    carries ids just returned by the resolver and a valid ``source``, and SQLite then
    skips checking foreign keys and CHECK constraints on this connection. Indexes are
    rebuilt and settings restored on the way out, also when the load fails; a load
    killed outright leaves the indexes missing (reads by time or item get slower,
    never wrong) until the next bulk load, which restores them first.
    """
    restore_indexes(conn)
    defer = should_defer(conn, expected_rows)
    pragmas: dict[str, object] = {}
    if conn.dialect.name == "sqlite":
        pragmas["cache_size"] = -SQLITE_CACHE_KIB
        if trusted_rows:
            pragmas.update(foreign_keys="OFF", ignore_check_constraints="ON")
    before: dict[str, object] = {}
    try:
        if defer:
            log.debug("deferring the non-unique listening_events indexes: %d rows", expected_rows)
            with conn.begin():
                for index in deferrable_indexes():
                    index.drop(conn, checkfirst=True)
        _set_pragmas(conn, pragmas, before)
        yield defer
    finally:
        if conn.in_transaction():
            conn.rollback()
        try:
            _set_pragmas(conn, before, {})
        finally:
            if defer:
                restore_indexes(conn)
                log.debug("rebuilt the non-unique listening_events indexes")
