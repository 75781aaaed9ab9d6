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

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime

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


def record_served(session: Session, lists: Iterable[ServedList]) -> int:
    """Insert ``lists`` in one statement (the caller commits); returns how many."""
    rows = [
        {
            "rec_id": s.rec_id, "user_id": s.user_id, "served_at": s.served_at,
            "model_version_id": s.model_version_id, "source": s.source,
            "item_ids": [int(i) for i in s.item_ids], "experiment_id": s.experiment_id,
            "arm": s.arm,
        }
        for s in lists
    ]  # fmt: skip
    if rows:
        session.execute(insert(ServedRecommendation), rows)
    return len(rows)


def served_between(session: Session, start: datetime, end: datetime) -> list[ServedRecommendation]:
    """Lists served in ``[start, end)``, oldest first."""
    stmt = (
        select(ServedRecommendation)
        .where(ServedRecommendation.served_at >= start, ServedRecommendation.served_at < end)
        .order_by(ServedRecommendation.served_at, ServedRecommendation.id)
    )
    return list(session.scalars(stmt))
