"""Ranking metrics at k over a batch of recommendation lists.

NDCG and MAP follow ``implicit.evaluation.ranking_metrics_at_k`` exactly: binary
relevance, ``DCG = sum(1 / log2(rank + 1))`` over the hits in the top k, normalised by
the ideal DCG of ``min(k, |truth|)`` hits; average precision divided by
``min(k, |truth|)``. Every mean is over the users with at least one ground-truth item.
Precision and recall are the textbook ones (hits / k, hits / |truth|), averaged per
user; implicit's "precision" is instead hits / min(k, |truth|) pooled over all users.

Beyond accuracy: **hit rate** is the share of users with at least one hit; **coverage**
the share of the catalog that appears in anyone's top k; **novelty** the mean
self-information ``-log2(users(i) / n_users)`` of the recommended items, measured on the
training matrix (higher means less mainstream).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty")


def hits_matrix(ids: npt.NDArray[np.int32], truth: sp.csr_matrix) -> npt.NDArray[np.bool_]:
    """``hits[u, r]`` is True when the item at rank ``r`` of row ``u`` is in row ``u`` of
    ``truth`` (both indexed alike); padding (-1) never hits."""
    n_items = truth.shape[1]
    coo = truth.tocoo()
    keys = np.sort(coo.row.astype(np.int64) * n_items + coo.col)
    rows = np.arange(ids.shape[0], dtype=np.int64)[:, None]
    wanted = rows * n_items + ids
    pos = np.searchsorted(keys, wanted).clip(0, max(len(keys) - 1, 0))
    found = keys[pos] == wanted if len(keys) else np.zeros(ids.shape, bool)
    return found & (ids >= 0)


def ranking_metrics(
    ids: npt.NDArray[np.int32],
    truth: sp.csr_matrix,
    train: sp.csr_matrix,
    ks: Sequence[int],
) -> dict[str, float]:
    """Every metric of :data:`METRICS` at every k, keyed ``"ndcg@10"``.

    Parameters
    ----------
    ids : ndarray of int32
        Recommendations, shape ``(n_users, >= max(ks))``, one row per row of ``truth``.
    truth : csr_matrix
        Held-out (user, item) pairs; rows without any are not evaluated.
    train : csr_matrix
        The training matrix: its column counts give item popularity for novelty, its
        width the catalog size for coverage.
    ks : sequence of int
        Cut-offs.
    """
    if ids.shape[0] != truth.shape[0]:
        raise ValueError("one row of recommendations per row of the ground truth")
    if ids.shape[1] < max(ks):
        raise ValueError(f"{ids.shape[1]} recommendations per user cannot give @{max(ks)}")
    sizes = np.diff(truth.indptr)
    evaluated = sizes > 0
    ids, sizes = ids[evaluated], sizes[evaluated].astype(np.float64)
    hits = hits_matrix(ids, truth[evaluated])
    n_items = train.shape[1]
    item_users = np.bincount(train.indices, minlength=n_items).astype(np.float64)
    n_train_users = max(int((np.diff(train.indptr) > 0).sum()), 1)
    information = -np.log2(np.maximum(item_users, 1.0) / n_train_users)
    result: dict[str, float] = {}
    for k in ks:
        top = hits[:, :k].astype(np.float64)
        found = top.sum(axis=1)
        ideal = np.minimum(sizes, k)
        gains = 1.0 / np.log2(np.arange(2, k + 2))
        idcg = np.cumsum(gains)[ideal.astype(np.int64) - 1] if len(ideal) else ideal
        precision_at = np.cumsum(top, axis=1) / np.arange(1, k + 1)
        shown = ids[:, :k]
        valid = shown >= 0
        result[f"precision@{k}"] = _mean(found / k)
        result[f"recall@{k}"] = _mean(found / np.maximum(sizes, 1.0))
        result[f"ndcg@{k}"] = _mean((top @ gains) / np.maximum(idcg, 1e-12))
        result[f"map@{k}"] = _mean((precision_at * top).sum(axis=1) / np.maximum(ideal, 1.0))
        result[f"hit_rate@{k}"] = _mean((found > 0).astype(np.float64))
        result[f"coverage@{k}"] = len(np.unique(shown[valid])) / n_items if n_items else 0.0
        result[f"novelty@{k}"] = _mean(information[shown[valid]])
    result["users"] = float(evaluated.sum())
    return result


def _mean(values: npt.NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else 0.0
