"""Interactions as columns: one row per play (or rating, or like), dense indices inside.

Every source (the store, a HetRec or MovieLens file, a CSV) becomes an
:class:`Interactions`: parallel arrays of user index, item index, confidence weight and,
when the source has them, timestamps, plus the :class:`IdMap` of each axis that turns
dense indices back into the source's own ids. Splits select rows; models see the CSR
user x item matrix that :meth:`Interactions.matrix` sums them into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.errors import InteractionsError

SECONDS_PER_DAY = 86_400.0
MIN_WEIGHT = float(np.finfo(np.float32).tiny)

Index = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class IdMap:
    """External ids in dense-index order. They are sorted, so a lookup is a binary search."""

    ids: npt.NDArray[Any]

    @classmethod
    def encode(cls, values: npt.ArrayLike) -> tuple[IdMap, Index]:
        """The map of the distinct ``values`` and the dense index of every value."""
        array = np.asarray(values).reshape(-1)
        if array.dtype.kind in "iu" and len(array):
            low, high = int(array.min()), int(array.max())
            if high - low <= max(4 * len(array), 1 << 16):
                # store ids are dense integers: a lookup table beats sorting millions
                present = np.zeros(high - low + 1, dtype=bool)
                present[array - low] = True
                dense = np.cumsum(present, dtype=np.int64) - 1
                ids = (np.flatnonzero(present) + low).astype(array.dtype)
                return cls(ids), dense[array - low].astype(np.int32)
        ids, inverse = np.unique(array, return_inverse=True)
        return cls(ids), inverse.astype(np.int32).reshape(-1)

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, values: npt.ArrayLike) -> Index:
        """Dense indices of external ``values``; -1 for a value this map does not know."""
        wanted = np.asarray(values)
        text = self.ids.dtype.kind in "US"
        if text:
            wanted = wanted.astype(str)  # compared in full, never cut to the ids' width
        if not len(self.ids) or (wanted.dtype.kind in "US") != text:
            return np.full(wanted.shape, -1, dtype=np.int32)
        pos = np.searchsorted(self.ids, wanted).clip(0, len(self.ids) - 1)
        return np.where(self.ids[pos] == wanted, pos, -1).astype(np.int32)

    def external(self, indices: npt.ArrayLike) -> npt.NDArray[Any]:
        """External ids of dense ``indices``."""
        found: npt.NDArray[Any] = self.ids[np.asarray(indices)]
        return found

    def take(self, keep: npt.NDArray[np.bool_]) -> tuple[IdMap, Index]:
        """The map restricted to ``keep``, and old index -> new index (-1 where dropped)."""
        remap = np.full(len(self.ids), -1, dtype=np.int32)
        remap[keep] = np.arange(int(keep.sum()), dtype=np.int32)
        return IdMap(self.ids[keep]), remap


@dataclass(frozen=True, eq=False)
class Interactions:
    """Weighted user-item events; see the module docstring.

    Attributes
    ----------
    users, items : ndarray of int32
        Dense indices into ``user_ids`` and ``item_ids``, one per event.
    weights : ndarray of float32
        Confidence of each event, strictly positive (see :mod:`recsys.confidence`).
    timestamps : ndarray of float64 or None
        Event times in Unix seconds; None when the source has none (HetRec).
    item_artists : ndarray of int32 or None
        Dense index into ``artist_ids`` of each item's artist, when the source knows it.
    """

    users: Index
    items: Index
    weights: npt.NDArray[np.float32]
    timestamps: npt.NDArray[np.float64] | None
    user_ids: IdMap
    item_ids: IdMap
    item_artists: Index | None = None
    artist_ids: IdMap | None = None

    @classmethod
    def from_columns(
        cls,
        users: npt.ArrayLike,
        items: npt.ArrayLike,
        weights: npt.ArrayLike,
        timestamps: npt.ArrayLike | None = None,
        *,
        artists: npt.ArrayLike | None = None,
    ) -> Interactions:
        """Build from columns of external ids.

        Parameters
        ----------
        users, items : array_like
            External user and item ids, one per event (integers or strings).
        weights : array_like
            Confidence per event; rows of zero weight are dropped, negative ones refused.
        timestamps : array_like, optional
            Unix seconds per event.
        artists : array_like, optional
            External artist id per event, for :meth:`to_artists`.
        """
        w = np.asarray(weights, dtype=np.float32).reshape(-1)
        columns = [np.asarray(users).reshape(-1), np.asarray(items).reshape(-1)]
        ts = None if timestamps is None else np.asarray(timestamps, dtype=np.float64).reshape(-1)
        art = None if artists is None else np.asarray(artists).reshape(-1)
        lengths = {len(w), *(len(c) for c in columns)}
        lengths |= {len(x) for x in (ts, art) if x is not None}
        if len(lengths) != 1:
            raise InteractionsError(f"columns of different lengths: {sorted(lengths)}")
        if not np.isfinite(w).all() or (w < 0).any():
            raise InteractionsError("weights must be finite and not negative")
        if ts is not None and not np.isfinite(ts).all():
            raise InteractionsError("timestamps must be finite")
        keep = w > 0
        if not keep.any():
            raise InteractionsError("no interactions with a positive weight")
        if not keep.all():
            columns = [c[keep] for c in columns]
            w = w[keep]
            ts = None if ts is None else ts[keep]
            art = None if art is None else art[keep]
        user_ids, user_index = IdMap.encode(columns[0])
        item_ids, item_index = IdMap.encode(columns[1])
        item_artists = artist_ids = None
        if art is not None:
            per_item = np.empty(len(item_ids), dtype=art.dtype)
            per_item[item_index] = art
            artist_ids, item_artists = IdMap.encode(per_item)
        return cls(user_index, item_index, w, ts, user_ids, item_ids, item_artists, artist_ids)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    def select(self, rows: npt.NDArray[np.bool_] | Index) -> Interactions:
        """The events at ``rows`` (a mask or indices), over the same users and items."""
        return Interactions(
            self.users[rows],
            self.items[rows],
            self.weights[rows],
            None if self.timestamps is None else self.timestamps[rows],
            self.user_ids,
            self.item_ids,
            self.item_artists,
            self.artist_ids,
        )

    def keep_items(self, keep: npt.NDArray[np.bool_]) -> Interactions:
        """Drop the items outside ``keep`` from the catalog, and their events."""
        item_ids, remap = self.item_ids.take(keep)
        rows = keep[self.items]
        kept = self.select(rows)
        artists = None if self.item_artists is None else self.item_artists[keep]
        return Interactions(
            kept.users, remap[kept.items], kept.weights, kept.timestamps,
            self.user_ids, item_ids, artists, self.artist_ids,
        )  # fmt: skip

    def matrix(
        self, *, half_life_days: float | None = None, now: float | None = None
    ) -> sp.csr_matrix:
        """The user x item confidence matrix (float32 CSR), repeated events summed.

        Parameters
        ----------
        half_life_days : float, optional
            Recency decay: an event ``half_life_days`` older than ``now`` counts half.
        now : float, optional
            Reference time in Unix seconds for the decay; the latest event by default.
        """
        weights = self.weights.astype(np.float64)
        if half_life_days is not None:
            if half_life_days <= 0:
                raise InteractionsError("the half-life must be positive")
            if self.timestamps is None:
                raise InteractionsError("recency decay needs timestamps; this source has none")
            ref = float(self.timestamps.max()) if now is None else now
            age_days = np.maximum(ref - self.timestamps, 0.0) / SECONDS_PER_DAY
            # floored, so an old play stays a (tiny) interaction rather than vanishing
            weights = np.maximum(weights * np.exp2(-age_days / half_life_days), MIN_WEIGHT)
        shape = (self.n_users, self.n_items)
        coo = sp.coo_matrix((weights, (self.users, self.items)), shape=shape)
        out = coo.tocsr()
        out.sum_duplicates()
        out.sort_indices()
        return sp.csr_matrix(out, dtype=np.float32)

    def to_artists(self) -> Interactions:
        """The same events with each item replaced by its artist: an artist-level view."""
        if self.item_artists is None or self.artist_ids is None:
            raise InteractionsError("this source does not say which artist made each item")
        return Interactions(
            self.users, self.item_artists[self.items], self.weights, self.timestamps,
            self.user_ids, self.artist_ids,
        )  # fmt: skip

    def by_session(self, gap_minutes: float) -> Interactions:
        """The same events with each listening session as its own user.

        A session is a user's run of events with less than ``gap_minutes`` between one
        and the next; session users are named ``"<user>#<n>"``. A single listener's
        history becomes many short "users", which is what item-to-item models and
        session-continuation tests need.
        """
        if self.timestamps is None:
            raise InteractionsError("sessions need timestamps; this source has none")
        if gap_minutes <= 0:
            raise InteractionsError("the session gap must be positive")
        order = np.lexsort((self.timestamps, self.users))
        users, ts = self.users[order], self.timestamps[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (users[1:] != users[:-1]) | (np.diff(ts) >= gap_minutes * 60.0)
        session = np.empty(len(order), dtype=np.int64)
        session[order] = np.cumsum(new) - 1
        names = np.char.add(
            np.char.add(self.user_ids.ids[self.users].astype(str), "#"), session.astype(str)
        )
        user_ids, user_index = IdMap.encode(names)
        return Interactions(
            user_index, self.items, self.weights, self.timestamps,
            user_ids, self.item_ids, self.item_artists, self.artist_ids,
        )  # fmt: skip
