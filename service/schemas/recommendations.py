"""Recommendations and similar items, artists and listeners as the API shows them, and
the query parameters every list endpoint shares."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from service.schemas.fields import IsoDate, RowId

Source = Literal["model", "fresh", "popular", "seeds"]
KindName = Literal["track", "episode", "video"]

Limit = Annotated[int, Query(ge=1, le=200, description="items to return")]
Kind = Annotated[KindName | None, Query(description="only items of this kind")]
Genre = Annotated[
    str | None, Query(min_length=1, max_length=128, description="only artists with this tag")
]
ExcludeArtists = Annotated[
    list[int] | None, Query(description="leave out these artists (repeat the parameter)")
]
ReleasedAfter = Annotated[
    IsoDate | None,
    Query(description="only items first heard on or after this date (the release proxy)"),
]
MaxPerArtist = Annotated[
    int | None, Query(ge=1, le=200, description="at most this many per artist")
]


class RecommendedItem(BaseModel):
    id: int
    title: str
    artist: str
    artist_id: int
    kind: KindName
    score: float
    rank: int = Field(ge=1)
    reason: str | None = Field(None, description='e.g. "because you played Riverside"')


class Recommendations(BaseModel):
    """``source``: ``model`` (ranked by the model), ``fresh`` (plays newer than the model
    folded in), ``popular`` (a listener the model does not know, or no model active)."""

    user_id: str
    data: list[RecommendedItem]
    count: int
    model_version: int | None
    rec_id: str
    source: Source


class SeedRequest(BaseModel):
    """At least one seed; filters as on the GET lists."""

    model_config = ConfigDict(extra="forbid")

    seed_items: list[RowId] = Field(default_factory=list, max_length=200)
    seed_artists: list[RowId] = Field(default_factory=list, max_length=50)
    limit: int = Field(20, ge=1, le=200)
    kind: KindName | None = None
    genre: str | None = Field(None, min_length=1, max_length=128)
    exclude_artists: list[int] = Field(default_factory=list, max_length=1000)
    released_after: IsoDate | None = None
    max_per_artist: int | None = Field(None, ge=1, le=200)

    def model_post_init(self, _context: object) -> None:
        if not self.seed_items and not self.seed_artists:
            raise ValueError("give seed_items, seed_artists or both")


class SeedsAnswer(BaseModel):
    data: list[RecommendedItem]
    count: int
    model_version: int
    rec_id: str
    source: Literal["seeds"]


class SimilarItems(BaseModel):
    item_id: int
    data: list[RecommendedItem]
    count: int
    model_version: int


class SimilarArtist(BaseModel):
    id: int
    name: str
    score: float
    rank: int = Field(ge=1)
    kinds: list[KindName]


class SimilarArtists(BaseModel):
    artist_id: int
    data: list[SimilarArtist]
    count: int
    model_version: int


class SimilarListener(BaseModel):
    user_id: str
    score: float
    rank: int = Field(ge=1)


class SimilarUsers(BaseModel):
    user_id: str
    data: list[SimilarListener]
    count: int
    model_version: int
