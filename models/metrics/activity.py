"""Inputs read beside the events: feedback counts for a window (bucketed by local day in
numpy), and served lists with whether each was clicked (kept in the rollup per listener).

A served list is **clicked** when the listener it was served to streamed (30 s or more,
not private) one of its items within 24 hours after it was served. Lists served to
anonymous requests have no listener to follow and are left out.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Table, bindparam, literal_column, select, text
from sqlalchemy.engine import Connection

from models.dialect import epoch_us
from models.listening import Feedback
from models.metrics import STREAM_MS
from models.metrics.localtime import Granularity, bucket_of, local_days

feedback_t: Table = Feedback.__table__  # type: ignore[assignment]

# Whether served list ``s`` was clicked: its listener streamed one of its items within 24 h.

CLICKED = {
    "sqlite": """
        EXISTS (SELECT 1 FROM json_each(s.item_ids) j
                JOIN listening_events e ON e.item_id = j.value
                WHERE e.user_id = s.user_id AND e.ts >= s.served_at
                  AND e.ts < strftime('%Y-%m-%d %H:%M:%f', s.served_at, '+1 day')
                  AND e.private = 0 AND e.ms_played >= :stream_ms)""",
    "postgresql": """
        EXISTS (SELECT 1 FROM json_array_elements_text(s.item_ids) j(v)
                JOIN listening_events e ON e.item_id = j.v::bigint
                WHERE e.user_id = s.user_id AND e.ts >= s.served_at
                  AND e.ts < s.served_at + interval '1 day'
                  AND NOT e.private AND e.ms_played >= :stream_ms)""",
}


def _buckets(ts_us: np.ndarray, zone: ZoneInfo, granularity: Granularity) -> list[int]:
    return [bucket_of(int(d), granularity) for d in local_days(ts_us, zone).tolist()]


def feedback_counts(
    conn: Connection, start: datetime, end: datetime, zone: ZoneInfo, granularity: Granularity
) -> dict[int, dict[str, int]]:
    """Feedback by bucket and kind (``like``, ``save``, ...) given in ``[start, end)``."""
    stmt = select(epoch_us(conn.dialect.name, feedback_t.c.ts), feedback_t.c.kind).where(
        feedback_t.c.ts >= start, feedback_t.c.ts < end
    )
    rows = conn.execute(stmt).all()
    out: dict[int, dict[str, int]] = {}
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    for bucket, (_, kind) in zip(_buckets(ts, zone, granularity), rows, strict=True):
        counts = out.setdefault(bucket, {})
        name = str(getattr(kind, "value", kind))
        counts[name] = counts.get(name, 0) + 1
    return out


def served_by_user_day(
    conn: Connection, zone: ZoneInfo, user_ids: list[int] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(user, local day, lists, clicked) per listener and day, for the lists served to
    ``user_ids`` (None: everyone), sorted by user and day."""
    served_at = epoch_us(conn.dialect.name, literal_column("s.served_at"))
    compiled = served_at.compile(conn, compile_kwargs={"literal_binds": True})
    sql = (
        f"SELECT s.user_id, {compiled}, CASE WHEN {CLICKED[conn.dialect.name]} THEN 1 ELSE 0 END "
        "FROM served_recommendations s WHERE s.user_id IS NOT NULL"
    )
    stmt = text(sql)
    if user_ids is not None:
        stmt = text(sql + " AND s.user_id IN :users").bindparams(bindparam("users", expanding=True))
    params: dict[str, object] = {"stream_ms": STREAM_MS}
    if user_ids is not None:
        params["users"] = list(user_ids)
    rows = np.array(conn.execute(stmt, params).all(), dtype=np.int64).reshape(-1, 3)
    if rows.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    days = local_days(rows[:, 1], zone)
    keys = rows[:, 0] * 10_000_000 + days
    uniq, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    lists = np.bincount(inverse, minlength=uniq.size).astype(np.int64)
    clicked = np.bincount(inverse, weights=rows[:, 2], minlength=uniq.size).astype(np.int64)
    return uniq // 10_000_000, uniq % 10_000_000, lists, clicked
