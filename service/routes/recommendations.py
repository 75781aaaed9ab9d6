"""``GET /v1/users/{user_id}/recommendations`` and ``POST /v1/recommendations``.

Both answer from the active model version (see :mod:`service.recs`). A listener the
model does not know gets popular items, never an error. The user list is the hot path:
for a listener without news it costs no database round trip, and its JSON is built
directly (see ``bench/recs_serve.py``); the response model below documents it.
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from service.deps import RecsDep
from service.experiments import experiment_resolver
from service.recs import lists, query
from service.recs.catalog import Filters
from service.recs.respond import JsonBytes
from service.recs.runtime import Recs
from service.schemas.errors import MODEL_NOT_READY, refusal
from service.schemas.recommendations import Recommendations, SeedRequest, SeedsAnswer

router = APIRouter(prefix="/v1", tags=["recommendations"])
JSON = "application/json"


USER_ID = 128


@router.get(
    "/users/{user_id}/recommendations",
    response_model=Recommendations,
    openapi_extra={"parameters": query.openapi_parameters()},
    responses={422: {"description": "a bad parameter, named in FastAPI's error shape"}},
)
async def recommendations(request: Request, user_id: str) -> Response:
    """What ``user_id`` might play next, best first; ``rec_id`` identifies this answer:
    send it back on the events it leads to. (The query string is validated by
    :mod:`service.recs.query`: FastAPI's per-parameter resolution costs more than the list.)"""
    return await user_list(request)


async def user_list(request: Request) -> Response:
    """The answer of :func:`recommendations`; served by a
    :class:`~service.direct_route.DirectRoute` (see ``DIRECT`` in :mod:`service.routes`),
    after the same checks, without FastAPI's per-request resolution."""
    user_id: str = request.path_params["user_id"]
    if not 1 <= len(user_id) <= USER_ID:
        return JSONResponse({"detail": [{
            "type": "string_too_long", "loc": ["path", "user_id"],
            "msg": f"String should have at most {USER_ID} characters", "input": user_id,
        }]}, status_code=422)  # fmt: skip
    parsed = query.parse_raw(request.scope["query_string"])
    if isinstance(parsed, JSONResponse):
        return parsed
    params, filters = parsed
    recs: Recs = request.app.state.recs
    served = await recs.served() if recs.due() else recs.models.served
    args = (served, recs.fresh, recs.sessions)
    # A running experiment may put the listener in the popularity arm; a model arm is
    # answered by the active version (one version is served at a time).
    arm = experiment_resolver(request).resolve(user_id)
    personal = arm is None or arm.model_version_id is not None
    kwargs = {"user_id": user_id, "limit": params.limit, "filters": filters,
              "exclude_listened": params.exclude_listened, "personal": personal}  # fmt: skip
    if lists.needs_store(served, recs.fresh, user_id):
        answer = await run_in_threadpool(lambda: lists.for_user(*args, **kwargs))  # type: ignore[arg-type]
    else:
        answer = lists.for_user(*args, **kwargs)  # type: ignore[arg-type]
    if answer.served is not None:
        record = answer.served
        if arm is not None:
            record = dataclasses.replace(record, experiment_id=arm.experiment_id, arm=arm.arm)
        recs.log.add(record)
    return JsonBytes(answer.body)


@router.post(
    "/recommendations", response_model=SeedsAnswer,
    responses={404: refusal("a seed the active model does not know, located in the body"),
               503: MODEL_NOT_READY},
)  # fmt: skip
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
