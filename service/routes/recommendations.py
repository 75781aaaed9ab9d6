"""``GET /v1/users/{user_id}/recommendations`` and ``GET /v1/items/{item_id}/similar``.

Both answer from the active model version (see :mod:`service.model_holder`). A listener
the model does not know gets popular items, never an error; with no active model,
recommendations fall back to popularity computed from the store, while similar items
answer 503 ``model_not_ready``: there is nothing sensible to rank them by.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service import recommend
from service.deps import ModelDep, SessionDep
from service.schemas.recommendations import Recommendations, SimilarItems

router = APIRouter(prefix="/v1", tags=["recommendations"])

Limit = Annotated[int, Query(ge=1, le=200, description="items to return")]


@router.get("/users/{user_id}/recommendations", response_model=Recommendations)
def recommendations(
    session: SessionDep,
    model: ModelDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128)],
    limit: Limit = 20,
    exclude_listened: Annotated[
        bool, Query(description="leave out what the listener played before training")
    ] = True,
) -> Recommendations:
    """What ``user_id`` might play next, best first; ``rec_id`` identifies this answer."""
    return recommend.for_user(
        session, model, user_id=user_id, limit=limit, exclude_listened=exclude_listened
    )


@router.get("/items/{item_id}/similar", response_model=SimilarItems)
def similar_items(
    session: SessionDep,
    model: ModelDep,
    item_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    limit: Limit = 20,
) -> SimilarItems:
    """Items the active model finds most like ``item_id``, most similar first."""
    return recommend.similar(session, model, item_id=item_id, limit=limit)
