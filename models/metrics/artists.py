"""Artist stats for a range: listeners, streams, minutes, top tracks, listener countries.

Two ways to the same numbers: from a zone's rollup (``metrics_artist_days`` and
``metrics_artist_track_days``: sums and counts pushed to the database, a few hundred
thousand narrow rows for the biggest artist's year), or straight from the events through
the item index, for a zone that has no rollup. Private plays count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Table, case, func, select
from sqlalchemy.engine import Connection

from models.catalog import Artist, Item
from models.listening import ListeningEvent
from models.metrics import STREAM_MS
from models.metrics.schema import MetricsArtistDay, MetricsArtistTrackDay

events_t: Table = ListeningEvent.__table__  # type: ignore[assignment]
artist_days_t: Table = MetricsArtistDay.__table__  # type: ignore[assignment]
track_days_t: Table = MetricsArtistTrackDay.__table__  # type: ignore[assignment]


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


def _ranked(
    artist_id: int, name: str, tracks: list[TrackStat], countries: list[CountryStat],
    listeners: int, plays: int, streams: int, ms: int, top: int,
) -> ArtistStats:  # fmt: skip
    """Top tracks by streams (ties: minutes, then id), countries by listeners (ties:
    minutes, then code)."""
    tracks.sort(key=lambda t: (-t.streams, -t.minutes, t.item_id))
    countries.sort(key=lambda c: (-c.listeners, -c.minutes, c.country or ""))
    return ArtistStats(
        artist_id=artist_id, name=name, listeners=listeners, plays=plays, streams=streams,
        minutes=ms / 60_000, top_tracks=tracks[:top], countries=countries,
    )  # fmt: skip


def rolled_up_artist_stats(
    conn: Connection, rollup_id: int, artist_id: int, name: str, first: int, end: int,
    top: int = 10,
) -> ArtistStats:  # fmt: skip
    """The artist's audience on local days ``[first, end)`` of a zone's rollup (which must
    be up to date): two grouped reads, by country and by track. A listener counts once
    where their previous day (with the artist; in that country; with that track) is
    before the range."""
    a = artist_days_t.c
    by_country = conn.execute(
        select(a.country, func.sum(a.plays), func.sum(a.streams), func.sum(a.ms_played),
               func.sum(case((a.prev_day < first, 1), else_=0)),
               func.sum(case((a.prev_country_day < first, 1), else_=0)))
        .where(a.rollup_id == rollup_id, a.artist_id == artist_id, a.day >= first, a.day < end)
        .group_by(a.country)
    ).all()  # fmt: skip
    t = track_days_t.c
    by_track = conn.execute(
        select(t.item_id, func.sum(t.streams), func.sum(t.ms_played),
               func.sum(case((t.prev_day < first, 1), else_=0)))
        .where(t.rollup_id == rollup_id, t.artist_id == artist_id, t.day >= first, t.day < end)
        .group_by(t.item_id)
    ).all()  # fmt: skip
    tracks = [TrackStat(int(i), "", int(s), int(ms) / 60_000, int(n)) for i, s, ms, n in by_track]
    tracks.sort(key=lambda t: (-t.streams, -t.minutes, t.item_id))
    titles = dict(conn.execute(
        select(Item.id, Item.title).where(Item.id.in_([t.item_id for t in tracks[:top]]))
    ).all())  # fmt: skip
    named = [TrackStat(t.item_id, titles[t.item_id], t.streams, t.minutes, t.listeners)
             for t in tracks[:top]]  # fmt: skip
    countries = [CountryStat(c or None, int(n), int(ms) / 60_000)
                 for c, _, _, ms, _, n in by_country]  # fmt: skip
    listeners, plays, streams, ms = (sum(int(r[k]) for r in by_country) for k in (4, 1, 2, 3))
    return _ranked(artist_id, name, named, countries, listeners, plays, streams, ms, top)


def artist_stats(
    conn: Connection, artist_id: int, name: str, start: datetime, end: datetime, top: int = 10
) -> ArtistStats:
    """The artist's audience for plays started in ``[start, end)``, straight from the
    events.

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
    countries: dict[str | None, tuple[set[int], int]] = {}
    for u, _, played, country in rows:
        seen, total = countries.get(country, (set(), 0))
        seen.add(u)
        countries[country] = (seen, total + played)
    by_country = [CountryStat(c, len(s), t / 60_000) for c, (s, t) in countries.items()]
    return _ranked(
        artist_id, name, tracks, by_country, int(np.unique(user).size), len(rows),
        int(streams.sum()), int(ms.sum()), top,
    )  # fmt: skip
