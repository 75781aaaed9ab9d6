"""``GET /v1/items`` and ``GET /v1/artists``: browse and search the catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.catalog import ItemKind
from models.search import search_artists, search_items
from service.deps import SessionDep
from service.schemas.catalog import ArtistPublic, ItemPublic, Page

router = APIRouter(prefix="/v1", tags=["catalog"])

SearchQuery = Annotated[
    str | None,
    Query(max_length=200, description="part of a title or name; case and accents are ignored"),
]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/items", response_model=Page[ItemPublic])
def list_items(
    session: SessionDep,
    q: SearchQuery = None,
    kind: ItemKind | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ItemPublic]:
    """Items whose title contains ``q``: exact matches first, then prefixes, then the rest."""
    items, count = search_items(session, query=q, kind=kind, limit=limit, offset=offset)
    return Page(data=[ItemPublic.of(item) for item in items], count=count)


@router.get("/artists", response_model=Page[ArtistPublic])
def list_artists(
    session: SessionDep, q: SearchQuery = None, limit: Limit = 20, offset: Offset = 0
) -> Page[ArtistPublic]:
    """Artists whose name contains ``q``, best matches first, with their tags."""
    artists, count = search_artists(session, query=q, limit=limit, offset=offset)
    return Page(data=[ArtistPublic.of(a, with_tags=True) for a in artists], count=count)
