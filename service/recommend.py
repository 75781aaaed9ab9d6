"""Recommendations for a listener and items like an item, with external ids at the edge.

The served model works on dense indices; this module turns store ids into them and back
and fills in titles. A listener the model does not know (new since training, or never
seen) gets the most popular items instead: from the served model's training data when a
model is active, from the store when none is.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from models.history import find_user
from models.recommendations import items_by_id, listened_items, popular_items
from recsys.errors import ModelNotReady
from service.errors import NotFound
from service.model_holder import Served
from service.schemas.recommendations import (
    Recommendations,
    RecommendedItem,
    SimilarItems,
    Source,
)

NO_MODEL = "no model version is active; run `encore retrain --promote always` first"


def for_user(
    session: Session,
    served: Served | None,
    *,
    user_id: str,
    limit: int,
    exclude_listened: bool,
) -> Recommendations:
    """Top-``limit`` items for the listener with external id ``user_id``; popular ones,
    with nothing of theirs used, when the listener opted out of personalization."""
    user = find_user(session, user_id)
    if user is not None and user.opt_out_personalization:
        user, exclude_listened = None, False
    version = None if served is None else served.version_id
    ranked: list[tuple[int, float]]
    source: Source = "popular"
    index = -1
    if served is not None and user is not None:
        index = int(served.artifact.user_ids.index([user.id])[0])
    if served is not None and index >= 0:
        art = served.artifact
        ids, scores = art.model.recommend(
            [index], art.user_items[index], N=limit, filter_already_liked=exclude_listened
        )
        keep = ids[0] >= 0
        store_ids = art.item_ids.external(ids[0][keep])
        ranked = list(zip(store_ids.tolist(), scores[0][keep].tolist(), strict=True))
        source = "model"
    else:
        exclude = listened_items(session, user_id=user.id) if user and exclude_listened else set()
        ranked = _popular(session, served, limit=limit, exclude=exclude)
    data = _describe(session, ranked)
    return Recommendations(
        user_id=user_id, data=data, count=len(data), model_version=version,
        rec_id=uuid.uuid4(), source=source,
    )  # fmt: skip


def similar(session: Session, served: Served | None, *, item_id: int, limit: int) -> SimilarItems:
    """The ``limit`` items the served model finds most like ``item_id`` (a store id).

    Raises
    ------
    ModelNotReady
        No model version is active.
    NotFound
        The item is not in the catalog, or the model was trained before it was played.
    """
    if served is None:
        raise ModelNotReady(NO_MODEL)
    art = served.artifact
    index = int(art.item_ids.index([item_id])[0])
    if index < 0:
        known = items_by_id(session, [item_id])
        msg = "the model has no plays of this item yet" if known else "no such item"
        raise NotFound(["path", "item_id"], msg)
    ids, scores = art.model.similar_items([index], N=limit)
    keep = ids[0] >= 0
    store_ids = art.item_ids.external(ids[0][keep])
    data = _describe(session, list(zip(store_ids.tolist(), scores[0][keep].tolist(), strict=True)))
    return SimilarItems(
        item_id=item_id, data=data, count=len(data), model_version=served.version_id
    )


def _popular(
    session: Session, served: Served | None, *, limit: int, exclude: Collection[int]
) -> list[tuple[int, float]]:
    if served is None:
        return [
            (item, float(n)) for item, n in popular_items(session, limit=limit, exclude=exclude)
        ]
    top = served.popular[: limit + len(exclude)]
    store_ids = served.artifact.item_ids.external(top).tolist()
    counts = served.listeners[top].tolist()
    pairs = [(int(i), float(n)) for i, n in zip(store_ids, counts, strict=True) if i not in exclude]
    return pairs[:limit]


def _describe(session: Session, ranked: Sequence[tuple[int, float]]) -> list[RecommendedItem]:
    """Ranked ``(store id, score)`` pairs with titles; items gone from the store are left out."""
    items = items_by_id(session, [item for item, _ in ranked])
    found = [(items[item], score) for item, score in ranked if item in items]
    return [
        RecommendedItem(
            id=item.id, title=item.title, artist=item.artist.name,
            score=score, rank=rank,
        )
        for rank, (item, score) in enumerate(found, start=1)
    ]  # fmt: skip
