"""The two inputs the rollup does not hold: feedback counts and served-list click-through,
read for a UTC window and bucketed by local day in numpy.

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

from models.base import UTCDateTime
from models.dialect import epoch_us
from models.listening import Feedback
from models.metrics.localtime import Granularity, bucket_of, local_days
from models.metrics.rollup import STREAM_MS

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


def served_clicks(
    conn: Connection,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    granularity: Granularity,
    *,
    experiment_id: int | None = None,
) -> dict[int, tuple[int, int]]:
    """(lists served, lists clicked) by bucket, for lists served in ``[start, end)``."""
    served_at = epoch_us(conn.dialect.name, literal_column("s.served_at"))
    sql = (
        f"SELECT {served_at.compile(conn, compile_kwargs={'literal_binds': True})}, "
        f"CASE WHEN {CLICKED[conn.dialect.name]} THEN 1 ELSE 0 END "
        "FROM served_recommendations s WHERE s.user_id IS NOT NULL "
        "AND s.served_at >= :start AND s.served_at < :end"
    )
    params: dict[str, object] = {"start": start, "end": end, "stream_ms": STREAM_MS}
    if experiment_id is not None:
        sql += " AND s.experiment_id = :experiment"
        params["experiment"] = experiment_id
    stmt = text(sql).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    rows = np.array(conn.execute(stmt, params).all(), dtype=np.int64).reshape(-1, 2)
    out: dict[int, tuple[int, int]] = {}
    buckets = _buckets(rows[:, 0], zone, granularity)
    for bucket, clicked in zip(buckets, rows[:, 1].tolist(), strict=True):
        lists, hits = out.get(bucket, (0, 0))
        out[bucket] = (lists + 1, hits + clicked)
    return out


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
