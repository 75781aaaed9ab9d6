"""The reads Wrapped needs: a window's plays as numpy columns, and the catalog around them.

Every read leaves out private plays, which count nowhere. Reads over all users also leave
out users who opted out of Wrapped; the population that comparisons rank a listener
against also leaves out those who opted out of comparisons. Timestamps come back as
integer microseconds since the Unix epoch (UTC), computed by the database so no row
becomes a Python ``datetime``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from models.catalog import Album, Artist, Item, ItemKind, Tag, artist_tags
from models.columnar import Column, scan
from models.dialect import epoch_us
from models.engine import engine_of
from models.listening import ListeningEvent
from models.users import User

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])

KINDS: tuple[ItemKind, ...] = (ItemKind.track, ItemKind.episode, ItemKind.video)
"""Item kinds by the small code :attr:`Plays.kind` holds (its index here)."""

NO_ALBUM = -1
UNKNOWN = -1
"""The code of a null ``skipped`` or ``shuffle``; 1 is true and 0 is false."""

STREAM_CHUNK = 50_000
LOOKUP_CHUNK = 500
FEW_PLAYS = 100_000
"""Below this many plays, their items are looked up by id instead of reading the catalog."""

_COLUMNS = (
    "user", "ts_us", "ms_played", "skipped", "shuffle", "from_rec", "item", "kind", "artist",
    "album", "event",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Plays:
    """Plays as parallel columns, ordered by (user, ts). ``ts_us`` is the UTC start of each
    play in epoch microseconds; ``kind`` indexes :data:`KINDS`; ``skipped`` and ``shuffle``
    are 1, 0 or :data:`UNKNOWN`; ``album`` is :data:`NO_ALBUM` for items without one;
    ``event`` is the play's id in the events table."""

    user: I64
    ts_us: I64
    ms_played: I64
    skipped: I8
    shuffle: I8
    from_rec: npt.NDArray[np.bool_]
    item: I64
    kind: I8
    artist: I64
    album: I64
    event: I64

    def __len__(self) -> int:
        return int(self.ts_us.size)

    def take(self, index: slice | npt.NDArray[Any]) -> Plays:
        """The plays at ``index`` (a slice gives views, a mask or index array copies)."""
        return Plays(**{name: getattr(self, name)[index] for name in _COLUMNS})


@dataclass(frozen=True, slots=True)
class WrappedUser:
    id: int
    external_id: str
    timezone: str
    opt_out_wrapped: bool
    opt_out_comparisons: bool


@dataclass(frozen=True, slots=True)
class ItemInfo:
    title: str
    artist_id: int
    album_id: int | None
    duration_ms: int | None
    spotify_uri: str | None


@dataclass(frozen=True, slots=True)
class AlbumInfo:
    title: str
    artist_id: int


@dataclass(frozen=True, slots=True)
class CatalogNames:
    """Names of the items, artists and albums asked about, and each artist's tags
    (genres) by descending weight."""

    items: dict[int, ItemInfo]
    artists: dict[int, str]
    albums: dict[int, AlbumInfo]
    genres: dict[int, tuple[str, ...]]


def _flag(column: SQLColumnExpression[bool | None]) -> ColumnElement[int]:
    return case((column.is_(True), 1), (column.is_(False), 0), else_=UNKNOWN)


Span = tuple[datetime | None, datetime | None]


def _span_clause(spans: Sequence[Span], *, indexed: bool = True) -> ColumnElement[bool] | None:
    """Plays in any of ``spans``, each ``[start, end)`` with None unbounded (None: all).
    Not ``indexed``, the bounds are checked on each row another condition selects, not
    looked up in the index on ``ts``."""
    ts: SQLColumnExpression[datetime] = ListeningEvent.ts
    if not indexed:
        ts = func.coalesce(ListeningEvent.ts, ListeningEvent.ts)
    ranges = []
    for start, end in spans:
        bounds = []
        if start is not None:
            bounds.append(ts >= start)
        if end is not None:
            bounds.append(ts < end)
        if not bounds:
            return None
        ranges.append(and_(*bounds))
    return or_(*ranges) if ranges else None


