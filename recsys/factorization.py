"""Matrix factorisation: thin wrappers over implicit's ALS, BPR and LMF (CPU)."""

from __future__ import annotations

import logging
import time
from typing import Any

import implicit.als
import implicit.bpr
import implicit.cpu.als
import implicit.lmf
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.params import AlsParams, BprParams, LmfParams
from recsys.recommender import Recommender, StepCallback
from recsys.weighting import Weighting

log = logging.getLogger(__name__)


class MatrixFactorization(Recommender):
    """User and item factors from implicit; a score is their dot product.

    The input is re-weighted first (``params.weighting``, fitted on the training matrix).
    :meth:`similar_items` is the cosine of item factors. ALS runs on every core (its
    per-user solves are independent, so the result does not depend on the thread count);
    the stochastic BPR and LMF run on one thread by default, because their parallel
    updates race and would make a seeded fit irreproducible.
    """

    params: AlsParams | BprParams | LmfParams

    def __init__(self, params: AlsParams | BprParams | LmfParams, num_threads: int = 1) -> None:
        super().__init__(params)
        self.num_threads = num_threads
        self.weighting = Weighting(params.weighting)
        self.user_factors: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self.item_factors: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self._solver: Any = None  # the fold-in's, see _fold_solver

    def _implicit_model(self) -> Any:
        raise NotImplementedError

    def fit(self, user_items: sp.csr_matrix, *, on_step: StepCallback | None = None) -> None:
        started = time.perf_counter()
        weighted = self.weighting.fit_transform(sp.csr_matrix(user_items))
        weighted_at = time.perf_counter()
        model = self._implicit_model()
        callback = None if on_step is None else (lambda *_: on_step())
        model.fit(weighted, show_progress=False, callback=callback)
        # implicit's factors are C-contiguous float32 already: no copy is made here
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self._fitted_shape(weighted)
        self.fit_seconds = {
            "weighting": weighted_at - started, "fit": time.perf_counter() - weighted_at
        }  # fmt: skip

    def fit_steps(self) -> int:
        return int(self.params.iterations)

    def _user_scores(
        self, users: npt.NDArray[np.int64], user_items: sp.csr_matrix
    ) -> npt.NDArray[np.float32]:
        scores: npt.NDArray[np.float32] = self.user_factors[users] @ self.item_factors.T
        return scores

    def fold_in(self, user_items: sp.csr_matrix) -> npt.NDArray[np.float32]:
        """Factors for listeners given as confidence rows, item factors held fixed.

        implicit's ALS ``recalculate_user`` with this model's regularization and alpha: for
        ALS that is exactly the user step of training; for BPR and LMF (which have no such
        step) it is the least-squares projection of the row onto their item factors.
        """
        weighted = sp.csr_matrix(self.weighting.transform(sp.csr_matrix(user_items)))
        solver = self._fold_solver()
        users = np.arange(weighted.shape[0])
        factors: npt.NDArray[np.float32] = np.asarray(
            solver.recalculate_user(users, weighted), dtype=np.float32
        ).reshape(len(users), -1)
        return factors

    def _fold_solver(self) -> Any:
        """implicit's ALS holding these item factors, kept while they are these: its
        ``recalculate_user`` needs the factors' Gram matrix (YtY), which it works out once
        per solver. A new solver per fold-in recomputed it every time: 7-8 ms of the
        ~15 ms a listener's first list after new plays took, on 97k items x 64 factors.
        Factors are only ever replaced (fit, load), never changed in place."""
        solver = self._solver
        if solver is None or solver.item_factors is not self.item_factors:
            p = self.params
            solver = implicit.cpu.als.AlternatingLeastSquares(
                factors=self.item_factors.shape[1], regularization=p.regularization,
                alpha=getattr(p, "alpha", 1.0), num_threads=1,
            )  # fmt: skip
            solver.item_factors = self.item_factors
            self._solver = solver
        return solver

    def _row_scores(self, user_items: sp.csr_matrix) -> npt.NDArray[np.float32]:
        scores: npt.NDArray[np.float32] = self.fold_in(user_items) @ self.item_factors.T
        return scores

    def _item_scores(self, items: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        norms = np.linalg.norm(self.item_factors, axis=1)
        unit = self.item_factors / np.maximum(norms, 1e-12)[:, None]
        scores: npt.NDArray[np.float32] = unit[items] @ unit.T
        return scores

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            **self.weighting.state(),
        }

    def _restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.user_factors = np.asarray(arrays["user_factors"], dtype=np.float32)
        self.item_factors = np.asarray(arrays["item_factors"], dtype=np.float32)
        self.weighting.restore(arrays)


class Als(MatrixFactorization):
    """Alternating least squares for implicit feedback (Hu, Koren and Volinsky, 2008)."""

    family = "als"
    params: AlsParams

    def __init__(self, params: AlsParams | None = None, num_threads: int = 0) -> None:
        super().__init__(params or AlsParams(), num_threads)

    def _implicit_model(self) -> Any:
        p = self.params
        return implicit.als.AlternatingLeastSquares(
            factors=p.factors, regularization=p.regularization, alpha=p.alpha,
            iterations=p.iterations, random_state=p.seed, num_threads=self.num_threads,
            use_gpu=False,
        )  # fmt: skip


class Bpr(MatrixFactorization):
    """Bayesian personalised ranking: pairwise SGD on liked vs. sampled items."""

    family = "bpr"
    params: BprParams

    def __init__(self, params: BprParams | None = None, num_threads: int = 1) -> None:
        super().__init__(params or BprParams(), num_threads)

    def _implicit_model(self) -> Any:
        p = self.params
        return implicit.bpr.BayesianPersonalizedRanking(
            factors=p.factors, learning_rate=p.learning_rate, regularization=p.regularization,
            iterations=p.iterations, random_state=p.seed, num_threads=self.num_threads,
            use_gpu=False,
        )  # fmt: skip


class Lmf(MatrixFactorization):
    """Logistic matrix factorisation (Johnson, 2014)."""

    family = "lmf"
    params: LmfParams

    def __init__(self, params: LmfParams | None = None, num_threads: int = 1) -> None:
        super().__init__(params or LmfParams(), num_threads)

    def _implicit_model(self) -> Any:
        p = self.params
        return implicit.lmf.LogisticMatrixFactorization(
            factors=p.factors, learning_rate=p.learning_rate, regularization=p.regularization,
            iterations=p.iterations, neg_prop=p.neg_prop, random_state=p.seed,
            num_threads=self.num_threads, use_gpu=False,
        )  # fmt: skip
