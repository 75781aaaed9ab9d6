"""The user x item interaction table, for training elsewhere (Spark ALS reads it).

One row per (user, item) pair that has at least one play usable for personalisation
(private plays and users who opted out are left out, as in training):

=============  ===========================  ==============================================
column         type                         meaning
=============  ===========================  ==============================================
``user``       string                       the user's external id, as the API names them
``item``       int64                        the item id of the API (``/v1/items/{id}``)
``plays``      int64                        plays in the window, streams or not
``ms_played``  int64                        their total milliseconds
``confidence`` float64                      the sum of the plays' confidence weights
                                            (:mod:`recsys.confidence`, steps 1 to 3); 0
                                            when none was a stream
``last_ts``    timestamp[us, UTC]           when the latest of them started
=============  ===========================  ==============================================

Explicit feedback (likes, saves, shares) is not in this table: it describes plays. The
store streams plays ordered by pair, and each chunk is totalled with numpy; the rows of
the pair a chunk ends on wait for the next chunk, so memory stays one chunk wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy.engine import Engine

from models.interactions import CHUNK_ROWS, PlayColumns, external_user_ids, stream_plays
from recsys.confidence import ConfidenceParams, play_weights

SCHEMA = pa.schema(
    [
        pa.field("user", pa.string(), nullable=False),
        pa.field("item", pa.int64(), nullable=False),
        pa.field("plays", pa.int64(), nullable=False),
        pa.field("ms_played", pa.int64(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("last_ts", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

_FIELDS = ("user_id", "item_id", "ts", "ms_played", "weight")
Columns = dict[str, npt.NDArray[np.generic]]


def interaction_batches(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    params: ConfidenceParams | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pa.RecordBatch]:
    """The table of the module docstring as record batches, ordered by user and item.

    Parameters
    ----------
    since, until : datetime, optional
        Keep plays that started in ``[since, until)``.
    params : ConfidenceParams, optional
        The weighting; training's defaults when omitted.
    chunk_rows : int
        Plays read from the store at a time.
    """
    params = params or ConfidenceParams()
    carry: Columns | None = None
    chunks = stream_plays(engine, chunk_rows=chunk_rows, since=since, until=until, by_pair=True)
    for chunk in chunks:
        rows = _columns(chunk, params)
        if carry is not None:
            rows = {name: np.concatenate([carry[name], rows[name]]) for name in _FIELDS}
        starts = _pair_starts(rows)
        tail = int(starts[-1])  # the last pair may go on in the next chunk
        carry = {name: column[tail:] for name, column in rows.items()}
        if tail:
            yield _totals(engine, {name: column[:tail] for name, column in rows.items()})
    if carry is not None:
        yield _totals(engine, carry)


def _columns(chunk: PlayColumns, params: ConfidenceParams) -> Columns:
    weights = play_weights(chunk.ms_played, chunk.duration_ms, chunk.skipped, params)
    return {
        "user_id": chunk.user_id,
        "item_id": chunk.item_id,
        "ts": np.rint(chunk.ts * 1e6).astype(np.int64),
        "ms_played": chunk.ms_played,
        "weight": weights.astype(np.float64),
    }


def _pair_starts(rows: Columns) -> npt.NDArray[np.intp]:
    users, items = rows["user_id"], rows["item_id"]
    new = np.ones(len(users), dtype=bool)
    new[1:] = (users[1:] != users[:-1]) | (items[1:] != items[:-1])
    return np.flatnonzero(new)


def _totals(engine: Engine, rows: Columns) -> pa.RecordBatch:
    """One row per pair of ``rows`` (sorted by pair)."""
    starts = _pair_starts(rows)
    users = rows["user_id"][starts]
    names = external_user_ids(engine, int(users.min()), int(users.max()))
    return pa.RecordBatch.from_arrays(
        [
            pa.array([names[int(u)] for u in users], pa.string()),
            pa.array(rows["item_id"][starts], pa.int64()),
            pa.array(np.diff(starts, append=len(rows["user_id"])), pa.int64()),
            pa.array(np.add.reduceat(rows["ms_played"], starts), pa.int64()),
            pa.array(np.add.reduceat(rows["weight"], starts), pa.float64()),
            pa.array(np.maximum.reduceat(rows["ts"], starts), pa.timestamp("us", tz="UTC")),
        ],
        schema=SCHEMA,
    )
