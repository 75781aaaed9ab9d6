"""The year month by month: each month's music time, top artist and top track."""

from __future__ import annotations

from pydantic import BaseModel

from wrapped.aggregate import group, minutes, ranked
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
    plays, catalog = ctx.plays, ctx.catalog
    first, last = month_range(ctx)
    out = []
    for month in range(first, last + 1):
        mask = ctx.music & (ctx.local.month == month)
        ms = plays.ms_played[mask]
        artists = group(plays.artist[mask], ms)
        tracks = group(plays.item[mask], ms)
        artist = track = None
        for i in ranked(artists, 1, ctx.artist_name):
            artist = artist_entry(
                catalog, int(artists.keys[i]), int(artists.ms[i]), int(artists.streams[i])
            )
        for i in ranked(tracks, 1, ctx.track_title):
            track = track_entry(
                catalog, int(tracks.keys[i]), int(tracks.ms[i]), int(tracks.streams[i])
            )
        total = int(ms.sum())
        out.append(
            Month(
                month=month_label(month),
                ms_played=total,
                minutes=minutes(total),
                top_artist=artist,
                top_track=track,
            )
        )
    return out