def _within(stmt: _S, spans: Sequence[Span]) -> _S:
    clause = _span_clause(spans)
    return stmt if clause is None else stmt.where(clause)


def _user_clause(user_id: int | None, *, comparisons: bool = False) -> ColumnElement[bool]:
    """One user, or every user who has not opted out (of comparisons too, if asked)."""
    if user_id is not None:
        return ListeningEvent.user_id == user_id
    opted_out: ColumnElement[bool] = User.opt_out_wrapped.is_(True)
    if comparisons:
        opted_out = opted_out | User.opt_out_comparisons.is_(True)
    return ListeningEvent.user_id.not_in(select(User.id).where(opted_out))


def _users(stmt: _S, user_id: int | None, *, comparisons: bool = False) -> _S:
    """Restrict to one user, or to every user who has not opted out."""
    return stmt.where(_user_clause(user_id, comparisons=comparisons))


def find_wrapped_users(session: Session, external_id: str | None = None) -> list[WrappedUser]:
    """One user by external id (an empty list if unknown), or every user."""
    stmt = select(
        User.id, User.external_id, User.timezone, User.opt_out_wrapped, User.opt_out_comparisons
    ).order_by(User.id)
    if external_id is not None:
        stmt = stmt.where(User.external_id == external_id)
    return [WrappedUser(*row) for row in session.execute(stmt)]


def read_plays(session: Session, *, spans: Sequence[Span], user_id: int | None = None) -> Plays:
    """Every non-private play in any of ``spans`` (UTC ``[start, end)``, None unbounded), of
    one user or of every user who has not opted out of Wrapped.

    The events are read in the database's own order and without their items: a join and an
    ORDER BY by user cost a lookup per play and a sort of every play, against a table read
    much like a plain scan. Everyone's plays come as whole columns
    (:func:`models.columnar.scan`: binary ``COPY`` on PostgreSQL, Arrow on SQLite, no
    Python object per value); one user's through the session. Items are then matched in
    numpy (all of them at once for every user, the few played for one), and the plays
    sorted by (user, ts, event id)."""
    e = ListeningEvent
    columns = (
        Column("user", e.user_id, "int64"),
        Column("ts_us", e.ts, "ts_us"),
        Column("ms_played", e.ms_played, "int64"),
        Column("skipped", _flag(e.skipped), "int64"),
        Column("shuffle", _flag(e.shuffle), "int64"),
        Column("from_rec", case((e.rec_id.is_not(None), 1), else_=0), "int64"),
        Column("item", e.item_id, "int64"),
        Column("id", e.id, "int64"),
    )
    where = [e.private.is_(False), _user_clause(user_id)]
    if (span := _span_clause(spans)) is not None:
        where.append(span)
    if user_id is None:
        read = scan(engine_of(session), columns, from_=e.__table__, where=where, key=e.id)
        rows = np.column_stack([read[c.name] for c in columns]).astype(np.int64, copy=False)
    else:
        dialect = session.get_bind().dialect.name
        exprs = [epoch_us(dialect, c.expr) if c.kind == "ts_us" else c.expr for c in columns]
        rows = int_matrix(session, select(*exprs).where(*where), len(columns))
    rows = rows[np.lexsort((rows[:, 7], rows[:, 1], rows[:, 0]))]
    items = _item_codes(session, None if user_id is None else np.unique(rows[:, 6]))
    at = np.searchsorted(items[:, 0], rows[:, 6])
    if at.size and not np.array_equal(items[:, 0][np.minimum(at, len(items) - 1)], rows[:, 6]):
        raise LookupError("a play's item is missing from the catalog")
    return Plays(
        user=rows[:, 0].copy(),
        ts_us=rows[:, 1].copy(),
        ms_played=rows[:, 2].copy(),
        skipped=rows[:, 3].astype(np.int8),
        shuffle=rows[:, 4].astype(np.int8),
        from_rec=rows[:, 5].astype(np.bool_),
        item=rows[:, 6].copy(),
        kind=items[at, 1].astype(np.int8),
        artist=items[at, 2],
        album=items[at, 3],
        event=rows[:, 7].copy(),
    )


