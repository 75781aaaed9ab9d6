""" "Your Top Songs": the year's playlist, by streams (ties by listening time)."""

from __future__ import annotations

from pydantic import BaseModel

from wrapped.aggregate import ranked
from wrapped.context import Context
from wrapped.entries import TrackEntry, track_fields

TOP_SONGS = 100


class TopSongs(BaseModel):
    """Up to 100 tracks with at least one stream, by streams, then listening time, then
    title, then id."""

    tracks: list[TrackEntry]


def top_songs(ctx: Context) -> TopSongs:
    g = ctx.by_track
    # validated as one document: a hundred entries cost less than a hundred models
    return TopSongs.model_validate(
        {
            "tracks": [
                track_fields(ctx.catalog, int(g.keys[i]), int(g.ms[i]), int(g.streams[i]))
                for i in ranked(g, TOP_SONGS, ctx.track_title, by_streams=True)
                if g.streams[i] > 0
            ]
        }
    )
