"""The rollup tables: one row per listener, local day and (platform, country, kind).

Every metric endpoint reads this table instead of the events: a year of 5M events is about
a million rows here, and each metric is one grouped query over an index. A rollup belongs
to one IANA time zone (``metrics_rollups``), so a day is a local day there, DST-correct;
a second zone gets a rollup of its own the first time it is asked for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.listening import PLATFORM_LENGTH

ZONE_LENGTH = 64


class MetricsRollup(Base):
    """One maintained rollup: its zone and how far into the events and served lists it is.

    ``event_watermark`` and ``served_watermark`` are the highest ``listening_events.id``
    and ``served_recommendations.id`` already summarised; listeners with rows above them
    are summarised again on the next refresh.
    """

    __tablename__ = "metrics_rollups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(ZONE_LENGTH), unique=True)
    event_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    served_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MetricsUserDay(Base):
    """A listener's non-private listening on one local day, split by platform, country and
    item kind ('' where unknown). Sessions count where they start."""

    __tablename__ = "metrics_user_days"
    __table_args__ = (
        Index("ix_metrics_user_days_rollup_day_user", "rollup_id", "day", "user_id"),
        Index("ix_metrics_user_days_rollup_user_day", "rollup_id", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rollup_id: Mapped[int] = mapped_column(ForeignKey("metrics_rollups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)  # local days since 1970-01-01
    month: Mapped[int] = mapped_column(Integer)  # local months since 1970-01
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    kind: Mapped[str] = mapped_column(String(16))
    plays: Mapped[int] = mapped_column(Integer)
    ms_played: Mapped[int] = mapped_column(BigInteger)
    streams: Mapped[int] = mapped_column(Integer)
    skips: Mapped[int] = mapped_column(Integer)
    skip_known: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    session_ms: Mapped[int] = mapped_column(BigInteger)
    ms_new_artist: Mapped[int] = mapped_column(BigInteger)
    rec_plays: Mapped[int] = mapped_column(Integer)
    ms_rec: Mapped[int] = mapped_column(BigInteger)
