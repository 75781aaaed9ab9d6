"""The entries cards list: an artist, track, album or genre with its listening time."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from models.wrapped import CatalogNames
from wrapped.aggregate import minutes


class Amount(BaseModel):
    """Listening time (exact milliseconds and whole minutes) and streams (plays ≥ 30 s)."""

    ms_played: int
    minutes: int
    streams: int


def amount(ms: int, streams: int) -> dict[str, int]:
    return {"ms_played": int(ms), "minutes": minutes(ms), "streams": int(streams)}


class ArtistEntry(Amount):
    id: int
    name: str


class TrackEntry(Amount):
    id: int
    title: str
    artist_id: int
    artist: str
    album: str | None
    duration_ms: int | None
    spotify_uri: str | None


class AlbumEntry(Amount):
    id: int
    title: str
    artist: str


class GenreEntry(Amount):
    name: str


def artist_entry(catalog: CatalogNames, artist_id: int, ms: int, streams: int) -> ArtistEntry:
    return ArtistEntry(id=artist_id, name=catalog.artists.get(artist_id, ""), **amount(ms, streams))


def track_fields(catalog: CatalogNames, item_id: int, ms: int, streams: int) -> dict[str, Any]:
    """A :class:`TrackEntry`'s fields, for validating many at once."""
    item = catalog.items[item_id]
    return {
        "id": item_id,
        "title": item.title,
        "artist_id": item.artist_id,
        "artist": catalog.artists.get(item.artist_id, ""),
        "album": None if item.album_id is None else catalog.albums[item.album_id].title,
        "duration_ms": item.duration_ms,
        "spotify_uri": item.spotify_uri,
        **amount(ms, streams),
    }


def track_entry(catalog: CatalogNames, item_id: int, ms: int, streams: int) -> TrackEntry:
    return TrackEntry(**track_fields(catalog, item_id, ms, streams))


def album_entry(catalog: CatalogNames, album_id: int, ms: int, streams: int) -> AlbumEntry:
    album = catalog.albums[album_id]
    return AlbumEntry(
        id=album_id,
        title=album.title,
        artist=catalog.artists.get(album.artist_id, ""),
        **amount(ms, streams),
    )
