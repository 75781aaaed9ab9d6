"""Train/test splits for offline evaluation: random per entry, temporal, leave-last-N.

- **random**: each user x item entry of the summed matrix goes to test with probability
  ``test_share``, drawn exactly as implicit 0.7's ``train_test_split`` draws it (one
  ``default_rng(seed)`` draw per entry, in row-major order), so the reference figures
  are reproducible.
- **temporal**: train on the events before a cut-off (by default the time after which
  the last ``test_share`` of all events fall), test on each user's events from the
  cut-off on. Nothing at or after the cut-off reaches the training matrix.
- **last-n**: each user's ``n`` latest events are the test; users with no more than
  ``n`` events stay in training only.

For the temporal and last-n splits the catalog is what training saw: items first played
in the test period cannot be recommended and are left out of the ground truth; so are
users without training history. Recency decay, when asked for, is measured from the
cut-off (temporal) or from the latest training event (last-n).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.errors import SplitError
from recsys.interactions import Interactions

SplitKind = Literal["random", "temporal", "last-n"]
SPLITS: tuple[SplitKind, ...] = ("random", "temporal", "last-n")


@dataclass(frozen=True, eq=False)
class Split:
    """Train and test user x item matrices of the same shape, and how they were made.

    ``train`` holds confidences; ``test`` holds a 1 for every held-out (user, item).
    ``interactions`` are the training events over the split's catalog, for callers that
    need them again (a validation split carved from training, say).
    """

    train: sp.csr_matrix
    test: sp.csr_matrix
    kind: str
    description: str
    interactions: Interactions | None = None

    def ground_truth(self, *, exclude_train: bool) -> sp.csr_matrix:
        """The test matrix, without the (user, item) pairs seen in training when
        ``exclude_train``: items filtered from recommendations cannot count as misses."""
        truth = sp.csr_matrix(self.test, dtype=np.float32, copy=True)
        if exclude_train:
            truth = truth - truth.multiply(self.train > 0)
            truth.eliminate_zeros()
        truth.data[:] = 1.0
        return sp.csr_matrix(truth)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def random_split(
    interactions: Interactions | sp.csr_matrix, *, test_share: float = 0.2, seed: int = 0
) -> Split:
    """Hold out each matrix entry with probability ``test_share`` (see module docstring)."""
    _check_share(test_share)
    matrix = interactions.matrix() if isinstance(interactions, Interactions) else interactions
    coo = sp.csr_matrix(matrix).tocoo()
    draw = np.random.default_rng(seed).random(coo.nnz)
    in_train = draw < 1.0 - test_share
    parts = []
    for mask in (in_train, ~in_train):
        part = sp.csr_matrix(
            (coo.data[mask], (coo.row[mask], coo.col[mask])), shape=coo.shape, dtype=np.float32
        )
        parts.append(part)
    train, test = parts
    _check_nonempty(train, test)
    description = f"{test_share:.0%} of entries held out at random (seed {seed})"
    return Split(train, sp.csr_matrix(test > 0, dtype=np.float32), "random", description)


def temporal_split(
    interactions: Interactions,
    *,
    cutoff: float | None = None,
    test_share: float = 0.2,
    half_life_days: float | None = None,
) -> Split:
    """Train before ``cutoff`` (Unix seconds), test on each user's later events."""
    ts = _timestamps(interactions, "temporal")
    if cutoff is None:
        _check_share(test_share)
        cutoff = float(np.quantile(ts, 1.0 - test_share, method="higher"))
    in_train = ts < cutoff
    description = f"trained before {_iso(cutoff)}, tested on later events"
    return _from_masks(interactions, in_train, "temporal", description, cutoff, half_life_days)


