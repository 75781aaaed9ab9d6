"""Top artists, tracks, albums and genres by listening time (music only), and a closer
look at the top artist: the first day they were played and their most-played track."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from wrapped.aggregate import group, ranked
from wrapped.context import Context
from wrapped.entries import (
    AlbumEntry,
    ArtistEntry,
    GenreEntry,
    TrackEntry,
    album_entry,
    amount,
    artist_entry,
    track_entry,
)
from wrapped.window import day_date

TOP_N = 5


class TopArtist(BaseModel):
    artist: ArtistEntry
    first_played: date
    top_track: TrackEntry


class Top(BaseModel):
    """Ranked by listening time, then streams, then name, then id."""

    artists: list[ArtistEntry]
    tracks: list[TrackEntry]
    albums: list[AlbumEntry]
    genres: list[GenreEntry]
    top_artist: TopArtist | None


def top_artists(ctx: Context, k: int = TOP_N) -> list[ArtistEntry]:
    g = ctx.by_artist
    return [
        artist_entry(ctx.catalog, int(g.keys[i]), int(g.ms[i]), int(g.streams[i]))
        for i in ranked(g, k, ctx.artist_name)
    ]


def top_tracks(ctx: Context, k: int = TOP_N) -> list[TrackEntry]:
    g = ctx.by_track
    return [
        track_entry(ctx.catalog, int(g.keys[i]), int(g.ms[i]), int(g.streams[i]))
        for i in ranked(g, k, ctx.track_title)
    ]


def top_albums(ctx: Context, k: int = TOP_N) -> list[AlbumEntry]:
    g = ctx.by_album
    return [
        album_entry(ctx.catalog, int(g.keys[i]), int(g.ms[i]), int(g.streams[i]))
        for i in ranked(g, k, ctx.album_title)
    ]


def top_genres(ctx: Context, k: int = TOP_N) -> list[GenreEntry]:
    best = sorted(
        ctx.by_genre.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0].casefold(), kv[0])
    )
    return [GenreEntry(name=name, **amount(ms, streams)) for name, (ms, streams) in best[:k]]


def top_artist(ctx: Context) -> TopArtist | None:
    artist = ctx.top_artist
    if artist is None:
        return None
    theirs = ctx.music & (ctx.plays.artist == artist)
    tracks = group(ctx.plays.item[theirs], ctx.plays.ms_played[theirs])
    (best,) = ranked(tracks, 1, ctx.track_title)
    at = ctx.by_artist.find(artist)
    assert at is not None
    return TopArtist(
        artist=artist_entry(
            ctx.catalog, artist, int(ctx.by_artist.ms[at]), int(ctx.by_artist.streams[at])
        ),
        first_played=day_date(ctx.first_day(artist)),
        top_track=track_entry(
            ctx.catalog, int(tracks.keys[best]), int(tracks.ms[best]), int(tracks.streams[best])
        ),
    )


def top(ctx: Context) -> Top:
    return Top(
        artists=top_artists(ctx),
        tracks=top_tracks(ctx),
        albums=top_albums(ctx),
        genres=top_genres(ctx),
        top_artist=top_artist(ctx),
    )
