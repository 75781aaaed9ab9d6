"""The rollup tables: one row per listener, local day and (platform, country, kind).

A rollup belongs to one IANA time zone (``metrics_rollups``), so a day is a local day
there, DST-correct; a second zone gets a rollup of its own the first time it is asked for.
Three tables, each summing the one before, so no metric reads more than a few thousand rows
for a year:

- ``metrics_user_days``: a listener's day by (platform, country, kind), clustered by day
  on SQLite (``WITHOUT ROWID``) so a range of days is one sequential read;
- ``metrics_periods``: per day, Monday-start week and month (``granularity`` d, w, m) and
  breakdown value, the sums, distinct active listeners, new listeners, and (daily) the
  trailing 7- and 30-day distinct listeners (WAU, MAU);
- ``metrics_cohorts``: listeners by week of first listen and week active.

Two more tables serve the artist stats, kept per listener so a refresh rewrites a stale
listener's rows and erasing a listener erases theirs:

- ``metrics_artist_days``: a listener's plays of one artist on one local day in one
  country, clustered by (artist, country, day);
- ``metrics_artist_track_days``: the same by track, clustered by (artist, track, day).

Distinct listeners over any range of days are exact without a distinct count: each row
carries the listener's previous day with the artist (with the artist in that country;
with the track), so a listener counts once, on the row whose previous day is before the
range (``NO_DAY`` when there is none).

Every count in the last two is a sum over listeners, so re-summarising some listeners
subtracts what they contributed and adds what they contribute now.
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
        Index("ix_metrics_user_days_rollup_user_day", "rollup_id", "user_id", "day"),
        {"sqlite_with_rowid": False},
    )

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # local days since 1970-01-01
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[int] = mapped_column(Integer)  # local months since 1970-01
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


class MetricsPeriod(Base):
    """Sums and listener counts of one period and breakdown value (``dim`` '' and
    ``value`` '' for everyone). ``wau`` and ``mau`` are kept on daily rows only."""

    __tablename__ = "metrics_periods"

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    granularity: Mapped[str] = mapped_column(String(1), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(PLATFORM_LENGTH), primary_key=True)
    plays: Mapped[int] = mapped_column(BigInteger, default=0)
    ms_played: Mapped[int] = mapped_column(BigInteger, default=0)
    streams: Mapped[int] = mapped_column(BigInteger, default=0)
    skips: Mapped[int] = mapped_column(BigInteger, default=0)
    skip_known: Mapped[int] = mapped_column(BigInteger, default=0)
    sessions: Mapped[int] = mapped_column(BigInteger, default=0)
    session_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    ms_new_artist: Mapped[int] = mapped_column(BigInteger, default=0)
    rec_plays: Mapped[int] = mapped_column(BigInteger, default=0)
    ms_rec: Mapped[int] = mapped_column(BigInteger, default=0)
    users: Mapped[int] = mapped_column(BigInteger, default=0)
    new_users: Mapped[int] = mapped_column(BigInteger, default=0)
    wau: Mapped[int] = mapped_column(BigInteger, default=0)
    mau: Mapped[int] = mapped_column(BigInteger, default=0)
    served_lists: Mapped[int] = mapped_column(BigInteger, default=0)
    clicked_lists: Mapped[int] = mapped_column(BigInteger, default=0)


class MetricsUserServed(Base):
    """Lists served to a listener on a local day (by ``served_at``), and how many of them
    they streamed an item of within 24 hours: click-through without a JSON scan per
    request."""

    __tablename__ = "metrics_user_served"
    __table_args__ = (
        Index("ix_metrics_user_served_rollup_user", "rollup_id", "user_id"),
        {"sqlite_with_rowid": False},
    )

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lists: Mapped[int] = mapped_column(Integer)
    clicked: Mapped[int] = mapped_column(Integer)


class MetricsCohort(Base):
    """Listeners whose first listen fell in ``cohort`` (a Monday-start week number) and who
    listened in ``week``."""

    __tablename__ = "metrics_cohorts"

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    cohort: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    users: Mapped[int] = mapped_column(BigInteger, default=0)


NO_DAY = -1_000_000
"""The previous day of a listener's first row: before any date a request can name."""


class MetricsArtistDay(Base):
    """A listener's non-private plays of one artist on one local day in one country ('' when
    unknown). ``prev_day``: the listener's previous row with the artist (by day, then
    country), ``prev_country_day``: their previous day with the artist in this country."""

    __tablename__ = "metrics_artist_days"
    __table_args__ = (
        Index("ix_metrics_artist_days_rollup_user", "rollup_id", "user_id"),
        {"sqlite_with_rowid": False},
    )

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    plays: Mapped[int] = mapped_column(Integer)
    streams: Mapped[int] = mapped_column(Integer)
    ms_played: Mapped[int] = mapped_column(BigInteger)
    prev_day: Mapped[int] = mapped_column(Integer)
    prev_country_day: Mapped[int] = mapped_column(Integer)


class MetricsArtistTrackDay(Base):
    """A listener's non-private plays of one track on one local day; ``prev_day``: their
    previous day with the track."""

    __tablename__ = "metrics_artist_track_days"
    __table_args__ = (
        Index("ix_metrics_artist_track_days_rollup_user", "rollup_id", "user_id"),
        {"sqlite_with_rowid": False},
    )

    rollup_id: Mapped[int] = mapped_column(
        ForeignKey("metrics_rollups.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    plays: Mapped[int] = mapped_column(Integer)
    streams: Mapped[int] = mapped_column(Integer)
    ms_played: Mapped[int] = mapped_column(BigInteger)
    prev_day: Mapped[int] = mapped_column(Integer)