def _item_codes(session: Session, ids: I64 | None) -> npt.NDArray[np.int64]:
    """(id, kind code, artist id, album id or :data:`NO_ALBUM`) rows by id: of ``ids``,
    or of every item."""
    kind = case(*((Item.kind == k, code) for code, k in enumerate(KINDS)), else_=UNKNOWN)
    stmt = select(Item.id, kind, Item.artist_id, func.coalesce(Item.album_id, NO_ALBUM))
    if ids is None:
        return int_matrix(session, stmt.order_by(Item.id), 4)
    parts = [
        int_matrix(session, stmt.where(Item.id.in_(chunk)), 4) for chunk in _chunks(ids.tolist())
    ]
    found = np.concatenate([np.empty((0, 4), dtype=np.int64), *parts])
    return found[np.argsort(found[:, 0])]


def int_matrix(
    session: Session, stmt: Select[*tuple[Any, ...]], width: int
) -> npt.NDArray[np.int64]:
    """The rows of ``stmt`` (``width`` integer columns, no nulls) as one int64 matrix,
    streamed (a server-side cursor on PostgreSQL). Rows are flattened as plain iterables:
    handing row objects to ``np.array`` costs more than the query, as numpy probes each
    one for the array protocols."""
    result = session.connection().execute(stmt.execution_options(yield_per=STREAM_CHUNK))
    chunks = [
        np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width)
        for rows in result.partitions()
    ]
    if not chunks:
        return np.empty((0, width), dtype=np.int64)
    return np.concatenate(chunks).reshape(-1, width)


def first_heard(
    session: Session, *, before: datetime, user_id: int | None = None
) -> tuple[I64, I64, I64]:
    """When each (user, artist) was first heard before ``before``: (user, artist, ts_us)
    columns. A play of zero length was not heard; private plays count nowhere."""
    stmt = (
        select(
            ListeningEvent.user_id,
            Item.artist_id,
            epoch_us(session.get_bind().dialect.name, func.min(ListeningEvent.ts)),
        )
        .join(Item, Item.id == ListeningEvent.item_id)
        .where(
            ListeningEvent.private.is_(False),
            ListeningEvent.ms_played > 0,
            ListeningEvent.ts < before,
        )
        .group_by(ListeningEvent.user_id, Item.artist_id)
        .order_by(ListeningEvent.user_id, Item.artist_id)
    )
    stmt = _users(stmt, user_id)
    rows = np.array(session.execute(stmt).all(), dtype=np.int64).reshape(-1, 3)
    return rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy()


def population_ms(
    session: Session,
    *,
    start: datetime | None,
    end: datetime | None,
    artist_id: int | None = None,
) -> I64:
    """The listening time (ms) of every user with any in ``[start, end)`` who has opted out
    of neither Wrapped nor comparisons, by user id; with ``artist_id``, time on that
    artist's music."""
    total = func.sum(ListeningEvent.ms_played)
    stmt = (
        select(total)
        .where(ListeningEvent.private.is_(False))
        .group_by(ListeningEvent.user_id)
        .having(total > 0)
        .order_by(ListeningEvent.user_id)
    )
    if artist_id is not None:
        stmt = stmt.join(Item, Item.id == ListeningEvent.item_id).where(
            and_(Item.artist_id == artist_id, Item.kind == ItemKind.track)
        )
    stmt = _users(_within(stmt, [(start, end)]), None, comparisons=True)
    return np.array(session.scalars(stmt).all(), dtype=np.int64)


NOT_MUSIC = -1
"""The artist :func:`comparable_plays` files plays of podcasts and videos under."""


