"""Artist stats for a range: listeners, streams, minutes, top tracks, listener countries.

Read straight from the events through the item index (one artist's plays are a small
slice of the table); private plays count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, case, desc, func, select
from sqlalchemy.engine import Connection

from models.catalog import Artist, Item
from models.listening import ListeningEvent
from models.metrics import STREAM_MS

events_t: Table = ListeningEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class TrackStat:
    item_id: int
    title: str
    streams: int
    minutes: float
    listeners: int


@dataclass(frozen=True, slots=True)
class CountryStat:
    country: str | None
    listeners: int
    minutes: float


@dataclass(frozen=True, slots=True)
class ArtistStats:
    artist_id: int
    name: str
    listeners: int
    plays: int
    streams: int
    minutes: float
    top_tracks: list[TrackStat]
    countries: list[CountryStat]


def artist_name(conn: Connection, artist_id: int) -> str | None:
    return conn.scalar(select(Artist.name).where(Artist.id == artist_id))


def artist_stats(
    conn: Connection, artist_id: int, name: str, start: datetime, end: datetime, top: int = 10
) -> ArtistStats:
    """The artist's audience for plays started in ``[start, end)``; top tracks by streams
    (ties: minutes, then id), countries by listeners (ties: minutes)."""
    e = events_t.c
    base = [
        Item.artist_id == artist_id, e.private.is_(False), e.ts >= start, e.ts < end,
    ]  # fmt: skip
    streams = func.sum(case((e.ms_played >= STREAM_MS, 1), else_=0))
    ms = func.sum(e.ms_played)
    listeners = func.count(func.distinct(e.user_id))
    joined = select().select_from(events_t.join(Item, Item.id == e.item_id))
    total = conn.execute(
        joined.add_columns(listeners, func.count(), streams, ms).where(*base)
    ).one()
    tracks = conn.execute(
        joined.add_columns(Item.id, Item.title, streams.label("s"), ms.label("m"), listeners)
        .where(*base)
        .group_by(Item.id, Item.title)
        .order_by(desc("s"), desc("m"), Item.id)
        .limit(top)
    ).all()
    countries = conn.execute(
        joined.add_columns(e.country, listeners.label("l"), ms.label("m"))
        .where(*base)
        .group_by(e.country)
        .order_by(desc("l"), desc("m"), e.country)
    ).all()
    return ArtistStats(
        artist_id=artist_id, name=name, listeners=int(total[0] or 0), plays=int(total[1] or 0),
        streams=int(total[2] or 0), minutes=int(total[3] or 0) / 60_000,
        top_tracks=[TrackStat(int(i), t, int(s or 0), int(m or 0) / 60_000, int(n))
                    for i, t, s, m, n in tracks],
        countries=[CountryStat(c, int(n), int(m or 0) / 60_000) for c, n, m in countries],
    )  # fmt: skip
