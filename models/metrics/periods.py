"""What a set of listeners contributes to ``metrics_periods`` and ``metrics_cohorts``,
computed in numpy from their rollup rows, and applied as a difference.

Every stored count is a sum over listeners (a listener is active in a period or not, new
on a day or not, inside a trailing window or not), so a refresh computes the stale
listeners' old contribution from their old rows, their new one from their new rows, and
adds the difference. A new listener counts on their first day, under each breakdown value
they listened with that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from models.metrics.localtime import months_of
from models.metrics.schema import MetricsCohort, MetricsPeriod, MetricsUserDay

I64 = npt.NDArray[np.int64]
periods_t: Table = MetricsPeriod.__table__  # type: ignore[assignment]
cohorts_t: Table = MetricsCohort.__table__  # type: ignore[assignment]
days_t: Table = MetricsUserDay.__table__  # type: ignore[assignment]

MEASURES = (
    "plays", "ms_played", "streams", "skips", "skip_known", "sessions", "session_ms",
    "ms_new_artist", "rec_plays", "ms_rec",
)  # fmt: skip
COUNTS = ("users", "new_users", "wau", "mau")
SERVED = ("served_lists", "clicked_lists")
COLUMNS = MEASURES + COUNTS + SERVED
DIMS = ("", "platform", "country", "kind")
WINDOWS = {"wau": 7, "mau": 30}
WRITE_CHUNK = 5_000

PeriodKey = tuple[str, str, int, str]  # granularity, dim, bucket, value
Contribution = tuple[dict[PeriodKey, I64], dict[tuple[int, int], int]]


class DayRows:
    """Rollup rows as columns: ints by name, and the three breakdown strings."""

    def __init__(self, ints: dict[str, I64], strings: dict[str, list[str]]) -> None:
        self.ints = ints
        self.strings = strings

    def __len__(self) -> int:
        return int(self.ints["user_id"].size)


def read_day_rows(conn: Connection, rollup_id: int, users: list[int]) -> DayRows:
    """The stored rollup rows of ``users`` (their contribution before a refresh)."""
    names = ("user_id", "day", *MEASURES)
    stmt = select(*(days_t.c[n] for n in names), days_t.c.platform, days_t.c.country,
                  days_t.c.kind).where(days_t.c.rollup_id == rollup_id,
                                       days_t.c.user_id.in_(users))  # fmt: skip
    rows = conn.execute(stmt).all()
    m = np.array([r[: len(names)] for r in rows], dtype=np.int64).reshape(-1, len(names))
    ints = {n: m[:, i] for i, n in enumerate(names)}
    strings = {d: [r[len(names) + j] for r in rows] for j, d in enumerate(DIMS[1:])}
    strings[""] = [""] * len(rows)
    return DayRows(ints, strings)


def _codes(values: list[str]) -> tuple[I64, list[str]]:
    names, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), [str(n) for n in names]


def contribution(rows: DayRows) -> Contribution:
    """The period rows and cohort cells ``rows`` add up to (the rows must hold their
    listeners' whole history)."""
    periods: dict[PeriodKey, I64] = {}
    cohorts: dict[tuple[int, int], int] = {}
    if len(rows) == 0:
        return periods, cohorts
    user, day = rows.ints["user_id"], rows.ints["day"]
    order = np.lexsort((day, user))
    first_row = np.ones(user.size, dtype=bool)
    first_row[1:] = user[order][1:] != user[order][:-1]
    first_day_of = dict(zip(user[order][first_row].tolist(), day[order][first_row].tolist(),
                            strict=True))  # fmt: skip
    first_day = np.array([first_day_of[u] for u in user.tolist()], dtype=np.int64)
    measures = np.stack([rows.ints[m] for m in MEASURES], axis=1)
    buckets = {"d": day, "w": (day + 3) // 7, "m": months_of(day)}
    umax = int(user.max()) + 1
    for dim in DIMS:
        code, names = _codes(rows.strings[dim])
        n = len(names)
        for g, bucket in buckets.items():
            key = bucket * n + code
            keys, inverse = np.unique(key, return_inverse=True)
            inverse = inverse.reshape(-1)
            sums = np.zeros((keys.size, len(COLUMNS)), dtype=np.int64)
            np.add.at(sums[:, : len(MEASURES)], inverse, measures)
            active = np.unique(inverse * umax + user) // umax
            sums[:, COLUMNS.index("users")] = np.bincount(active, minlength=keys.size)
            if g == "d":
                fresh = np.unique((inverse * umax + user)[day == first_day]) // umax
                sums[:, COLUMNS.index("new_users")] = np.bincount(fresh, minlength=keys.size)
            for k, values in zip(keys.tolist(), sums, strict=True):
                periods[(g, dim, k // n, names[k % n])] = values
        for name, width in WINDOWS.items():
            _trailing(periods, dim, names, code, user, day, name, width)
    pairs = np.unique(np.stack([user, (first_day + 3) // 7, (day + 3) // 7], axis=1), axis=0)
    cells, counts = np.unique(pairs[:, 1:], axis=0, return_counts=True)
    for (cw, w), c in zip(cells.tolist(), counts.tolist(), strict=True):
        cohorts[(cw, w)] = c
    return periods, cohorts


def _trailing(
    periods: dict[PeriodKey, I64], dim: str, names: list[str], code: I64, user: I64, day: I64,
    column: str, width: int,
) -> None:  # fmt: skip
    """Distinct listeners of each value within the ``width`` days ending at each day: each
    active day covers itself and the next ``width - 1`` days; one listener's overlapping
    covers are merged so they count once."""
    triples = np.unique(np.stack([code, user, day], axis=1), axis=0)
    c, u, d = triples[:, 0], triples[:, 1], triples[:, 2]
    same = np.zeros(d.size, dtype=bool)
    same[1:] = (u[1:] == u[:-1]) & (c[1:] == c[:-1])
    prev = np.empty_like(d)
    prev[1:] = d[:-1]
    start = np.where(same, np.maximum(d, prev + width), d)
    stop = d + width
    keep = start < stop
    lo = int(d.min())
    span = int(d.max()) + width - lo + 1
    delta = np.zeros((len(names), span), dtype=np.int64)
    np.add.at(delta, (c[keep], start[keep] - lo), 1)
    np.add.at(delta, (c[keep], stop[keep] - lo), -1)
    covered = np.cumsum(delta, axis=1)
    col = COLUMNS.index(column)
    for ci, offset in zip(*np.nonzero(covered), strict=True):
        key = ("d", dim, lo + int(offset), names[int(ci)])
        values = periods.get(key)
        if values is None:
            values = periods[key] = np.zeros(len(COLUMNS), dtype=np.int64)
        values[col] += covered[ci, offset]


def served_contribution(days: I64, lists: I64, clicked: I64) -> dict[PeriodKey, I64]:
    """The daily rows (no breakdown) that served lists add up to, from per-user-day rows."""
    out: dict[PeriodKey, I64] = {}
    for day in np.unique(days).tolist():
        at = days == day
        values = np.zeros(len(COLUMNS), dtype=np.int64)
        values[COLUMNS.index("served_lists")] = lists[at].sum()
        values[COLUMNS.index("clicked_lists")] = clicked[at].sum()
        out[("d", "", int(day), "")] = values
    return out


def merge(into: Contribution, more: dict[PeriodKey, I64]) -> Contribution:
    periods = dict(into[0])
    for key, values in more.items():
        periods[key] = periods[key] + values if key in periods else values
    return periods, into[1]


def difference(new: Contribution, old: Contribution) -> Contribution:
    periods = dict(new[0])
    for key, values in old[0].items():
        periods[key] = periods[key] - values if key in periods else -values
    cohorts = dict(new[1])
    for cell, count in old[1].items():
        cohorts[cell] = cohorts.get(cell, 0) - count
    return (
        {k: v for k, v in periods.items() if v.any()},
        {k: v for k, v in cohorts.items() if v},
    )


def _upsert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], keys: Iterable[str]
) -> None:
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = module.insert(table)
    counted = [c.name for c in table.columns if c.name not in {"rollup_id", *keys}]
    stmt = stmt.on_conflict_do_update(
        index_elements=["rollup_id", *keys],
        set_={c: table.c[c] + stmt.excluded[c] for c in counted},
    )
    for start in range(0, len(rows), WRITE_CHUNK):
        conn.execute(stmt, rows[start : start + WRITE_CHUNK])


def apply(conn: Connection, rollup_id: int, change: Contribution, *, replace: bool) -> None:
    """Add ``change`` to the stored periods and cohorts (or store it afresh, ``replace``)."""
    period_rows = [
        {"rollup_id": rollup_id, "granularity": g, "dim": dim, "bucket": b, "value": v,
         **dict(zip(COLUMNS, values.tolist(), strict=True))}
        for (g, dim, b, v), values in change[0].items()
    ]  # fmt: skip
    cohort_rows = [
        {"rollup_id": rollup_id, "cohort": cw, "week": w, "users": n}
        for (cw, w), n in change[1].items()
    ]
    if replace:
        conn.execute(delete(periods_t).where(periods_t.c.rollup_id == rollup_id))
        conn.execute(delete(cohorts_t).where(cohorts_t.c.rollup_id == rollup_id))
        for table, rows in ((periods_t, period_rows), (cohorts_t, cohort_rows)):
            for start in range(0, len(rows), WRITE_CHUNK):
                conn.execute(insert(table), rows[start : start + WRITE_CHUNK])
        return
    _upsert(conn, periods_t, period_rows, ("granularity", "dim", "bucket", "value"))
    _upsert(conn, cohorts_t, cohort_rows, ("cohort", "week"))
