"""What a server needs beyond the model, computed when an artifact is written.

Training has every event with its time and artist in hand; a server has only the
artifact and the store, where the same numbers would cost a scan of all listening
(tens of seconds on 5M events). So the artifact carries, in ``serving.npz``:

- each item's artist (dense index into ``artist_ids``), and each artist's nearest
  artists (:mod:`recsys.artists`);
- each item's first play (Unix seconds): the release proxy behind ``released_after``,
  as the catalog stores no release dates;
- each item's distinct listeners over the last ``RECENT_DAYS`` of the data: the
  popularity fallback's "recent window".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys import artists
from recsys.interactions import SECONDS_PER_DAY, IdMap, Index, Interactions

RECENT_DAYS = 30.0


@dataclass(frozen=True, eq=False)
class ServingExtras:
    """See the module docstring; arrays over items are in the model's item order."""

    artist_ids: IdMap
    item_artist: Index
    artist_similarity: sp.csr_matrix
    first_heard: npt.NDArray[np.float64]
    recent_listeners: npt.NDArray[np.int64]

    def save(self, path: Path) -> None:
        s = self.artist_similarity
        np.savez(
            path, allow_pickle=False, artist_ids=self.artist_ids.ids,
            item_artist=self.item_artist, sim_data=s.data, sim_indices=s.indices,
            sim_indptr=s.indptr, first_heard=self.first_heard,
            recent_listeners=self.recent_listeners,
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> ServingExtras:
        with np.load(path, allow_pickle=False) as f:
            ids = IdMap(f["artist_ids"])
            n = len(ids)
            sim = sp.csr_matrix((f["sim_data"], f["sim_indices"], f["sim_indptr"]), shape=(n, n))
            return cls(
                ids, f["item_artist"].astype(np.int32), sim, f["first_heard"].astype(np.float64),
                f["recent_listeners"].astype(np.int64),
            )  # fmt: skip


def from_interactions(
    interactions: Interactions, user_items: sp.csr_matrix
) -> ServingExtras | None:
    """The extras of a model trained on ``interactions`` (whose matrix is ``user_items``);
    None when the source does not say which artist made each item."""
    if interactions.item_artists is None or interactions.artist_ids is None:
        return None
    n_items = interactions.n_items
    ts = interactions.timestamps
    first = np.full(n_items, np.nan)
    recent = np.zeros(n_items, dtype=np.int64)
    if ts is not None and len(ts):
        first = np.full(n_items, np.inf)
        np.minimum.at(first, interactions.items, ts)
        lately = ts >= float(ts.max()) - RECENT_DAYS * SECONDS_PER_DAY
        pairs = np.unique(
            interactions.users[lately].astype(np.int64) * n_items + interactions.items[lately]
        )
        recent = np.bincount(pairs % n_items, minlength=n_items).astype(np.int64)
    sim = artists.similarity(user_items, interactions.item_artists, len(interactions.artist_ids))
    return ServingExtras(
        interactions.artist_ids, interactions.item_artists.astype(np.int32), sim, first, recent
    )
