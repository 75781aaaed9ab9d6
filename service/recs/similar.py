"""Items, artists and listeners like a given one, from the served version.

Without an active model these raise :class:`~recsys.errors.ModelNotReady` (503): there is
nothing sensible to rank by. Unknown ids are 404s located at the path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy.orm import Session

from models.catalog import Artist
from models.history import find_user
from models.recommendations import comparison_opt_outs, items_by_id
from recsys import artists as artist_knn
from recsys.errors import ModelNotReady
from service.errors import ApiError, NotFound
from service.recs import respond
from service.recs.catalog import KINDS, Filters
from service.recs.index import Served
from service.recs.lists import NO_MODEL, Answer, Ranked, pick


def similar_items(
    served: Served | None, session: Callable[[], Session], *, item_id: int, limit: int,
    filters: Filters,
) -> Answer:  # fmt: skip
    """The ``limit`` items the served model finds most like ``item_id`` (a store id)."""
    if served is None:
        raise ModelNotReady(NO_MODEL)
    art = served.artifact
    index = int(art.item_ids.index([item_id])[0])
    if index < 0 or not served.catalog.present[index]:
        with session() as s:
            known = items_by_id(s, [item_id])
        msg = "the model has no plays of this item yet" if known else "no such item"
        raise NotFound(["path", "item_id"], msg)
    n = min(served.candidates, art.model.n_items - 1)
    ids, scores = art.model.similar_items([index], N=n)
    ranked = Ranked(ids[0], scores[0], deeper=lambda n: art.model.similar_items([index], N=n))
    picked = pick(served, ranked, filters, limit)
    meta = {"item_id": item_id, "count": len(picked.dense), "model_version": served.version_id}
    return Answer(respond.body(meta, served.catalog, picked.dense, picked.scores))


def similar_artists(
    served: Served | None, session: Callable[[], Session], *, artist_id: int, limit: int,
    filters: Filters,
) -> Answer:  # fmt: skip
    """Artists whose listeners overlap most with ``artist_id``'s (see :mod:`recsys.artists`)."""
    if served is None:
        raise ModelNotReady(NO_MODEL)
    cat = served.catalog
    index = int(cat.artist_ids.index([artist_id])[0])
    if index < 0 or cat.artist_similarity is None:
        raise NotFound(["path", "artist_id"], _unknown_artist(session, artist_id))
    near, cosines = artist_knn.nearest(cat.artist_similarity, index, cat.artist_similarity.shape[1])
    keep = cat.keep_artists(near, filters, limit)
    near, cosines = near[keep], cosines[keep]
    data = [
        {"id": int(cat.artist_ids.ids[a]), "name": cat.artist_names[a], "score": float(c),
         "rank": rank, "kinds": [k for j, k in enumerate(KINDS) if cat.artist_kinds[a, j]]}
        for rank, (a, c) in enumerate(zip(near.tolist(), cosines.tolist(), strict=True), 1)
    ]  # fmt: skip
    body = {"artist_id": artist_id, "data": data, "count": len(data),
            "model_version": served.version_id}  # fmt: skip
    return Answer(orjson.dumps(body))


def similar_users(
    served: Served | None, session: Callable[[], Session], *, user_id: str, limit: int
) -> Answer:
    """Listeners with the most similar taste, never one who opted out of comparisons.

    Factor models compare listeners by the cosine of their factors; other models by the
    cosine of their training rows.

    Raises
    ------
    ApiError
        404 for a listener the model does not know; 403 when they opted out of comparisons.
    """
    if served is None:
        raise ModelNotReady(NO_MODEL)
    user = served.users.get(user_id, -1)
    if user < 0:
        with session() as s:
            msg = "the model has no listening of this user yet" if find_user(s, user_id) else (
                "no such user")  # fmt: skip
        raise NotFound(["path", "user_id"], msg)
    art = served.artifact
    sims = _user_cosines(served, user)
    sims[user] = -np.inf
    store_ids = art.user_ids.ids
    out: list[dict[str, Any]] = []
    with session() as s:
        if comparison_opt_outs(s, [int(store_ids[user])]):
            raise ApiError(403, ["path", "user_id"], "this listener opted out of comparisons",
                           "comparisons_opted_out")  # fmt: skip
        order = np.argsort(-sims, kind="stable")
        for start in range(0, len(order), 4 * limit):
            block = [int(u) for u in order[start : start + 4 * limit] if np.isfinite(sims[u])]
            if not block:
                break
            hidden = comparison_opt_outs(s, [int(store_ids[u]) for u in block])
            for u in block:
                if int(store_ids[u]) not in hidden and served.user_external[u]:
                    out.append({"user_id": served.user_external[u], "score": float(sims[u]),
                                "rank": len(out) + 1})  # fmt: skip
                    if len(out) == limit:
                        break
            if len(out) == limit:
                break
    body = {"user_id": user_id, "data": out, "count": len(out),
            "model_version": served.version_id}  # fmt: skip
    return Answer(orjson.dumps(body))


def _user_cosines(served: Served, user: int) -> npt.NDArray[np.float64]:
    model = served.artifact.model
    factors = getattr(model, "user_factors", None)
    if factors is not None and len(factors):
        unit = factors / np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-12)
        return np.asarray(unit @ unit[user], dtype=np.float64)
    ui = served.artifact.user_items
    norms = np.sqrt(np.asarray(ui.multiply(ui).sum(axis=1)).ravel())
    dots = np.asarray((ui @ ui[user].T).toarray(), dtype=np.float64).ravel()
    cosines: npt.NDArray[np.float64] = dots / np.maximum(norms * max(norms[user], 1e-12), 1e-12)
    return cosines


def _unknown_artist(session: Callable[[], Session], artist_id: int) -> str:
    with session() as s:
        known = s.get(Artist, artist_id) is not None
    return "the model has no plays of this artist yet" if known else "no such artist"
