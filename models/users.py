"""People whose listening Encore stores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow


class User(Base):
    """A listener, known to clients by ``external_id``; the integer id never leaves the store."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    opt_out_personalization: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    opt_out_wrapped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opt_out_comparisons: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
