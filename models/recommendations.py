"""Store reads behind the recommendation endpoints: popularity, a listener's items, items,
the catalog a server holds in memory next to a model, and news since the model.

Popularity counts distinct listeners per item over plays that may be used for
personalisation (not private, listener not opted out), the same plays training reads.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session

from models.catalog import Artist, Item, Tag, artist_tags
from models.dialect import epoch_us
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


# --- what a server loads next to a model, and the cheap reads it makes between retrains ---


def catalog_columns(
    session: Session, item_ids: Sequence[int]
) -> list[tuple[int, str, str, int, str]]:
    """``(id, title, kind, artist id, artist name)`` of the items of ``item_ids`` that exist."""
    rows: list[tuple[int, str, str, int, str]] = []
    for part in _parts(sorted(set(item_ids))):
        stmt = (
            select(Item.id, Item.title, Item.kind, Item.artist_id, Artist.name)
            .join(Artist, Artist.id == Item.artist_id)
            .where(Item.id.in_(part))
        )
        rows.extend((int(i), t, str(k.value), int(a), n) for i, t, k, a, n in session.execute(stmt))
    return rows


def artist_tag_names(session: Session, artist_ids: Sequence[int]) -> list[tuple[int, str]]:
    """``(artist id, tag name)`` for every tag of the artists of ``artist_ids``."""
    rows: list[tuple[int, str]] = []
    for part in _parts(sorted(set(artist_ids))):
        stmt = (
            select(artist_tags.c.artist_id, Tag.name)
            .join(Tag, Tag.id == artist_tags.c.tag_id)
            .where(artist_tags.c.artist_id.in_(part))
        )
        rows.extend((int(a), str(t)) for a, t in session.execute(stmt))
    return rows


def first_heard_of(session: Session, item_ids: Sequence[int]) -> dict[int, float]:
    """Item id -> Unix seconds of its first play, for the items of ``item_ids``: the
    release proxy of a catalog that stores no release dates."""
    e = ListeningEvent
    found: dict[int, float] = {}
    for part in _parts(sorted(set(item_ids))):
        first = epoch_us(_dialect(session), func.min(e.ts))
        stmt = select(e.item_id, first).where(e.item_id.in_(part)).group_by(e.item_id)
        found.update((int(i), int(us) / 1e6) for i, us in session.execute(stmt))
    return found


def external_user_ids(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """Store id -> external id of the users of ``user_ids``."""
    found: dict[int, str] = {}
    for part in _parts(sorted(set(user_ids))):
        stmt = select(User.id, User.external_id).where(User.id.in_(part))
        found.update((int(i), str(x)) for i, x in session.execute(stmt))
    return found


def newest_event_id(session: Session) -> int:
    """The highest listening-event id (0 for none): where the next look for news starts."""
    return int(session.scalar(select(func.max(ListeningEvent.id))) or 0)


@dataclass(frozen=True, slots=True)
class Listener:
    """A listener with plays newer than the served model, and their newest such play."""

    user_id: int
    external_id: str
    newest_event_id: int


def listeners_with_news(
    session: Session, *, after_id: int | None = None, after: datetime | None = None
) -> list[Listener]:
    """Listeners (allowing personalisation) with non-private plays of id above
    ``after_id`` or starting after ``after``.

    Two reads: the events' ``(user, id)`` alone over a range of the primary key (or of
    the time index), grouped here, then their users. Grouped or joined in SQL, SQLite's
    planner walks a user-ordered index of every event instead (over a second on 5M).
    """
    e = ListeningEvent
    stmt = select(e.user_id, e.id).where(e.private == false())
    if after_id is not None:
        stmt = stmt.where(e.id > after_id)
    if after is not None:
        stmt = stmt.where(e.ts > after)
    newest: dict[int, int] = {}
    for u, i in session.execute(stmt):
        if i > newest.get(u, -1):
            newest[u] = i
    out: list[Listener] = []
    for part in _parts(sorted(newest)):
        users = select(User.id, User.external_id).where(
            User.id.in_(part), User.opt_out_personalization == false()
        )
        out.extend(Listener(int(u), str(x), newest[int(u)]) for u, x in session.execute(users))
    return out


def plays_after(
    session: Session, *, user_id: int, after: datetime
) -> tuple[list[int], list[int], list[int], list[bool]]:
    """Columns ``(item id, ms played, duration ms or 0, skipped)`` of the user's
    non-private plays that started after ``after``."""
    e = ListeningEvent
    stmt = (
        select(e.item_id, e.ms_played, func.coalesce(Item.duration_ms, 0), e.skipped)
        .join(Item, Item.id == e.item_id)
        .where(e.user_id == user_id, e.ts > after, e.private == false())
    )
    items, played, duration, skipped = [], [], [], []
    for i, ms, d, s in session.execute(stmt):
        items.append(int(i))
        played.append(int(ms))
        duration.append(int(d))
        skipped.append(bool(s))
    return items, played, duration, skipped


def comparison_opt_outs(session: Session, user_ids: Sequence[int]) -> set[int]:
    """The users of ``user_ids`` who opted out of being compared with others."""
    out: set[int] = set()
    for part in _parts(sorted(set(user_ids))):
        stmt = select(User.id).where(User.id.in_(part), User.opt_out_comparisons.is_(True))
        out.update(int(i) for i in session.scalars(stmt))
    return out


def personalisation_opt_outs(session: Session) -> tuple[set[str], int]:
    """External ids of listeners who opted out of personalization, and how many
    listeners the store holds (a drop means someone was deleted)."""
    opted = session.scalars(select(User.external_id).where(User.opt_out_personalization == true()))
    count = session.scalar(select(func.count()).select_from(User)) or 0
    return set(opted), int(count)


def existing_listeners(session: Session, external_ids: Collection[str]) -> set[str]:
    """Which of ``external_ids`` the store still holds."""
    found: set[str] = set()
    ids = sorted(external_ids)
    for part in _parts(ids):  # type: ignore[arg-type]
        found.update(session.scalars(select(User.external_id).where(User.external_id.in_(part))))
    return found


def _parts(ids: Sequence[int], size: int = 900) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
