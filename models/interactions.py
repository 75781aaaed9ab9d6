"""What the recommender trains on, read as numpy columns in chunks.

One streaming SELECT per table (a server-side cursor on PostgreSQL, ``yield_per``
batches on SQLite): no ORM objects, no per-row Python beyond the driver's tuples.
Private plays never leave the store, and neither does anything of a user who opted out
of personalisation. Timestamps come back as Unix seconds, computed by the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, cast, false, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

from models.catalog import Item
from models.dialect import epoch_us
from models.listening import Feedback, FeedbackKind, ListeningEvent
from models.users import User

CHUNK_ROWS = 100_000
# The order of these codes is the contract with the reader of FeedbackColumns.kind.
FEEDBACK_CODES = {kind: code for code, kind in enumerate(FeedbackKind)}


@dataclass(frozen=True, slots=True)
class PlayColumns:
    """A chunk of plays; ``duration_ms`` is 0 where the catalog does not know it."""

    user_id: npt.NDArray[np.int64]
    item_id: npt.NDArray[np.int64]
    artist_id: npt.NDArray[np.int64]
    ts: npt.NDArray[np.float64]
    ms_played: npt.NDArray[np.int64]
    skipped: npt.NDArray[np.bool_]
    duration_ms: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FeedbackColumns:
    """A chunk of explicit feedback; ``kind`` holds codes of :data:`FEEDBACK_CODES`."""

    user_id: npt.NDArray[np.int64]
    item_id: npt.NDArray[np.int64]
    artist_id: npt.NDArray[np.int64]
    ts: npt.NDArray[np.float64]
    kind: npt.NDArray[np.int8]


def _chunks(engine: Engine, stmt: Executable, chunk_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    """Columns of each chunk of rows, streamed (server-side cursor where there is one)."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk_rows).execute(stmt)
        for part in result.partitions():
            yield list(zip(*part, strict=True))


def stream_plays(
    engine: Engine,
    *,
    chunk_rows: int = CHUNK_ROWS,
    since: datetime | None = None,
    until: datetime | None = None,
    by_pair: bool = False,
) -> Iterator[PlayColumns]:
    """Every play that may be used for personalisation, ``chunk_rows`` at a time.

    ``since``/``until`` keep plays that started in ``[since, until)``; ``by_pair`` orders
    them by user and item, so a reader can total each pair without holding them all.
    """
    e = ListeningEvent
    stmt = (
        select(
            e.user_id,
            e.item_id,
            Item.artist_id,
            epoch_us(engine.dialect.name, e.ts),
            e.ms_played,
            func.coalesce(cast(e.skipped, Integer), 0),
            func.coalesce(Item.duration_ms, 0),
        )
        .join(Item, Item.id == e.item_id)
        .join(User, User.id == e.user_id)
        .where(e.private == false(), User.opt_out_personalization == false())
    )
    if since is not None:
        stmt = stmt.where(e.ts >= since)
    if until is not None:
        stmt = stmt.where(e.ts < until)
    if by_pair:
        stmt = stmt.order_by(e.user_id, e.item_id)
    for cols in _chunks(engine, stmt, chunk_rows):
        yield PlayColumns(
            user_id=np.asarray(cols[0], dtype=np.int64),
            item_id=np.asarray(cols[1], dtype=np.int64),
            artist_id=np.asarray(cols[2], dtype=np.int64),
            ts=np.asarray(cols[3], dtype=np.int64) / 1e6,
            ms_played=np.asarray(cols[4], dtype=np.int64),
            skipped=np.asarray(cols[5], dtype=np.int64) != 0,
            duration_ms=np.asarray(cols[6], dtype=np.int64),
        )


def stream_feedback(engine: Engine, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[FeedbackColumns]:
    """Every feedback record of users who allow personalisation, ``chunk_rows`` at a time."""
    f = Feedback
    stmt = (
        select(f.user_id, f.item_id, Item.artist_id, epoch_us(engine.dialect.name, f.ts), f.kind)
        .join(Item, Item.id == f.item_id)
        .join(User, User.id == f.user_id)
        .where(User.opt_out_personalization == false())
    )
    for cols in _chunks(engine, stmt, chunk_rows):
        yield FeedbackColumns(
            user_id=np.asarray(cols[0], dtype=np.int64),
            item_id=np.asarray(cols[1], dtype=np.int64),
            artist_id=np.asarray(cols[2], dtype=np.int64),
            ts=np.asarray(cols[3], dtype=np.int64) / 1e6,
            kind=np.array([FEEDBACK_CODES[FeedbackKind(k)] for k in cols[4]], dtype=np.int8),
        )


def external_user_ids(engine: Engine, first: int, last: int) -> dict[int, str]:
    """Users' external ids by store id, for the ids in ``[first, last]``."""
    stmt = select(User.id, User.external_id).where(User.id.between(first, last))
    with engine.connect() as conn:
        return {int(uid): str(ext) for uid, ext in conn.execute(stmt)}
