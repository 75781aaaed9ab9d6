"""Catalog search by title or name, case- and accent-insensitive, best matches first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models.catalog import Artist, Item, ItemKind
from models.normalise import like_pattern, normalise

T = TypeVar("T")


def _search(
    session: Session,
    model: type[T],
    key: InstrumentedAttribute[str],
    query: str | None,
    filters: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> tuple[list[T], int]:
    stmt: Select[Any] = select(model).where(*filters)
    order: list[Any] = []
    if query:
        q = normalise(query)
        stmt = stmt.where(key.like(like_pattern(query), escape="\\"))
        rank = case((key == q, 0), (key.like(like_pattern(query)[1:], escape="\\"), 1), else_=2)
        order.append(rank)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*order, key, model.id).limit(limit).offset(offset))  # type: ignore[attr-defined]
    return list(rows.unique()), count


def search_items(
    session: Session, *, query: str | None, kind: ItemKind | None, limit: int, offset: int
) -> tuple[list[Item], int]:
    """Items whose title contains ``query``: exact matches, then prefixes, then the rest."""
    filters = [Item.kind == kind] if kind else []
    return _search(session, Item, Item.title_key, query, filters, limit, offset)


def search_artists(
    session: Session, *, query: str | None, limit: int, offset: int
) -> tuple[list[Artist], int]:
    return _search(session, Artist, Artist.name_key, query, [], limit, offset)
