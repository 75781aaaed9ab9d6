"""The item of a listener's history each of their candidates is most like: what "because
you played X" names (see :mod:`service.recs.reasons`).

For factor models, the cosine of unit item factors, worked out for a block of listeners
when their candidates are ranked (:mod:`service.recs.index`), so a request reads each
reason next to its candidate instead of multiplying factors.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

HISTORY = 50  # items of a listener's history that reasons look at
SUB_BLOCK = 128  # listeners per product: keeps the (listeners, n, HISTORY) scores small


def history(user_items: sp.csr_matrix, user: int) -> npt.NDArray[np.int32]:
    """Dense items the known listener ``user`` played in training; when there are more
    than ``HISTORY``, the most confident ``HISTORY`` of them."""
    start, stop = user_items.indptr[user], user_items.indptr[user + 1]
    items: npt.NDArray[np.int32] = user_items.indices[start:stop]
    if stop - start > HISTORY:
        items = items[np.argsort(-user_items.data[start:stop], kind="stable")[:HISTORY]]
    return items


def unit_rows(factors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``factors`` scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (factors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def nearest_played(
    unit: npt.NDArray[np.float32],
    items: npt.NDArray[np.int32],
    histories: list[npt.NDArray[np.int32]],
) -> npt.NDArray[np.int32]:
    """For each row ``r`` of ``items`` (dense items, -1 padding), the item of
    ``histories[r]`` whose unit factors have the largest cosine with each item's (the
    first such on a tie, as ``argmax`` picks); -1 for padding or an empty history."""
    out = np.full(items.shape, -1, dtype=np.int32)
    for start in range(0, len(items), SUB_BLOCK):
        rows = items[start : start + SUB_BLOCK]
        hists = histories[start : start + SUB_BLOCK]
        width = max((len(h) for h in hists), default=0)
        if width == 0:
            continue
        hist = np.zeros((len(rows), width), dtype=np.int32)
        valid = np.zeros((len(rows), width), dtype=bool)
        for r, h in enumerate(hists):
            hist[r, : len(h)] = h
            valid[r, : len(h)] = True
        cosines = np.matmul(unit[rows], unit[hist].transpose(0, 2, 1))
        cosines[~np.broadcast_to(valid[:, None, :], cosines.shape)] = -np.inf
        best = np.take_along_axis(hist, cosines.argmax(axis=2), axis=1)
        keep = (rows >= 0) & valid[:, :1]
        out[start : start + SUB_BLOCK] = np.where(keep, best, -1)
    return out
