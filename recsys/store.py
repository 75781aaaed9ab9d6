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

from models.interactions import FEEDBACK_CODES, stream_feedback, stream_plays
from recsys.confidence import FEEDBACK_KINDS, ConfidenceParams, feedback_weights, play_weights
from recsys.errors import InteractionsError
from recsys.interactions import Interactions

log = logging.getLogger(__name__)

# store feedback code -> recsys.confidence code, matched by name
_KIND_CODES = np.array([FEEDBACK_KINDS.index(kind.value) for kind in FEEDBACK_CODES], np.int8)


def read_store(
    engine: Engine, params: ConfidenceParams | None = None, *, chunk_rows: int = 100_000
) -> Interactions:
    """Every play and feedback record usable for personalisation, weighted.

    Raises
    ------
    InteractionsError
        Nothing in the store carries any weight.
    """
    params = params or ConfidenceParams()
    columns: dict[str, list[npt.NDArray[np.generic]]] = {
        "user": [], "item": [], "artist": [], "ts": [], "weight": []
    }  # fmt: skip
    plays = 0
    for chunk in stream_plays(engine, chunk_rows=chunk_rows):
        weights = play_weights(chunk.ms_played, chunk.duration_ms, chunk.skipped, params)
        keep = weights > 0
        plays += len(weights)
        _append(columns, chunk.user_id, chunk.item_id, chunk.artist_id, chunk.ts, weights, keep)
    feedback = list(stream_feedback(engine, chunk_rows=chunk_rows))
    if feedback:
        users = np.concatenate([c.user_id for c in feedback])
        items = np.concatenate([c.item_id for c in feedback])
        artists = np.concatenate([c.artist_id for c in feedback])
        ts = np.concatenate([c.ts for c in feedback])
        kinds = _KIND_CODES[np.concatenate([c.kind for c in feedback])]
        weights = feedback_weights(users, items, kinds, ts, params)
        _append(columns, users, items, artists, ts, weights, weights > 0)
    if not any(len(w) for w in columns["weight"]):
        raise InteractionsError("the store holds no plays or feedback usable for training")
    joined = {name: np.concatenate(parts) for name, parts in columns.items()}
    log.info("read %d plays and %d feedback records", plays, sum(len(c.kind) for c in feedback))
    return Interactions.from_columns(
        joined["user"], joined["item"], joined["weight"], joined["ts"], artists=joined["artist"]
    )


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
