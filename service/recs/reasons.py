"""Short reasons for recommended items: the listener's item each one is most like.

"because you played X" names the item of the listener's history (their most confident
``HISTORY`` items) nearest the recommended one: by the cosine of item factors for
factor models, by the item-item similarity for item-kNN. Popularity has no neighbours
to point at, so its lists say what they are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.neighbours import ItemKnn
from service.recs.index import Served

HISTORY = 50
POPULAR = "popular with listeners lately"


def because(
    served: Served, items: npt.NDArray[np.int32], history: npt.NDArray[np.int32], verb: str
) -> list[str]:
    """One reason per dense item of ``items``, given the listener's dense ``history``."""
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
    titles = served.catalog.titles
    return [f"because you {verb} {titles[i]}" for i in nearest.tolist()]
