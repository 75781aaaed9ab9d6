"""The year month by month: each month's music time, top artist and top track."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from wrapped.aggregate import group_pairs, leaders, minutes
from wrapped.cards.clock import month_range
from wrapped.context import Context
from wrapped.entries import ArtistEntry, TrackEntry, artist_entry, track_entry
from wrapped.window import month_label


class Month(BaseModel):
    month: str
    ms_played: int
    minutes: int
    top_artist: ArtistEntry | None
    top_track: TrackEntry | None


def months(ctx: Context) -> list[Month]:
    plays, catalog, music = ctx.plays, ctx.catalog, ctx.music
    first, last = month_range(ctx)
    month, ms = ctx.local.month[music], plays.ms_played[music]
    totals = np.zeros(last - first + 1, dtype=np.int64)
    np.add.at(totals, month - first, ms)
    artists = group_pairs(month, plays.artist[music], ms)
    tracks = group_pairs(month, plays.item[music], ms)
    top_artist: dict[int, ArtistEntry] = {}
    for i in leaders(artists, ctx.artist_name).tolist():
        top_artist[int(artists.segment[i])] = artist_entry(
            catalog, int(artists.key[i]), int(artists.ms[i]), int(artists.streams[i])
        )
    top_track: dict[int, TrackEntry] = {}
    for i in leaders(tracks, ctx.track_title).tolist():
        top_track[int(tracks.segment[i])] = track_entry(
            catalog, int(tracks.key[i]), int(tracks.ms[i]), int(tracks.streams[i])
        )
    return [
        Month(
            month=month_label(m),
            ms_played=int(total),
            minutes=minutes(int(total)),
            top_artist=top_artist.get(m),
            top_track=top_track.get(m),
        )
        for m, total in enumerate(totals.tolist(), start=first)
    ]
