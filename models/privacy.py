"""A listener's control over their data: privacy flags, export, deletion, retention.

Export and deletion walk ``Base.metadata`` rather than a list of tables: every table with
a column referencing ``users.id`` (and ``import_jobs``, which names the listener by
external id) is covered, including tables added after this module was written.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

import models.tables  # noqa: F401  (every table, so the walk sees them all)
from models.base import Base
from models.catalog import Artist, Item
from models.listening import ListeningEvent
from models.metrics.rollup import forget
from models.metrics.schema import MetricsRollup
from models.users import User
from models.wrapped_populations import WrappedPopulationRow

EXTERNAL_ID_COLUMN = "user_external_id"
"""A column naming a listener by external id, where a table has no foreign key (jobs)."""


@dataclass(frozen=True, slots=True)
class Privacy:
    personalization: bool
    wrapped: bool
    comparisons: bool
    """True: allowed (not opted out)."""

    @classmethod
    def of(cls, user: User) -> Privacy:
        return cls(
            not user.opt_out_personalization, not user.opt_out_wrapped,
            not user.opt_out_comparisons,
        )  # fmt: skip


def user_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) that says which listener a row is about, children first."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name == User.__tablename__:
            continue
        for column in table.columns:
            if column.name == EXTERNAL_ID_COLUMN or any(
                fk.column.table.name == User.__tablename__ for fk in column.foreign_keys
            ):
                yield table, column


def _match(column: Column[Any], user: User) -> Any:
    return column == (user.external_id if column.name == EXTERNAL_ID_COLUMN else user.id)


def find(session: Session, user_id: str) -> User | None:
    return session.scalars(select(User).where(User.external_id == user_id)).one_or_none()


def set_privacy(
    session: Session,
    *,
    user_id: str,
    personalization: bool | None = None,
    wrapped: bool | None = None,
    comparisons: bool | None = None,
) -> Privacy:
    """Change the flags given (True allows, False opts out); the result. Commits.

    Raises
    ------
    LookupError
        No listener has external id ``user_id``.
    """
    user = find(session, user_id)
    if user is None:
        raise LookupError(f"unknown user {user_id!r}")
    if personalization is not None:
        user.opt_out_personalization = not personalization
    if wrapped is not None:
        user.opt_out_wrapped = not wrapped
    if comparisons is not None:
        user.opt_out_comparisons = not comparisons
    session.commit()
    return Privacy.of(user)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def export_user(session: Session, *, user_id: str) -> dict[str, Any] | None:
    """Everything stored about the listener, as JSON-ready data: their profile, every
    row of every table about them (by table name) and the catalog items those rows name;
    None for an unknown listener."""
    user = find(session, user_id)
    if user is None:
        return None
    users_t: Table = User.__table__  # type: ignore[assignment]
    profile = session.execute(select(users_t).where(users_t.c.id == user.id)).mappings().one()
    tables: dict[str, list[dict[str, Any]]] = {}
    item_ids: set[int] = set()
    for table, column in user_columns():
        stmt = select(table).where(_match(column, user)).order_by(*table.primary_key)
        rows = session.execute(stmt)
        found = [{k: _plain(v) for k, v in row.items()} for row in rows.mappings()]
        tables.setdefault(table.name, []).extend(found)
        if "item_id" in table.columns:
            item_ids.update(int(r["item_id"]) for r in found if r.get("item_id") is not None)
    items = session.execute(
        select(Item.id, Item.title, Artist.name)
        .join(Artist, Artist.id == Item.artist_id)
        .where(Item.id.in_(sorted(item_ids)))
        .order_by(Item.id)
    )
    return {
        "user": {k: _plain(v) for k, v in profile.items()},
        "tables": dict(sorted(tables.items())),
        "items": [{"id": i, "title": t, "artist": a} for i, t, a in items],
    }


def delete_user(session: Session, *, user_id: str) -> dict[str, int] | None:
    """Delete the listener and every row about them in one transaction: rows removed by
    table, or None for an unknown listener. Commits, or rolls back on any error.

    Each table is emptied of the listener explicitly before the ``users`` row goes
    (foreign keys cascade as well, so rows further down the chain go too)."""
    user = find(session, user_id)
    if user is None:
        return None
    removed: dict[str, int] = {}
    try:
        forget(session.connection(), [user.id])
        for table, column in user_columns():
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                delete(table).where(_match(column, user))
            )
            removed[table.name] = removed.get(table.name, 0) + result.rowcount
        session.execute(delete(User).where(User.id == user.id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    removed["users"] = 1
    return removed


def prune_events(session: Session, *, before: datetime) -> int:
    """Delete raw listening events that started before ``before``; how many. Commits.

    When any go, every time zone's metrics rollup goes with them (its rows cascade), and
    the next refresh rebuilds it from the events that remain: the rollup holds per-listener
    days, which a retention period must not outlive, and a refresh re-summarises a changed
    listener from their whole remaining history, so keeping the rest would mix pruned and
    unpruned listeners in one number. Wrapped's stored populations (everyone's listening over
    a span, see :mod:`models.wrapped_populations`) that reach before ``before`` go too."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(ListeningEvent).where(ListeningEvent.ts < before)
    )
    if result.rowcount:
        session.execute(delete(MetricsRollup))
        spans = WrappedPopulationRow
        session.execute(delete(spans).where(spans.span_start < before))
    session.commit()
    return result.rowcount
