"""Served recommendation lists: what the service answered, so plays can be attributed.

Every list the API returns carries a ``rec_id``; clients send it back on the events the
list led to. Keeping the list itself (which items, in which order, from which model
version, source and experiment arm) is what turns those ids into click-through and
recommendation-attributed listening. Rows are written in batches by the server (see
``record_served``); deleting a listener deletes their lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime, as_utc
from models.dialect import sqlite_timestamp

REC_ID_LENGTH = 64
SOURCE_LENGTH = 16
ARM_LENGTH = 64


class ServedRecommendation(Base):
    __tablename__ = "served_recommendations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rec_id: Mapped[str] = mapped_column(String(REC_ID_LENGTH), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)
    model_version_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    item_ids: Mapped[list[int]] = mapped_column(JSON)
    experiment_id: Mapped[int | None] = mapped_column(Integer)
    arm: Mapped[str | None] = mapped_column(String(ARM_LENGTH))

    __table_args__ = (
        Index("ix_served_recommendations_user_served", "user_id", "served_at"),
        Index("ix_served_recommendations_served_at", "served_at"),
    )


@dataclass(frozen=True, slots=True)
class ServedList:
    """One answer as the server hands it over for storing.

    ``user_id`` is the store id, or None for an anonymous (seed-only) request;
    ``source`` says where the items came from (``model``, ``popular``, ``seeds``, ...).
    """

    rec_id: str
    user_id: int | None
    served_at: datetime
    model_version_id: int | None
    source: str
    item_ids: Sequence[int]
    experiment_id: int | None = None
    arm: str | None = None


SERVED_COLUMNS = (
    "rec_id", "user_id", "served_at", "model_version_id", "source", "item_ids",
    "experiment_id", "arm",
)  # fmt: skip
_INSERT = f"INSERT INTO {ServedRecommendation.__tablename__} ({', '.join(SERVED_COLUMNS)}) "
_UNPACK = {
    # json_extract rather than ->> (SQLite 3.38+): an array comes back as its JSON text
    "sqlite": "SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(SERVED_COLUMNS)))
    + " FROM json_each(?)",
    "postgresql": "SELECT v->>0, (v->>1)::bigint, (v->>2)::timestamp AT TIME ZONE 'UTC',"
    " (v->>3)::integer, v->>4, v->5, (v->>6)::integer, v->>7"
    " FROM json_array_elements(%s::json) AS v",
}


def record_served(session: Session, lists: Iterable[ServedList]) -> int:
    """Insert ``lists`` in the given order (the caller commits); returns how many. A
    duplicate ``rec_id`` is an ``IntegrityError`` and writes none of them.

    The server writes every list it answers from a background thread that shares the
    worker's GIL with the requests, so this is on its hot path, and what costs there is
    less the work than the GIL: each call into the driver releases it, and taking it
    back makes the request thread give it up. A driver's ``executemany`` does that for
    every row (a batch of 500 took seconds under load); so does a multi-row ``VALUES``
    per statement, which cost the request thread 25-30 µs a list in process
    (``bench/served_log.py``). Here the whole batch is one JSON parameter (one orjson
    call) of one ``INSERT ... SELECT`` that unpacks it in the store (``json_each`` /
    ``json_array_elements``). Times are the naive UTC text SQLAlchemy's SQLite
    ``DateTime`` stores, which PostgreSQL reads as UTC."""
    rows = [
        (s.rec_id, s.user_id, sqlite_timestamp(as_utc(s.served_at)), s.model_version_id,
         s.source, s.item_ids, s.experiment_id, s.arm)
        for s in lists
    ]  # fmt: skip
    if not rows:
        return 0
    conn = session.connection()
    batch = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    conn.exec_driver_sql(_INSERT + _UNPACK[conn.dialect.name], (batch,))
    return len(rows)


def served_between(session: Session, start: datetime, end: datetime) -> list[ServedRecommendation]:
    """Lists served in ``[start, end)``, oldest first."""
    stmt = (
        select(ServedRecommendation)
        .where(ServedRecommendation.served_at >= start, ServedRecommendation.served_at < end)
        .order_by(ServedRecommendation.served_at, ServedRecommendation.id)
    )
    return list(session.scalars(stmt))
