"""Artist stats for a range: listeners, streams, minutes, top tracks, listener countries.

Read straight from the events through the item index (one artist's plays are a small
slice of the table); private plays count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Table, select
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
    (ties: minutes, then id), countries by listeners (ties: minutes, then code).

    One read of the artist's plays through the item index (the artist's items first),
    aggregated in numpy: a popular artist's year is a few hundred thousand plays."""
    items = dict(conn.execute(select(Item.id, Item.title).where(Item.artist_id == artist_id)).all())
    e = events_t.c
    stmt = select(e.user_id, e.item_id, e.ms_played, e.country).where(
        e.item_id.in_(list(items)), e.private.is_(False), e.ts >= start, e.ts < end
    )
    rows = conn.execute(stmt).all() if items else []
    m = np.array([r[:3] for r in rows], dtype=np.int64).reshape(-1, 3)
    user, item, ms = m[:, 0], m[:, 1], m[:, 2]
    streams = ms >= STREAM_MS
    tracks = []
    for i in np.unique(item).tolist():
        at = item == i
        listeners = int(np.unique(user[at]).size)
        minutes = int(ms[at].sum()) / 60_000
        tracks.append(TrackStat(int(i), items[i], int(streams[at].sum()), minutes, listeners))
    tracks.sort(key=lambda t: (-t.streams, -t.minutes, t.item_id))
    countries: dict[str | None, tuple[set[int], int]] = {}
    for u, _, played, country in rows:
        seen, total = countries.get(country, (set(), 0))
        seen.add(u)
        countries[country] = (seen, total + played)
    by_country = [CountryStat(c, len(s), t / 60_000) for c, (s, t) in countries.items()]
    by_country.sort(key=lambda c: (-c.listeners, -c.minutes, c.country or ""))
    return ArtistStats(
        artist_id=artist_id, name=name, listeners=int(np.unique(user).size), plays=len(rows),
        streams=int(streams.sum()), minutes=int(ms.sum()) / 60_000, top_tracks=tracks[:top],
        countries=by_country,
    )  # fmt: skip
