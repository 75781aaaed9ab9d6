"""Short reasons for recommended items: the listener's item each one is most like.

"because you played X" names the item of the listener's history (their most confident
``HISTORY`` items) nearest the recommended one: by the cosine of item factors for
factor models, by the item-item similarity for item-kNN. Popularity has no neighbours
to point at, so its lists say what they are. A known listener's precomputed candidates
carry their nearest played items already (:mod:`service.recs.nearest`): :func:`played`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import orjson
import scipy.sparse as sp

from recsys.neighbours import ItemKnn
from service.recs.index import Served
from service.recs.nearest import HISTORY
from service.recs.respond import POPULAR


def played(served: Served, near: list[int]) -> list[bytes]:
    """The reasons of items whose nearest played items are ``near`` (-1: none)."""
    titles = served.catalog.played_json
    return [titles[i] if i >= 0 else POPULAR for i in near]


def because(
    served: Served, items: npt.NDArray[np.int32], history: npt.NDArray[np.int32], verb: str
) -> list[bytes]:
    """One reason (a JSON string) per dense item of ``items``, given the listener's dense
    ``history``, most confident first; "played" reasons come pre-encoded."""
    hist = history[:HISTORY]
    if not len(items):
        return []
    if not len(hist):
        return [POPULAR] * len(items)
    nearest: npt.NDArray[np.int32] | None = None
    if served.unit_items is not None:
        unit = served.unit_items
        nearest = hist[np.argmax(unit[items] @ unit[hist].T, axis=1)]
    elif isinstance(served.artifact.model, ItemKnn):
        sim = sp.csr_matrix(served.artifact.model.similarity[hist])[:, items].toarray()
        nearest = hist[np.argmax(sim, axis=0)]
    if nearest is None:
        return [POPULAR] * len(items)
    if verb == "played":
        played = served.catalog.played_json
        return [played[i] for i in nearest.tolist()]
    titles = served.catalog.titles
    return [orjson.dumps(f"because you {verb} {titles[i]}") for i in nearest.tolist()]
