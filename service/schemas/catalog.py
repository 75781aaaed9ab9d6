"""Catalog entries as the API shows them, and the ``{data, count}`` list envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

from models.catalog import Album, Artist, Item, ItemKind

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int


class ArtistPublic(BaseModel):
    id: int
    name: str
    mbid: str | None = None
    tags: list[str] = []

    @classmethod
    def of(cls, artist: Artist, *, with_tags: bool = False) -> ArtistPublic:
        tags = [tag.name for tag in artist.tags] if with_tags else []
        return cls(id=artist.id, name=artist.name, mbid=artist.mbid, tags=tags)


class AlbumPublic(BaseModel):
    id: int
    title: str

    @classmethod
    def of(cls, album: Album | None) -> AlbumPublic | None:
        return cls(id=album.id, title=album.title) if album else None


class ItemPublic(BaseModel):
    id: int
    kind: ItemKind
    title: str
    artist: ArtistPublic
    album: AlbumPublic | None
    duration_ms: int | None
    spotify_uri: str | None
    isrc: str | None
    mbid: str | None

    @classmethod
    def of(cls, item: Item) -> ItemPublic:
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            artist=ArtistPublic.of(item.artist),
            album=AlbumPublic.of(item.album),
            duration_ms=item.duration_ms,
            spotify_uri=item.spotify_uri,
            isrc=item.isrc,
            mbid=item.mbid,
        )
