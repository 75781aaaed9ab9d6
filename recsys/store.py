"""Interactions from the store: plays and feedback, weighted by :mod:`recsys.confidence`.

The store's integer user and item ids become the external ids of the returned
:class:`~recsys.interactions.Interactions`; each item carries its artist, so
:meth:`~recsys.interactions.Interactions.to_artists` gives the artist-level view.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine

from models.interactions import FEEDBACK_CODES, read_plays, stream_feedback
from recsys.confidence import FEEDBACK_KINDS, ConfidenceParams, feedback_weights, play_weights
from recsys.errors import InteractionsError
from recsys.interactions import Interactions

log = logging.getLogger(__name__)

# store feedback code -> recsys.confidence code, matched by name
_KIND_CODES = np.array([FEEDBACK_KINDS.index(kind.value) for kind in FEEDBACK_CODES], np.int8)


def read_store(
    engine: Engine,
    params: ConfidenceParams | None = None,
    *,
    since: float | None = None,
    until: float | None = None,
) -> Interactions:
    """Every play and feedback record usable for personalisation, weighted.

    Parameters
    ----------
    since, until : float, optional
        Keep only events at or after ``since`` and before ``until`` (Unix seconds).

    Raises
    ------
    InteractionsError
        Nothing in the window carries any weight.
    """
    params = params or ConfidenceParams()
    columns: dict[str, list[npt.NDArray[np.generic]]] = {
        "user": [], "item": [], "artist": [], "ts": [], "weight": []
    }  # fmt: skip
    plays = read_plays(engine)
    weights = play_weights(plays.ms_played, plays.duration_ms, plays.skipped, params)
    keep = (weights > 0) & _within(plays.ts, since, until)
    _append(columns, plays.user_id, plays.item_id, plays.artist_id, plays.ts, weights, keep)
    feedback = list(stream_feedback(engine))
    if feedback:
        users = np.concatenate([c.user_id for c in feedback])
        items = np.concatenate([c.item_id for c in feedback])
        artists = np.concatenate([c.artist_id for c in feedback])
        ts = np.concatenate([c.ts for c in feedback])
        kinds = _KIND_CODES[np.concatenate([c.kind for c in feedback])]
        weights = feedback_weights(users, items, kinds, ts, params)
        keep = (weights > 0) & _within(ts, since, until)
        _append(columns, users, items, artists, ts, weights, keep)
    if not any(len(w) for w in columns["weight"]):
        window = "" if since is None and until is None else " in the window asked for"
        raise InteractionsError(f"the store holds no plays or feedback usable for training{window}")
    joined = {
        name: parts[0] if len(parts) == 1 else np.concatenate(parts)
        for name, parts in columns.items()
    }
    log.info(
        "read %d plays and %d feedback records",
        len(plays.user_id), sum(len(c.kind) for c in feedback),
    )  # fmt: skip
    return Interactions.from_columns(
        joined["user"], joined["item"], joined["weight"], joined["ts"], artists=joined["artist"]
    )


def _within(
    ts: npt.NDArray[np.float64], since: float | None, until: float | None
) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(ts), dtype=bool)
    if since is not None:
        keep &= ts >= since
    if until is not None:
        keep &= ts < until
    return keep


def _append(
    columns: dict[str, list[npt.NDArray[np.generic]]],
    users: npt.NDArray[np.int64],
    items: npt.NDArray[np.int64],
    artists: npt.NDArray[np.int64],
    ts: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float32],
    keep: npt.NDArray[np.bool_],
) -> None:
    values: tuple[npt.NDArray[np.generic], ...] = (users, items, artists, ts, weights)
    for name, column in zip(("user", "item", "artist", "ts", "weight"), values, strict=True):
        columns[name].append(column[keep])
