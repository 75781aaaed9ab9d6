"""Re-weighting of a confidence matrix before a model sees it: BM25, TF-IDF, log, binary.

Play counts are heavy-tailed: one user's favourite artist can have a thousand times the
plays of the tenth. BM25 (as in implicit's ``bm25_weight``) saturates a user's count of an
item (``k1``), normalises by how much the user listens overall (``b``), and multiplies by
the item's inverse document frequency, so rare shared tastes count more than the
universally popular. The transform is *fitted*: the IDF and the mean user length come
from the training matrix and are stored with the model, so a batch of users weighted at
recommendation time gets exactly the weights the model was trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.errors import InvalidParams

WeightingKind = Literal["none", "binary", "log", "bm25", "tfidf"]
WEIGHTINGS: tuple[WeightingKind, ...] = ("none", "binary", "log", "bm25", "tfidf")
# An item every user has played would get an IDF of zero or below; a floor keeps it an
# interaction (a stored entry), so filtering already-played items still sees it.
IDF_FLOOR = 1e-3


@dataclass(frozen=True)
class WeightingParams:
    """Which re-weighting, and the BM25 saturation ``k1`` and length normalisation ``b``."""

    kind: WeightingKind = "none"
    k1: float = 100.0
    b: float = 0.8

    def __post_init__(self) -> None:
        if self.kind not in WEIGHTINGS:
            raise InvalidParams(f"weighting {self.kind!r}: use one of {WEIGHTINGS}")
        object.__setattr__(self, "k1", float(self.k1))
        object.__setattr__(self, "b", float(self.b))


def idf(matrix: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """``log(N) - log(1 + df)`` per column, as implicit computes it, floored at IDF_FLOOR."""
    n_rows = float(matrix.shape[0])
    df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
    weights: npt.NDArray[np.float64] = np.maximum(
        np.log(max(n_rows, 1.0)) - np.log1p(df), IDF_FLOOR
    )
    return weights


class Weighting:
    """A fitted re-weighting of user x item matrices; see the module docstring."""

    def __init__(self, params: WeightingParams | None = None) -> None:
        self.params = params or WeightingParams()
        self.idf: npt.NDArray[np.float64] = np.zeros(0)
        self.mean_length = 1.0

    def fit(self, user_items: sp.csr_matrix) -> Weighting:
        """Learn the IDF of every item and the mean user length from ``user_items``."""
        self.idf = idf(user_items)
        lengths = np.asarray(user_items.sum(axis=1), dtype=np.float64).ravel()
        self.mean_length = float(lengths.mean()) if lengths.size and lengths.mean() > 0 else 1.0
        return self

    def transform(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """Weighted copy of ``user_items`` (float32 CSR, same stored entries)."""
        kind = self.params.kind
        out = sp.csr_matrix(user_items, dtype=np.float64, copy=True)
        if kind == "none":
            return sp.csr_matrix(out, dtype=np.float32)
        x = out.data
        if kind == "binary":
            out.data = np.ones_like(x)
        elif kind == "log":
            out.data = np.log1p(x)
        else:
            if len(self.idf) != out.shape[1]:
                raise ValueError(f"weighting fitted on {len(self.idf)} items, not {out.shape[1]}")
            item_idf = self.idf[out.indices]
            if kind == "tfidf":
                out.data = np.sqrt(x) * item_idf
            else:
                k1, b = self.params.k1, self.params.b
                lengths = np.asarray(out.sum(axis=1), dtype=np.float64).ravel()
                norm = (1.0 - b) + b * lengths / self.mean_length
                rows = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
                out.data = x * (k1 + 1.0) / (k1 * norm[rows] + x) * item_idf
        return sp.csr_matrix(out, dtype=np.float32)

    def fit_transform(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        return self.fit(user_items).transform(user_items)

    def state(self) -> dict[str, npt.NDArray[np.float64]]:
        """Arrays to save with a model."""
        return {"weighting_idf": self.idf, "weighting_mean_length": np.array(self.mean_length)}

    def restore(self, arrays: dict[str, npt.NDArray[np.float64]]) -> None:
        self.idf = np.asarray(arrays["weighting_idf"], dtype=np.float64)
        self.mean_length = float(arrays["weighting_mean_length"])
