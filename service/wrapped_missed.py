"""The served model as Wrapped's "you might have missed" recommender.

Wrapped knows no model (it may import only ``models``); it asks a
:class:`~wrapped.cards.missed.MissedRecommender` for candidates. This adapts the active
version: store user ids become the model's dense indices, the model ranks every listener
it knows in one batch call with what it saw them play filtered out, and the dense item
indices it returns become store item ids again. A listener trained after the model was
(or never) gets nothing: a popularity list is no "similar listeners loved" answer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from service.recs.index import Served

I64 = npt.NDArray[np.int64]
EMPTY: I64 = np.zeros(0, dtype=np.int64)


class ModelMissed:
    """Candidates from one served model version."""

    def __init__(self, served: Served) -> None:
        self.served = served

    def missed(self, users: I64, k: int) -> list[I64]:
        art = self.served.artifact
        index = np.asarray(art.user_ids.index(np.asarray(users, dtype=np.int64)))
        out = [EMPTY] * len(index)
        known = np.flatnonzero(index >= 0)
        if known.size == 0 or k <= 0:
            return out
        rows = index[known]
        ids, _scores = art.model.recommend(
            rows, art.user_items[rows], N=min(k, len(art.item_ids)), filter_already_liked=True
        )
        for at, ranked in zip(known.tolist(), ids, strict=True):
            keep = ranked[ranked >= 0]
            out[at] = np.asarray(art.item_ids.external(keep), dtype=np.int64)
        return out


def missed_for(served: Served | None) -> ModelMissed | None:
    """The recommender for Wrapped when a model version is active, else None."""
    return None if served is None else ModelMissed(served)
