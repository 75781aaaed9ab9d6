"""People whose listening Encore stores."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Boolean, String, Table, bindparam, false, update
from sqlalchemy.engine import Connection
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


def set_timezones(conn: Connection, zones: Mapping[int, str]) -> None:
    """Set the IANA time zone of users by id, inside the caller's transaction; Wrapped
    computes each listener's year in the local time it names."""
    if zones:
        users_t: Table = User.__table__  # type: ignore[assignment]
        stmt = (
            update(users_t)
            .where(users_t.c.id == bindparam("user_id"))
            .values(timezone=bindparam("zone"))
        )
        conn.execute(stmt, [{"user_id": uid, "zone": zone} for uid, zone in sorted(zones.items())])
