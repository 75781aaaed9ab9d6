"""The artist part of a zone's rollup: each listener's plays by artist, local day and
country, and by track and local day, with the previous day that makes distinct listeners
a plain count (see ``models.metrics.schema``).

Summarised from the same per-listener event columns as the listener days, so the rollup's
refresh keeps both in step: a stale listener's rows are deleted and written again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, delete
from sqlalchemy.engine import Connection

from models.dialect import insert_rows
from models.metrics import STREAM_MS
from models.metrics.schema import NO_DAY, MetricsArtistDay, MetricsArtistTrackDay

I64 = npt.NDArray[np.int64]
INSERT_CHUNK = 20_000

artist_days_t: Table = MetricsArtistDay.__table__  # type: ignore[assignment]
track_days_t: Table = MetricsArtistTrackDay.__table__  # type: ignore[assignment]
TABLES = (artist_days_t, track_days_t)


@dataclass(frozen=True, slots=True)
class ArtistDays:
    """Rows of both tables as columns (``country`` of the artist rows as strings)."""

    artist_rows: dict[str, I64]
    country: list[str]
    track_rows: dict[str, I64]


def _grouped(keys: Sequence[I64], values: dict[str, I64]) -> tuple[list[I64], dict[str, I64]]:
    """One row per distinct key tuple, ordered by the keys (the first varies slowest),
    with ``values`` summed."""
    n = keys[0].size
    order = np.lexsort(tuple(reversed(keys)))
    sorted_keys = [k[order] for k in keys]
    first = np.ones(n, dtype=bool)
    if n:
        first[1:] = np.any([k[1:] != k[:-1] for k in sorted_keys], axis=0)
    at = np.flatnonzero(first)
    return [k[at] for k in sorted_keys], {
        name: np.add.reduceat(v[order], at) if n else v for name, v in values.items()
    }


def _previous_day(day: I64, *owners: I64) -> I64:
    """For rows ordered by (owners..., day, ...): the day of the row before within the same
    owners, ``NO_DAY`` on each owner's first row."""
    prev = np.full(day.size, NO_DAY, dtype=np.int64)
    if day.size > 1:
        same = np.all([o[1:] == o[:-1] for o in owners], axis=0)
        prev[1:] = np.where(same, day[:-1], NO_DAY)
    return prev


def summarise_artists(
    user: I64, artist: I64, item: I64, country: I64, countries: list[str], day: I64, ms: I64
) -> ArtistDays:
    """The artist rows of the plays given (one entry per non-private play; the listeners'
    whole history, ``country`` an index into ``countries``)."""
    measures = {
        "plays": np.ones(user.size, dtype=np.int64),
        "streams": (ms >= STREAM_MS).astype(np.int64),
        "ms_played": ms.astype(np.int64),
    }
    names = sorted(countries)  # codes in name order: a listener's rows of a day by country
    rank = np.array([names.index(x) for x in countries], dtype=np.int64)
    (u, a, d, c), sums = _grouped((user, artist, day, rank[country]), measures)
    artist_rows = {"user_id": u, "artist_id": a, "day": d, **sums}
    artist_rows["prev_day"] = _previous_day(d, u, a)
    by_country = np.lexsort((d, c, a, u))
    prev_country = np.empty_like(d)
    prev_country[by_country] = _previous_day(d[by_country], u[by_country], a[by_country],
                                             c[by_country])  # fmt: skip
    artist_rows["prev_country_day"] = prev_country
    (u, a, i, d), sums = _grouped((user, artist, item, day), measures)  # an item has one artist
    track_rows = {"user_id": u, "artist_id": a, "item_id": i, "day": d, **sums,
                  "prev_day": _previous_day(d, u, i)}  # fmt: skip
    return ArtistDays(artist_rows, [names[x] for x in c.tolist()], track_rows)


def _insert(conn: Connection, table: Table, rollup_id: int, columns: dict[str, I64]) -> int:
    """Insert rows given as columns, a chunk at a time (a rebuild writes millions)."""
    names = list(columns)
    size = len(columns[names[0]])
    for start in range(0, size, INSERT_CHUNK):
        part = [columns[n][start : start + INSERT_CHUNK].tolist() for n in names]
        rows = zip([rollup_id] * len(part[0]), *part, strict=True)
        insert_rows(conn, table, ["rollup_id", *names], rows)
    return size


def write_artist_days(conn: Connection, rollup_id: int, days: ArtistDays) -> int:
    """Insert the rows; returns how many."""
    artist = {**days.artist_rows, "country": np.array(days.country, dtype=object)}
    return _insert(conn, artist_days_t, rollup_id, artist) + _insert(
        conn, track_days_t, rollup_id, days.track_rows
    )


def delete_artist_days(conn: Connection, rollup_id: int, users: list[int] | None) -> None:
    """Delete the rows of ``users`` (None: everyone's)."""
    for table in TABLES:
        stmt = delete(table).where(table.c.rollup_id == rollup_id)
        if users is not None:
            stmt = stmt.where(table.c.user_id.in_(users))
        conn.execute(stmt)
