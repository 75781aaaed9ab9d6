"""A user's listening history, newest first, with keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.catalog import Item
from models.listening import ListeningEvent
from models.users import User


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the (ts, id) of its last event."""

    ts: datetime
    id: int


def find_user(session: Session, external_id: str) -> User | None:
    return session.scalars(select(User).where(User.external_id == external_id)).one_or_none()


def get_history(
    session: Session,
    *,
    user: User,
    start: datetime | None = None,
    end: datetime | None = None,
    after: Position | None = None,
    limit: int = 100,
) -> list[tuple[ListeningEvent, Item]]:
    """Events of ``user`` in ``[start, end)``, newest first, strictly after ``after``."""
    stmt = (
        select(ListeningEvent, Item)
        .join(Item, Item.id == ListeningEvent.item_id)
        .where(ListeningEvent.user_id == user.id)
        .order_by(ListeningEvent.ts.desc(), ListeningEvent.id.desc())
        .limit(limit)
    )
    if start is not None:
        stmt = stmt.where(ListeningEvent.ts >= start)
    if end is not None:
        stmt = stmt.where(ListeningEvent.ts < end)
    if after is not None:
        stmt = stmt.where(
            or_(
                ListeningEvent.ts < after.ts,
                and_(ListeningEvent.ts == after.ts, ListeningEvent.id < after.id),
            )
        )
    return [(event, item) for event, item in session.execute(stmt)]
