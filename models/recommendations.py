"""Store reads behind the recommendation endpoints: popularity, a listener's items, items.

Popularity counts distinct listeners per item over plays that may be used for
personalisation (not private, listener not opted out), the same plays training reads.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from models.catalog import Item
from models.listening import ListeningEvent
from models.users import User


def popular_items(
    session: Session, *, limit: int, exclude: Collection[int] = ()
) -> list[tuple[int, int]]:
    """``(item id, listeners)`` of the most widely heard items, most first, ties by id."""
    e = ListeningEvent
    listeners = func.count(func.distinct(e.user_id))
    stmt = (
        select(e.item_id, listeners)
        .join(User, User.id == e.user_id)
        .where(e.private == false(), User.opt_out_personalization == false())
        .group_by(e.item_id)
        .order_by(listeners.desc(), e.item_id)
        .limit(limit + len(exclude))
    )
    rows = [(int(item), int(n)) for item, n in session.execute(stmt)]
    return [row for row in rows if row[0] not in exclude][:limit]


def listened_items(session: Session, *, user_id: int) -> set[int]:
    """Ids of every item ``user_id`` (store id) has played."""
    stmt = select(ListeningEvent.item_id).where(ListeningEvent.user_id == user_id).distinct()
    return set(session.scalars(stmt))


def items_by_id(session: Session, ids: Sequence[int]) -> dict[int, Item]:
    """The items of ``ids`` that exist, with their artists, by id."""
    if not ids:
        return {}
    return {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(ids)))}
