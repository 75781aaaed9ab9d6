"""Share links: an unguessable token that opens one listener's Wrapped of one year.

A listener has at most one live link per year (a partial unique index holds this even for
concurrent requests); turning sharing on again returns it. Revoking stamps ``revoked_at``
and keeps the row, so a revoked token never comes back to life and a new one is minted
next time. Deleting the listener deletes their links.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow
from models.users import User

TOKEN_BYTES = 24
"""``secrets.token_urlsafe(24)``: 192 random bits as 32 URL-safe characters."""


class ShareLink(Base):
    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "ix_share_links_live",
            "user_id",
            "year",
            unique=True,
            sqlite_where=revoked_at.is_(None),
            postgresql_where=revoked_at.is_(None),
        ),
    )


@dataclass(frozen=True, slots=True)
class Share:
    """A live link: whose Wrapped (by external id) of which year it opens."""

    token: str
    user_id: str
    year: int
    created_at: datetime


def _live(session: Session, user: int, year: int) -> ShareLink | None:
    return session.scalars(
        select(ShareLink).where(
            ShareLink.user_id == user, ShareLink.year == year, ShareLink.revoked_at.is_(None)
        )
    ).one_or_none()


def _user(session: Session, user_id: str) -> int:
    found = session.scalar(select(User.id).where(User.external_id == user_id))
    if found is None:
        raise LookupError(f"unknown user {user_id!r}")
    return found


def create(session: Session, *, user_id: str, year: int) -> tuple[Share, bool]:
    """The live link of ``user_id`` (external id) for ``year``, made if there is none;
    also says whether it was made now. Commits."""
    user = _user(session, user_id)
    link = _live(session, user, year)
    if link is not None:
        return Share(link.token, user_id, year, link.created_at), False
    link = ShareLink(
        token=secrets.token_urlsafe(TOKEN_BYTES), user_id=user, year=year, created_at=utcnow()
    )
    session.add(link)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request made the live link first
        session.rollback()
        theirs = _live(session, user, year)
        if theirs is None:
            raise
        return Share(theirs.token, user_id, year, theirs.created_at), False
    return Share(link.token, user_id, year, link.created_at), True


def get(session: Session, *, token: str) -> Share | None:
    """The live link with ``token``; None for an unknown or revoked one."""
    row = session.execute(
        select(ShareLink.token, User.external_id, ShareLink.year, ShareLink.created_at)
        .join(User, User.id == ShareLink.user_id)
        .where(ShareLink.token == token, ShareLink.revoked_at.is_(None))
    ).one_or_none()
    return None if row is None else Share(*row)


def revoke(session: Session, *, user_id: str, year: int) -> int:
    """Revoke the live link of ``user_id`` for ``year``; how many were (0 or 1). Commits."""
    user = _user(session, user_id)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ShareLink)
        .where(ShareLink.user_id == user, ShareLink.year == year, ShareLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    return result.rowcount
