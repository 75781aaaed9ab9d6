"""How much a play or an explicit signal says about a listener's taste.

The weighting, per event (all knobs in :class:`ConfidenceParams`):

1. **Streams only.** A play counts once it reaches ``min_stream_ms`` (30 s, the
   industry's "stream"), or the whole item when the item is shorter than that. Shorter
   plays weigh 0 and are dropped.
2. **Share of the item played.** A stream weighs ``ms_played / duration``, capped at 1:
   a full play counts 1, thirty seconds of a three-minute track about 0.17. When the
   catalog does not know the duration, ``assumed_duration_ms`` (3.5 min) stands in.
3. **Skips down-weighted.** A stream the listener skipped is multiplied by ``skip_factor``.
4. **Explicit feedback up-weighted.** A like adds ``like_weight`` when it is the user's
   latest like-or-unlike of the item (an unlike withdraws it); a save adds
   ``save_weight`` and a share ``share_weight``, once per user and item.
5. **Recency (optional).** Every weight halves for each ``half_life_days`` between the
   event and the newest training event. It is applied when the matrix is built
   (:meth:`recsys.interactions.Interactions.matrix`, ``SplitSpec.half_life_days``,
   ``encore evaluate --half-life-days``), so a split decays from its own cut-off.

A user's confidence in an item is the sum over their events. BM25 or TF-IDF
re-weighting of that matrix is a model option (:mod:`recsys.weighting`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recsys.errors import InvalidParams

# Feedback kinds as the store names them, in the code order read_store uses.
FEEDBACK_KINDS = ("like", "unlike", "save", "share")
LIKE, UNLIKE, SAVE, SHARE = range(4)


@dataclass(frozen=True)
class ConfidenceParams:
    """Knobs of the weighting in the module docstring."""

    min_stream_ms: int = 30_000
    assumed_duration_ms: int = 210_000
    skip_factor: float = 0.5
    like_weight: float = 2.0
    save_weight: float = 1.0
    share_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.min_stream_ms < 0 or self.assumed_duration_ms <= 0:
            raise InvalidParams("stream threshold and assumed duration must be positive")
        if not 0.0 <= self.skip_factor <= 1.0:
            raise InvalidParams(f"skip_factor must be within [0, 1], not {self.skip_factor}")
        if min(self.like_weight, self.save_weight, self.share_weight) < 0:
            raise InvalidParams("feedback weights must not be negative")


def play_weights(
    ms_played: npt.NDArray[np.int64],
    duration_ms: npt.NDArray[np.int64],
    skipped: npt.NDArray[np.bool_],
    params: ConfidenceParams,
) -> npt.NDArray[np.float32]:
    """Confidence of each play (steps 1 to 3 of the module docstring).

    Parameters
    ----------
    ms_played : ndarray of int
        Milliseconds played.
    duration_ms : ndarray of int
        The item's duration; 0 or less where unknown.
    skipped : ndarray of bool
        Whether the listener skipped (unknown counts as not skipped).
    """
    played = np.asarray(ms_played, dtype=np.float64)
    duration = np.asarray(duration_ms, dtype=np.float64)
    duration = np.where(duration > 0, duration, float(params.assumed_duration_ms))
    stream = (played >= params.min_stream_ms) | (played >= duration)
    share = np.minimum(played / duration, 1.0)
    weight = np.where(stream, share, 0.0)
    weight = np.where(np.asarray(skipped, dtype=bool), weight * params.skip_factor, weight)
    return weight.astype(np.float32)


def feedback_weights(
    users: npt.NDArray[np.int64],
    items: npt.NDArray[np.int64],
    kinds: npt.NDArray[np.int8],
    timestamps: npt.NDArray[np.float64],
    params: ConfidenceParams,
) -> npt.NDArray[np.float32]:
    """Confidence added by each feedback row (step 4); 0 for rows that add nothing.

    Parameters
    ----------
    users, items : ndarray of int
        Who gave the feedback, about what.
    kinds : ndarray of int8
        Codes into :data:`FEEDBACK_KINDS`.
    timestamps : ndarray of float
        When, in Unix seconds: the latest like-or-unlike of an item decides.
    """
    kinds = np.asarray(kinds, dtype=np.int8)
    weights = np.zeros(len(kinds), dtype=np.float32)
    # like and unlike compete for one slot; save and share have a slot each
    slot = np.where(kinds == UNLIKE, LIKE, kinds)
    order = np.lexsort((np.arange(len(kinds)), timestamps, slot, items, users))
    key = np.stack([users[order], items[order], slot[order]], axis=1)
    last = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        last[:-1] = (key[1:] != key[:-1]).any(axis=1)
    winners = order[last]
    value = np.array(
        [params.like_weight, 0.0, params.save_weight, params.share_weight], dtype=np.float32
    )
    weights[winners] = value[kinds[winners]]
    return weights
