"""How clients name an item: an external id and/or artist, title and album."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.catalog import ItemKind
from models.records import ItemRef
from service.schemas.fields import Isrc, Mbid, NameText, SpotifyUri


class ItemIn(BaseModel):
    """An item as a client knows it. Give an external id, or ``artist`` and ``title``, or both:
    an unseen item is created from its artist and title."""

    model_config = ConfigDict(extra="forbid")

    kind: ItemKind = ItemKind.track
    artist: NameText | None = None
    title: NameText | None = None
    album: NameText | None = None
    duration_ms: Annotated[int, Field(strict=True, gt=0, le=24 * 3600 * 1000)] | None = None
    spotify_uri: SpotifyUri | None = None
    isrc: Isrc | None = None
    mbid: Mbid | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> ItemIn:
        if not (self.spotify_uri or self.isrc or self.mbid) and not (self.artist and self.title):
            raise ValueError(
                "item needs an external id (spotify_uri, isrc, mbid) or artist and title"
            )
        if bool(self.artist) != bool(self.title):
            raise ValueError("artist and title go together: give both or neither")
        return self

    def to_ref(self) -> ItemRef:
        return ItemRef(
            kind=self.kind,
            artist=self.artist,
            title=self.title,
            album=self.album,
            duration_ms=self.duration_ms,
            spotify_uri=self.spotify_uri,
            isrc=self.isrc.upper() if self.isrc else None,
            mbid=self.mbid.lower() if self.mbid else None,
        )
