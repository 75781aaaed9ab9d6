"""``GET /v1/items/{item_id}/similar``, ``/v1/artists/{artist_id}/similar`` and
``/v1/users/{user_id}/similar``.

They answer from the active model version and 503 ``model_not_ready`` without one:
there is nothing sensible to rank by. Unknown ids are 404s located at the path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.deps import RecsDep
from service.recs import similar
from service.recs.catalog import Filters
from service.schemas.recommendations import (
    ExcludeArtists,
    Genre,
    Kind,
    Limit,
    MaxPerArtist,
    ReleasedAfter,
    SimilarArtists,
    SimilarItems,
    SimilarUsers,
)

router = APIRouter(prefix="/v1", tags=["recommendations"])
JSON = "application/json"
StoreId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/items/{item_id}/similar", response_model=SimilarItems)
async def similar_items(
    recs: RecsDep,
    item_id: StoreId,
    limit: Limit = 20,
    kind: Kind = None,
    genre: Genre = None,
    exclude_artists: ExcludeArtists = None,
    released_after: ReleasedAfter = None,
    max_per_artist: MaxPerArtist = None,
) -> Response:
    """Items the active model finds most like ``item_id``, most similar first."""
    served = await recs.served()
    filters = Filters(kind, genre, frozenset(exclude_artists or ()), released_after,
                      max_per_artist)  # fmt: skip
    answer = await run_in_threadpool(
        lambda: similar.similar_items(
            served, recs.sessions, item_id=item_id, limit=limit, filters=filters
        )
    )
    return Response(answer.body, media_type=JSON)


@router.get("/artists/{artist_id}/similar", response_model=SimilarArtists)
async def similar_artists(
    recs: RecsDep,
    artist_id: StoreId,
    limit: Limit = 20,
    kind: Kind = None,
    genre: Genre = None,
    exclude_artists: ExcludeArtists = None,
    released_after: ReleasedAfter = None,
) -> Response:
    """Artists whose listeners overlap most with ``artist_id``'s; ``kind`` keeps artists
    with items of that kind, ``released_after`` artists first heard on or after it."""
    served = await recs.served()
    filters = Filters(kind, genre, frozenset(exclude_artists or ()), released_after)
    answer = await run_in_threadpool(
        lambda: similar.similar_artists(
            served, recs.sessions, artist_id=artist_id, limit=limit, filters=filters
        )
    )
    return Response(answer.body, media_type=JSON)


@router.get("/users/{user_id}/similar", response_model=SimilarUsers)
async def similar_users(
    recs: RecsDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128)],
    limit: Limit = 20,
) -> Response:
    """Listeners with the most similar taste; listeners who opted out of comparisons are
    never shown, and one who opted out gets 403."""
    served = await recs.served()
    answer = await run_in_threadpool(
        lambda: similar.similar_users(served, recs.sessions, user_id=user_id, limit=limit)
    )
    return Response(answer.body, media_type=JSON)
