"""Audience rules as queries: each rule is a set of listeners, an audience their
intersection, minus everyone who opted out of personalization (always).

Rules (JSON objects, checked by the API's schemas before they are stored):

- ``{"type": "top_genre", "genre": "jazz", "days": 90}`` — the genre with the most music
  listening in the last ``days`` days is ``genre`` (a play's genre is its artist's
  heaviest tag; ties go to the alphabetically first genre);
- ``{"type": "artist_minutes", "artist_id": 7, "min_minutes": 60, "days": 30}`` — more
  than ``min_minutes`` on that artist in the last ``days`` days;
- ``{"type": "active", "from_days_ago": 14, "to_days_ago": 7}`` — listened in that window;
- ``{"type": "inactive", "days": 7}`` — did not listen in the last ``days`` days.

"Active last week but not this week" is ``active`` 14 to 7 days ago plus ``inactive`` 7.
Private plays count nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from models.catalog import Item, ItemKind, Tag, artist_tags
from models.listening import ListeningEvent as E
from models.users import User


def _plays(since: datetime, until: datetime) -> list[Any]:
    return [E.private.is_(False), E.ts >= since, E.ts < until]


def _top_genre(rule: dict[str, Any], as_of: datetime) -> Select[Any]:
    since = as_of - timedelta(days=int(rule["days"]))
    heaviest = (
        select(artist_tags.c.artist_id, func.max(artist_tags.c.weight).label("w"))
        .group_by(artist_tags.c.artist_id)
        .subquery()
    )
    genre_of = (
        select(artist_tags.c.artist_id, func.min(Tag.name).label("genre"))
        .join(Tag, Tag.id == artist_tags.c.tag_id)
        .join(heaviest, and_(heaviest.c.artist_id == artist_tags.c.artist_id,
                             heaviest.c.w == artist_tags.c.weight))
        .group_by(artist_tags.c.artist_id)
        .subquery()
    )  # fmt: skip
    return (
        select(E.user_id, genre_of.c.genre, func.sum(E.ms_played).label("ms"))
        .join(Item, Item.id == E.item_id)
        .join(genre_of, genre_of.c.artist_id == Item.artist_id)
        .where(*_plays(since, as_of), Item.kind == ItemKind.track)
        .group_by(E.user_id, genre_of.c.genre)
    )


def _members_top_genre(session: Session, rule: dict[str, Any], as_of: datetime) -> set[int]:
    best: dict[int, tuple[int, str]] = {}
    for user, genre, ms in session.execute(_top_genre(rule, as_of)):
        key = (-int(ms), str(genre))
        if user not in best or key < best[user]:
            best[user] = key
    wanted = str(rule["genre"]).casefold()
    return {u for u, (_, g) in best.items() if g.casefold() == wanted}


def _artist_minutes(session: Session, rule: dict[str, Any], as_of: datetime) -> set[int]:
    since = as_of - timedelta(days=int(rule["days"]))
    total = func.sum(E.ms_played)
    stmt = (
        select(E.user_id)
        .join(Item, Item.id == E.item_id)
        .where(*_plays(since, as_of), Item.artist_id == int(rule["artist_id"]))
        .group_by(E.user_id)
        .having(total > float(rule["min_minutes"]) * 60_000)
    )
    return set(session.scalars(stmt))


def _active(session: Session, since: datetime, until: datetime) -> set[int]:
    return set(session.scalars(select(E.user_id).where(*_plays(since, until)).distinct()))


def members(
    session: Session, rules: Sequence[dict[str, Any]], as_of: datetime
) -> list[tuple[int, str]]:
    """(id, external id) of every listener all ``rules`` hold for at ``as_of``, by id;
    listeners who opted out of personalization never."""
    found: set[int] | None = None
    excluded: set[int] = set()
    for rule in rules:
        kind = rule["type"]
        if kind == "top_genre":
            hits = _members_top_genre(session, rule, as_of)
        elif kind == "artist_minutes":
            hits = _artist_minutes(session, rule, as_of)
        elif kind == "active":
            hits = _active(
                session, as_of - timedelta(days=int(rule["from_days_ago"])),
                as_of - timedelta(days=int(rule["to_days_ago"])),
            )  # fmt: skip
        elif kind == "inactive":
            excluded |= _active(session, as_of - timedelta(days=int(rule["days"])), as_of)
            continue
        else:
            raise ValueError(f"unknown audience rule type {kind!r}")
        found = hits if found is None else found & hits
    if found is None:  # only "inactive" rules: everyone who ever listened, but them
        found = set(session.scalars(select(E.user_id).where(E.private.is_(False)).distinct()))
    ids = sorted(found - excluded)
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(User.id, User.external_id)
            .where(User.id.in_(chunk), User.opt_out_personalization.is_(False))
            .order_by(User.id)
        )
        out.extend((int(i), str(x)) for i, x in rows)
    return out
