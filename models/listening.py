"""Listening events and explicit feedback: the history everything else reads."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow


class EventSource(enum.StrEnum):
    api = "api"
    spotify = "spotify"
    lastfm = "lastfm"
    listenbrainz = "listenbrainz"
    csv = "csv"
    synthetic = "synthetic"
    sample = "sample"


class FeedbackKind(enum.StrEnum):
    like = "like"
    unlike = "unlike"
    save = "save"
    share = "share"


REASON_LENGTH = 32
PLATFORM_LENGTH = 128
CLIENT_ID_LENGTH = 128


class ListeningEvent(Base):
    """One play of one item by one user.

    ``ts`` is when playback started, in UTC. Two uniqueness rules make ingestion
    idempotent: a client event id is unique per user, and so is the tuple
    (ts, item, ms_played); the latter index also serves "a user's history by time".
    """

    __tablename__ = "listening_events"
    __table_args__ = (
        Index(
            "uq_listening_events_user_ts_item_ms",
            "user_id",
            "ts",
            "item_id",
            "ms_played",
            unique=True,
        ),
        Index(
            "uq_listening_events_user_client_event",
            "user_id",
            "client_event_id",
            unique=True,
            sqlite_where=text("client_event_id IS NOT NULL"),
            postgresql_where=text("client_event_id IS NOT NULL"),
        ),
        Index("ix_listening_events_item_id", "item_id"),
        Index("ix_listening_events_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    ms_played: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[bool | None] = mapped_column(Boolean)
    reason_start: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    reason_end: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    shuffle: Mapped[bool | None] = mapped_column(Boolean)
    offline: Mapped[bool | None] = mapped_column(Boolean)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    platform: Mapped[str | None] = mapped_column(String(PLATFORM_LENGTH))
    country: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[EventSource] = mapped_column(
        Enum(
            EventSource, native_enum=False, create_constraint=True, length=16, name="event_source"
        ),
        default=EventSource.api,
    )
    client_event_id: Mapped[str | None] = mapped_column(String(CLIENT_ID_LENGTH))
    rec_id: Mapped[str | None] = mapped_column(String(CLIENT_ID_LENGTH))


class Feedback(Base):
    """An explicit signal (like, unlike, save, share) from a user about an item."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("uq_feedback_user_item_kind_ts", "user_id", "item_id", "kind", "ts", unique=True),
        Index("ix_feedback_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    kind: Mapped[FeedbackKind] = mapped_column(
        Enum(
            FeedbackKind, native_enum=False, create_constraint=True, length=16, name="feedback_kind"
        )
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
