"""Top-N selection over dense score rows, with ties settled by index."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int32]
Scores = npt.NDArray[np.float32]


def top_n(scores: npt.NDArray[np.floating[Any]], n: int) -> tuple[Ids, Scores]:
    """The ``n`` best columns of every row of ``scores``, best first.

    Ties break on the lower column index; ``-inf`` marks a column that is not a
    candidate, and rows short of candidates are padded with id -1 and score -inf.
    """
    rows, cols = scores.shape
    ids = np.full((rows, n), -1, dtype=np.int32)
    out = np.full((rows, n), -np.inf, dtype=np.float32)
    take = min(n, cols)
    if rows == 0 or take == 0:
        return ids, out
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    best_scores = np.take_along_axis(part_scores, order, axis=1)
    kth = best_scores[:, -1]
    keep = best_scores > -np.inf
    ids[:, :take] = np.where(keep, best, -1)
    out[:, :take] = np.where(keep, best_scores, -np.inf)
    # Where equal scores straddle the cut, argpartition chose among them arbitrarily;
    # settle those rows by index. Rows short of candidates are settled here too.
    tied = (scores >= kth[:, None]).sum(axis=1) > take
    for row in np.flatnonzero(tied):
        line = scores[row]
        cand = np.flatnonzero((line >= kth[row]) & (line > -np.inf))
        chosen = cand[np.lexsort((cand, -line[cand]))][:take]
        ids[row] = -1
        out[row] = -np.inf
        ids[row, : len(chosen)] = chosen
        out[row, : len(chosen)] = line[chosen]
    return ids, out
