"""``GET /v1/users/{user_id}/recommendations`` and ``POST /v1/recommendations``.

Both answer from the active model version (see :mod:`service.recs`). A listener the
model does not know gets popular items, never an error. The user list is the hot path:
for a listener without news it costs no database round trip, and its JSON is built
directly (see ``bench/recs_serve.py``); the response model below documents it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.deps import RecsDep
from service.recs import lists
from service.recs.catalog import Filters
from service.schemas.recommendations import (
    ExcludeArtists,
    Genre,
    Kind,
    Limit,
    MaxPerArtist,
    Recommendations,
    ReleasedAfter,
    SeedRequest,
    SeedsAnswer,
)

router = APIRouter(prefix="/v1", tags=["recommendations"])
JSON = "application/json"


@router.get("/users/{user_id}/recommendations", response_model=Recommendations)
async def recommendations(
    recs: RecsDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128)],
    limit: Limit = 20,
    exclude_listened: Annotated[
        bool, Query(description="leave out what the listener played")
    ] = True,
    kind: Kind = None,
    genre: Genre = None,
    exclude_artists: ExcludeArtists = None,
    released_after: ReleasedAfter = None,
    max_per_artist: MaxPerArtist = None,
) -> Response:
    """What ``user_id`` might play next, best first; ``rec_id`` identifies this answer:
    send it back on the events it leads to."""
    served = await recs.served()
    filters = Filters(kind, genre, frozenset(exclude_artists or ()), released_after,
                      max_per_artist)  # fmt: skip
    args = (served, recs.fresh, recs.sessions)
    kwargs = {"user_id": user_id, "limit": limit, "filters": filters,
              "exclude_listened": exclude_listened}  # fmt: skip
    if lists.needs_store(served, recs.fresh, user_id):
        answer = await run_in_threadpool(lambda: lists.for_user(*args, **kwargs))  # type: ignore[arg-type]
    else:
        answer = lists.for_user(*args, **kwargs)  # type: ignore[arg-type]
    if answer.served is not None:
        recs.log.add(answer.served)
    return Response(answer.body, media_type=JSON)


@router.post("/recommendations", response_model=SeedsAnswer)
async def seeded(recs: RecsDep, request: SeedRequest) -> Response:
    """Items for a session or a brand-new listener, from chosen items and/or artists."""
    served = await recs.served()
    filters = Filters(request.kind, request.genre, frozenset(request.exclude_artists),
                      request.released_after, request.max_per_artist)  # fmt: skip
    answer = lists.for_seeds(
        served, seed_items=request.seed_items, seed_artists=request.seed_artists,
        limit=request.limit, filters=filters,
    )  # fmt: skip
    if answer.served is not None:
        recs.log.add(answer.served)
    return Response(answer.body, media_type=JSON)
