"""What the recommender trains on, read as numpy columns.

Plays are scanned whole into columns (:mod:`models.columnar`: Arrow on SQLite, binary
COPY on PostgreSQL); feedback, which is small, streams through the driver. Private
plays never leave the store, and neither does anything of a user who opted out
of personalisation. Timestamps come back as Unix seconds, computed by the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, cast, false, func, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

from models.catalog import Item
from models.columnar import Column, scan
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


def read_plays(engine: Engine) -> PlayColumns:
    """Every play that may be used for personalisation, as whole columns.

    One scan of the events table (:func:`models.columnar.scan`: no Python object per
    value) and two small ones of items and users, joined in numpy by id: a plain table
    scan is several times faster in SQLite than the same rows through a join.
    """
    e = ListeningEvent
    plays = scan(
        engine,
        [
            Column("user_id", e.user_id, "int64"),
            Column("item_id", e.item_id, "int64"),
            Column("ts", e.ts, "ts_us"),
            Column("ms_played", e.ms_played, "int32"),
            Column("skipped", func.coalesce(e.skipped, false()), "bool"),
        ],
        from_=e.__table__,
        where=[e.private == false()],
        key=e.id,
    )
    items = scan(
        engine,
        [
            Column("id", Item.id, "int64"),
            Column("artist_id", Item.artist_id, "int64"),
            Column("duration_ms", func.coalesce(Item.duration_ms, 0), "int32"),
        ],
        from_=Item.__table__,
    )
    opted_out = scan(
        engine,
        [Column("id", User.id, "int64")],
        from_=User.__table__,
        where=[User.opt_out_personalization == true()],
    )["id"]
    users, item_ids = plays["user_id"], plays["item_id"]
    if len(opted_out):
        keep = ~np.isin(users, opted_out)
        plays = {name: column[keep] for name, column in plays.items()}
        users, item_ids = plays["user_id"], plays["item_id"]
    size = int(max(items["id"].max(initial=0), item_ids.max(initial=0))) + 1
    artist = np.zeros(size, dtype=np.int64)
    artist[items["id"]] = items["artist_id"]
    duration = np.zeros(size, dtype=np.int64)
    duration[items["id"]] = items["duration_ms"]
    return PlayColumns(
        user_id=users,
        item_id=item_ids,
        artist_id=artist[item_ids],
        ts=plays["ts"] / 1e6,
        ms_played=plays["ms_played"].astype(np.int64),
        skipped=plays["skipped"],
        duration_ms=duration[item_ids],
    )


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
