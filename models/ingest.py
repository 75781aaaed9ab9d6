"""The bulk path: every event and feedback record enters the store through here.

Events are inserted with one multi-row statement per batch and duplicates are
dropped by the unique indexes (``ON CONFLICT DO NOTHING`` on SQLite; ``COPY`` into a
temporary table, then ``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL), so a
re-sent event is stored once even when both copies arrive at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from models.dialect import copy_rows, driver_cursor, insert_ignore_one, sqlite_timestamp
from models.listening import Feedback, ListeningEvent
from models.records import EventRecord, FeedbackRecord, IngestResult, Rejection
from models.resolve import CatalogResolver, Resolution

events_t: Table = ListeningEvent.__table__  # type: ignore[assignment]
feedback_t: Table = Feedback.__table__  # type: ignore[assignment]

EVENT_COLUMNS = (
    "user_id", "item_id", "ts", "ms_played", "skipped", "reason_start", "reason_end",
    "shuffle", "offline", "private", "platform", "country", "source", "client_event_id",
    "rec_id",
)  # fmt: skip
_COLS = ", ".join(EVENT_COLUMNS)
# ON CONFLICT DO NOTHING, not INSERT OR IGNORE: the latter would also swallow CHECK
# and NOT NULL violations and count a broken row as a duplicate.
_SQLITE_INSERT = (
    f"INSERT INTO {events_t.name} ({_COLS}) "
    f"VALUES ({', '.join('?' for _ in EVENT_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_PG_STAGE = "encore_events_in"
_PG_CREATE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_PG_STAGE} ON COMMIT DELETE ROWS AS "
    f"SELECT {_COLS} FROM {events_t.name} WITH NO DATA"
)
_PG_COPY = f"COPY {_PG_STAGE} ({_COLS}) FROM STDIN"
_PG_MERGE = (
    f"INSERT INTO {events_t.name} ({_COLS}) SELECT {_COLS} FROM {_PG_STAGE} ON CONFLICT DO NOTHING"
)

UNKNOWN_ITEM = "unknown external id and no artist and title to create the item from"


def insert_event_rows(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows already in :data:`EVENT_COLUMNS` order with resolved ids; returns how many
    were new (the rest were duplicates). ``ts`` is a UTC datetime, or text already in the
    backend's form (see :func:`ts_text`). Runs inside the caller's transaction."""
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql(_SQLITE_INSERT, list(rows)).rowcount
    with driver_cursor(conn) as cur:
        cur.execute(_PG_CREATE_STAGE)
        copy_rows(cur, _PG_COPY, rows)
        cur.execute(_PG_MERGE)
        inserted: int = cur.rowcount
        cur.execute(f"TRUNCATE {_PG_STAGE}")
    return inserted


def ts_text(stamps: npt.NDArray[np.datetime64], dialect: str) -> list[str]:
    """UTC ``datetime64`` values as the text each backend stores or parses, vectorised."""
    text = np.datetime_as_string(stamps.astype("datetime64[us]"), unit="us")
    spaced = np.char.replace(text, "T", " ")
    if dialect != "sqlite":
        spaced = np.char.add(spaced, "+00")
    return [str(value) for value in spaced.tolist()]


def ingest_batch(
    conn: Connection, resolver: CatalogResolver, records: Sequence[EventRecord]
) -> tuple[IngestResult, Resolution]:
    """Resolve and insert ``records`` inside the caller's transaction.

    Publish the returned :class:`Resolution` only after that transaction commits.
    Rejections carry the record's index in ``records``.
    """
    sqlite = conn.dialect.name == "sqlite"
    result = IngestResult()
    res = resolver.resolve(conn, {r.user for r in records}, [r.item for r in records])
    rows = []
    for index, (r, item_id) in enumerate(zip(records, res.item_ids, strict=True)):
        if item_id is None:
            result.rejected.append(Rejection(index, "item", UNKNOWN_ITEM))
            continue
        rows.append((
            res.user_ids[r.user], item_id, sqlite_timestamp(r.ts) if sqlite else r.ts,
            r.ms_played, r.skipped, r.reason_start, r.reason_end, r.shuffle, r.offline,
            r.private, r.platform, r.country, r.source.value, r.client_event_id, r.rec_id,
        ))  # fmt: skip
    result.accepted = insert_event_rows(conn, rows)
    result.duplicates = len(rows) - result.accepted
    return result, res


def ingest_events(
    engine: Engine, resolver: CatalogResolver, records: Sequence[EventRecord]
) -> IngestResult:
    """Store ``records`` in one transaction; all of them or, on error, none."""
    with engine.begin() as conn:
        result, res = ingest_batch(conn, resolver, records)
    res.publish()
    return result


def ingest_feedback(
    engine: Engine, resolver: CatalogResolver, records: Sequence[FeedbackRecord]
) -> IngestResult:
    """Store explicit feedback; the same (user, item, kind, ts) is stored once."""
    result = IngestResult()
    with engine.begin() as conn:
        res = resolver.resolve(conn, {r.user for r in records}, [r.item for r in records])
        for index, (r, item_id) in enumerate(zip(records, res.item_ids, strict=True)):
            if item_id is None:
                result.rejected.append(Rejection(index, "item", UNKNOWN_ITEM))
                continue
            row = {"user_id": res.user_ids[r.user], "item_id": item_id, "kind": r.kind, "ts": r.ts}
            if insert_ignore_one(conn, feedback_t, row):
                result.accepted += 1
            else:
                result.duplicates += 1
    res.publish()
    return result