def last_n_split(
    interactions: Interactions, *, n: int = 1, half_life_days: float | None = None
) -> Split:
    """Each user's ``n`` latest events are the test."""
    if n < 1:
        raise SplitError(f"leave-last-N needs N of at least 1, not {n}")
    ts = _timestamps(interactions, "last-n")
    order = np.lexsort((np.arange(len(ts)), ts, interactions.users))
    users = interactions.users[order]
    counts = np.bincount(users, minlength=interactions.n_users)
    ends = np.cumsum(counts)[users]
    position_from_end = ends - np.arange(len(users))  # 1 for each user's latest event
    held_out = (position_from_end <= n) & (counts[users] > n)
    in_train = np.ones(len(ts), dtype=bool)
    in_train[order[held_out]] = False
    now = float(ts[in_train].max()) if in_train.any() else None
    description = f"each user's last {n} event(s) held out"
    return _from_masks(interactions, in_train, "last-n", description, now, half_life_days)


def _from_masks(
    interactions: Interactions,
    in_train: npt.NDArray[np.bool_],
    kind: str,
    description: str,
    now: float | None,
    half_life_days: float | None,
) -> Split:
    if not in_train.any():
        raise SplitError(f"{kind} split: no events left for training")
    known = np.zeros(interactions.n_items, dtype=bool)
    known[interactions.items[in_train]] = True
    catalog = interactions.keep_items(known)
    kept_rows = known[interactions.items]
    train_rows = in_train[kept_rows]
    train_events = catalog.select(train_rows)
    train = train_events.matrix(half_life_days=half_life_days, now=now)
    test_events = catalog.select(~train_rows)
    has_history = np.diff(train.indptr) > 0
    test_events = test_events.select(has_history[test_events.users])
    test = sp.csr_matrix(
        (np.ones(len(test_events), dtype=np.float32), (test_events.users, test_events.items)),
        shape=train.shape,
    )
    test.sum_duplicates()
    test.data[:] = 1.0
    _check_nonempty(train, test)
    return Split(train, test, kind, description, train_events)


def _timestamps(interactions: Interactions, kind: str) -> npt.NDArray[np.float64]:
    if interactions.timestamps is None:
        raise SplitError(f"a {kind} split needs timestamps, and this source has none")
    return interactions.timestamps


def _check_share(test_share: float) -> None:
    if not 0.0 < test_share < 1.0:
        raise SplitError(f"the test share must be between 0 and 1, not {test_share}")


def _check_nonempty(train: sp.csr_matrix, test: sp.csr_matrix) -> None:
    if train.nnz == 0:
        raise SplitError("the split left nothing to train on")
    if test.nnz == 0:
        raise SplitError("the split left nothing to test on")


@dataclass(frozen=True)
class SplitSpec:
    """How to split: the kind and its knobs, applicable to any interactions."""

    kind: SplitKind = "random"
    test_share: float = 0.2
    seed: int = 0
    last_n: int = 1
    half_life_days: float | None = None

    def apply(self, interactions: Interactions) -> Split:
        """Split ``interactions`` this way."""
        if self.kind == "random":
            if self.half_life_days is not None:
                matrix = interactions.matrix(half_life_days=self.half_life_days)
                return random_split(matrix, test_share=self.test_share, seed=self.seed)
            return random_split(interactions, test_share=self.test_share, seed=self.seed)
        if self.kind == "temporal":
            return temporal_split(
                interactions, test_share=self.test_share, half_life_days=self.half_life_days
            )
        if self.kind == "last-n":
            return last_n_split(interactions, n=self.last_n, half_life_days=self.half_life_days)
        raise SplitError(f"unknown split {self.kind!r}; use one of {', '.join(SPLITS)}")

    def validation(self, split: Split) -> Split:
        """A split of ``split``'s training data made the same way (another seed for the
        random split): what tuning may look at, so the test split stays unseen."""
        if self.kind == "random":
            return random_split(split.train, test_share=self.test_share, seed=self.seed + 1)
        if split.interactions is None:
            raise SplitError("this split kept no training events to carve a validation split")
        return self.apply(split.interactions)