def comparable_plays(
    session: Session,
    *,
    start: datetime | None,
    end: datetime | None,
    after_event: int | None = None,
    through_event: int | None = None,
) -> tuple[I64, I64, I64]:
    """Every play in ``[start, end)`` of every user who has opted out of neither Wrapped
    nor comparisons, as (artist, user, ms) columns in no particular order: music by its
    artist, podcasts and videos under :data:`NOT_MUSIC`. With ``after_event`` or
    ``through_event``, only events whose id is above the one or at most the other; with
    ``after_event`` the events are found by id (the few since a build), not by time. The
    plays are read without a join or a GROUP BY (per-play lookups of the item and a sort
    of every play cost the most) and their items are matched to their artists here: the
    whole catalog for many plays, the items played for a few."""
    e = ListeningEvent
    stmt = select(e.item_id, e.user_id, e.ms_played).where(e.private.is_(False))
    if through_event is not None:
        stmt = stmt.where(e.id <= through_event)
    if after_event is not None:  # a range of ids, each row's ts checked
        stmt = stmt.where(e.id > after_event)
    span = _span_clause([(start, end)], indexed=after_event is None)
    stmt = _users(stmt if span is None else stmt.where(span), None, comparisons=True)
    plays = int_matrix(session, stmt, 3)
    few = plays.shape[0] < FEW_PLAYS
    items = _item_codes(session, np.unique(plays[:, 0]) if few else None)
    at = np.searchsorted(items[:, 0], plays[:, 0])
    music = items[at, 1] == KINDS.index(ItemKind.track)
    return np.where(music, items[at, 2], NOT_MUSIC), plays[:, 1].copy(), plays[:, 2].copy()


def comparable_users(session: Session) -> I64:
    """The ids of every user who has opted out of neither Wrapped nor comparisons, sorted."""
    opted_out = User.opt_out_wrapped.is_(True) | User.opt_out_comparisons.is_(True)
    ids = session.scalars(select(User.id).where(~opted_out).order_by(User.id)).all()
    return np.array(ids, dtype=np.int64)


def _chunks(ids: Iterable[int]) -> Iterable[Sequence[int]]:
    values = sorted({int(i) for i in ids})
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def catalog_names(
    session: Session, *, items: Iterable[int], artists: Iterable[int], albums: Iterable[int]
) -> CatalogNames:
    """Display names, Spotify URIs and genres for the ids given (and the artists and albums
    of the items given)."""
    found_items: dict[int, ItemInfo] = {}
    for chunk in _chunks(items):
        rows = session.execute(
            select(
                Item.id, Item.title, Item.artist_id, Item.album_id, Item.duration_ms,
                Item.spotify_uri,
            ).where(Item.id.in_(chunk))
        )  # fmt: skip
        found_items.update((row[0], ItemInfo(*row[1:])) for row in rows)
    artist_ids = {*artists, *(i.artist_id for i in found_items.values())}
    album_ids = {*albums, *(i.album_id for i in found_items.values() if i.album_id is not None)}
    found_albums = _albums(session, album_ids)
    artist_ids |= {album.artist_id for album in found_albums.values()}
    found_artists: dict[int, str] = {}
    genres: dict[int, list[str]] = {}
    for chunk in _chunks(artist_ids):
        found_artists.update(
            (row[0], row[1])
            for row in session.execute(select(Artist.id, Artist.name).where(Artist.id.in_(chunk)))
        )
        tagged = session.execute(
            select(artist_tags.c.artist_id, Tag.name)
            .join(Tag, Tag.id == artist_tags.c.tag_id)
            .where(artist_tags.c.artist_id.in_(chunk))
            .order_by(artist_tags.c.artist_id, artist_tags.c.weight.desc(), Tag.name)
        )
        for artist_id, tag in tagged:
            genres.setdefault(artist_id, []).append(tag)
    return CatalogNames(
        items=found_items,
        artists=found_artists,
        albums=found_albums,
        genres={artist: tuple(tags) for artist, tags in genres.items()},
    )


def _albums(session: Session, album_ids: Iterable[int]) -> dict[int, AlbumInfo]:
    found: dict[int, AlbumInfo] = {}
    for chunk in _chunks(album_ids):
        rows = session.execute(
            select(Album.id, Album.title, Album.artist_id).where(Album.id.in_(chunk))
        )
        found.update((row[0], AlbumInfo(row[1], row[2])) for row in rows)
    return found
