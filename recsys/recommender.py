"""The recommender contract every model implements, mirroring implicit's RecommenderBase.

Batch first: arrays of dense user or item indices in, ``(ids, scores)`` arrays of shape
``(len(indices), N)`` out, best first. Rows with fewer than ``N`` candidates are padded
with id -1 and score -inf. Ties break on the lower item index (:func:`recsys.topn.top_n`),
so results are exactly reproducible. Models are saved as ``.npz`` (never pickle) and loaded by
:meth:`Recommender.load` without knowing their family in advance.
"""

from __future__ import annotations

import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.errors import InvalidParams, ModelFileError, ModelNotReady, RecsysError, UnknownUser
from recsys.params import ModelParams, params_dict, params_from_dict, params_hash
from recsys.topn import Ids, Scores, top_n

StepCallback = Callable[[], None]
FILE_VERSION = 1
# Dense score blocks are computed this many cells at a time (32 MiB of float32).
BLOCK_CELLS = 1 << 23


def _block_rows(n_items: int) -> int:
    return max(1, min(4096, BLOCK_CELLS // max(n_items, 1)))


class Recommender(ABC):
    """A recommender over dense user and item indices; see the module docstring.

    Subclasses set ``family`` and implement :meth:`fit`, :meth:`_user_scores`,
    :meth:`_item_scores` and the two state methods used by :meth:`save` and :meth:`load`.
    """

    family: ClassVar[str]
    _families: ClassVar[dict[str, type[Recommender]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "family" in cls.__dict__:
            Recommender._families[cls.family] = cls

    def __init__(self, params: ModelParams) -> None:
        self.fit_seconds: dict[str, float] = {}
        """Time of the phases of the last :meth:`fit` (``weighting``, ``fit``)."""
        if params.family != self.family:
            raise InvalidParams(f"{type(self).__name__} takes {self.family} parameters")
        self.params = params
        self.n_users = 0
        self.n_items = 0
        self.fitted = False

    @property
    def params_hash(self) -> str:
        """Stable identity of this model's family and parameters."""
        return params_hash(self.params)

    @abstractmethod
    def fit(self, user_items: sp.csr_matrix, *, on_step: StepCallback | None = None) -> None:
        """Learn from a user x item confidence matrix.

        Parameters
        ----------
        user_items : csr_matrix
            Shape ``(n_users, n_items)``; a stored entry is an interaction and its value
            the confidence in it (see :mod:`recsys.confidence`).
        on_step : callable, optional
            Called after each of :meth:`fit_steps` steps (an iteration of a factorisation),
            for progress bars.
        """

    def fit_steps(self) -> int | None:
        """How many times :meth:`fit` calls ``on_step``; None when it does not."""
        return None

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        user_items: sp.csr_matrix,
        N: int = 10,
        filter_already_liked: bool = True,
    ) -> tuple[Ids, Scores]:
        """Top-``N`` items for each user.

        Parameters
        ----------
        user_ids : array_like of int
            Dense user indices.
        user_items : csr_matrix
            One row per entry of ``user_ids``: each user's interactions, used to
            filter what they already know and, for item-kNN, to score.
        N : int
            Items per user.
        filter_already_liked : bool
            Leave out the items stored in each user's row.

        Returns
        -------
        ids, scores : ndarray
            Shape ``(len(user_ids), N)``, best first; padded with -1 and -inf.
        """
        users = self._check_users(user_ids)
        return self._rank(
            user_items, N, filter_already_liked,
            lambda start, stop, block: self._user_scores(users[start:stop], block),
            len(users),
        )  # fmt: skip

    def recommend_rows(
        self, user_items: sp.csr_matrix, N: int = 10, filter_already_liked: bool = True
    ) -> tuple[Ids, Scores]:
        """Top-``N`` items for listeners known only by their interactions (fold-in).

        For a listener new since training, or one whose listening changed: factor models
        solve the listener's factors from the row against the fixed item factors (the ALS
        user step, as implicit's ``recalculate_user``); item-kNN and popularity score a
        row exactly as they score a trained user.

        Parameters
        ----------
        user_items : csr_matrix
            ``(n, n_items)`` confidence rows, weighted as training weighted its input.

        Returns
        -------
        ids, scores : ndarray
            Shape ``(n, N)``, best first; padded with -1 and -inf.
        """
        self._check_ready()
        rows = sp.csr_matrix(user_items)
        return self._rank(
            rows, N, filter_already_liked,
            lambda _start, _stop, block: self._row_scores(block), rows.shape[0],
        )  # fmt: skip

    def _rank(
        self,
        user_items: sp.csr_matrix,
        N: int,
        filter_already_liked: bool,
        scorer: Callable[[int, int, sp.csr_matrix], npt.NDArray[np.floating[Any]]],
        n_rows: int,
    ) -> tuple[Ids, Scores]:
        rows = sp.csr_matrix(user_items)
        if rows.shape != (n_rows, self.n_items):
            raise ValueError(
                f"user_items must be {n_rows} x {self.n_items}, not {rows.shape[0]} x "
                f"{rows.shape[1]}"
            )
        ids = np.full((n_rows, N), -1, dtype=np.int32)
        scores = np.full((n_rows, N), -np.inf, dtype=np.float32)
        step = _block_rows(self.n_items)
        for start in range(0, n_rows, step):
            block = rows[start : start + step]
            dense = scorer(start, start + block.shape[0], block)
            if filter_already_liked:
                liked_rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
                dense[liked_rows, block.indices] = -np.inf
            ids[start : start + step], scores[start : start + step] = top_n(dense, N)
        return ids, scores

    def similar_items(
        self,
        item_ids: npt.ArrayLike,
        N: int = 10,
    ) -> tuple[Ids, Scores]:
        """The ``N`` items most similar to each item, never the item itself.

        Parameters
        ----------
        item_ids : array_like of int
            Dense item indices.
        N : int
            Items per query.

        Returns
        -------
        ids, scores : ndarray
            Shape ``(len(item_ids), N)``, most similar first; padded with -1 and -inf.
        """
        self._check_ready()
        items = np.asarray(item_ids, dtype=np.int64).reshape(-1)
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise ValueError(f"item indices must be in [0, {self.n_items})")
        ids = np.full((len(items), N), -1, dtype=np.int32)
        scores = np.full((len(items), N), -np.inf, dtype=np.float32)
        step = _block_rows(self.n_items)
        for start in range(0, len(items), step):
            chunk = items[start : start + step]
            dense = self._item_scores(chunk)
            dense[np.arange(len(chunk)), chunk] = -np.inf
            ids[start : start + step], scores[start : start + step] = top_n(dense, N)
        return ids, scores

    @abstractmethod
    def _user_scores(
        self, users: npt.NDArray[np.int64], user_items: sp.csr_matrix
    ) -> npt.NDArray[np.floating[Any]]:
        """Dense ``(len(users), n_items)`` scores, -inf where an item is not a candidate."""

    def _row_scores(self, user_items: sp.csr_matrix) -> npt.NDArray[np.floating[Any]]:
        """Dense scores of listeners given only as rows; see :meth:`recommend_rows`."""
        raise NotImplementedError(f"{self.family} cannot score listeners it was not fitted on")

    @abstractmethod
    def _item_scores(self, items: npt.NDArray[np.int64]) -> npt.NDArray[np.floating[Any]]:
        """Dense ``(len(items), n_items)`` similarities, -inf where not a candidate."""

    @abstractmethod
    def _state(self) -> dict[str, npt.NDArray[Any]]:
        """The arrays that :meth:`_restore` needs."""

    @abstractmethod
    def _restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        """Take the state back from the arrays :meth:`_state` returned."""

    def save(self, file: str | Path | IO[bytes]) -> None:
        """Save to ``.npz`` (no pickled objects); see :meth:`load`."""
        self._check_ready()
        arrays: dict[str, Any] = {
            "encore_model_version": np.array(FILE_VERSION),
            "params": np.array(json.dumps(params_dict(self.params), sort_keys=True)),
            "shape": np.array([self.n_users, self.n_items], dtype=np.int64),
            **self._state(),
        }
        np.savez(file, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, file: str | Path | IO[bytes]) -> Recommender:
        """Load a model saved by :meth:`save`, whatever its family.

        Raises
        ------
        ModelFileError
            The file is missing, not an Encore model, or damaged.
        """
        try:
            with np.load(file, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelFileError(f"cannot read model file {file}: {exc}") from None
        if int(arrays.get("encore_model_version", -1)) != FILE_VERSION:
            raise ModelFileError(f"{file} is not an Encore model file (version {FILE_VERSION})")
        import recsys.registry  # noqa: F401  (every family registers itself on import)

        try:
            params = params_from_dict(json.loads(str(arrays.pop("params"))))
            model = Recommender._families[params.family](params)
            model.n_users, model.n_items = (int(v) for v in arrays.pop("shape"))
            model._restore(arrays)
        except (KeyError, ValueError, RecsysError) as exc:
            raise ModelFileError(f"damaged model file {file}: {exc}") from None
        model.fitted = True
        if cls is not Recommender and not isinstance(model, cls):
            raise ModelFileError(f"{file} holds a {params.family} model, not {cls.family}")
        return model

    def _check_ready(self) -> None:
        if not self.fitted:
            raise ModelNotReady(f"the {self.family} model is not fitted")

    def _check_users(self, user_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        self._check_ready()
        users = np.asarray(user_ids, dtype=np.int64).reshape(-1)
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            bad = users[(users < 0) | (users >= self.n_users)][0]
            raise UnknownUser(f"user index {bad} is outside the {self.n_users} users fitted")
        return users

    def _fitted_shape(self, user_items: sp.csr_matrix) -> None:
        self.n_users, self.n_items = (int(v) for v in user_items.shape)
        self.fitted = True
