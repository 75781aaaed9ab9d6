"""``GET /v1/items/{item_id}/similar``, ``/v1/artists/{artist_id}/similar`` and
``/v1/users/{user_id}/similar``.

They answer from the active model version and 503 ``model_not_ready`` without one:
there is nothing sensible to rank by. Unknown ids are 404s located at the path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.deps import RecsDep
from service.recs import similar
from service.recs.catalog import Filters
from service.schemas.errors import MODEL_NOT_READY, refusal
from service.schemas.fields import ROW_ID_MAX
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
StoreId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


def unknown(what: str) -> dict[int | str, dict[str, Any]]:
    """The refusals of a similar list: ``what`` is not known, or there is no model."""
    return {404: refusal(f"unknown {what}"), 503: MODEL_NOT_READY}


@router.get("/items/{item_id}/similar", response_model=SimilarItems, responses=unknown("item"))
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


@router.get(
    "/artists/{artist_id}/similar", response_model=SimilarArtists, responses=unknown("artist")
)
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


@router.get(
    "/users/{user_id}/similar", response_model=SimilarUsers,
    responses={**unknown("listener"), 403: refusal("the listener opted out of comparisons")},
)  # fmt: skip
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
