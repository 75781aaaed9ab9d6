"""The product metrics, as grouped queries over the rollup of one time zone.

Every function takes a :class:`Span` (local dates ``[first, end)``, a granularity and an
optional breakdown) and answers one row per period (and per breakdown value), periods
in order, empty periods included. Sums and distinct counts run in the database; only the
trailing-window counts (WAU, MAU) are finished in numpy from distinct (user, day) pairs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Table, func, literal, select
from sqlalchemy.engine import Connection

from models.metrics.localtime import (
    Granularity,
    bucket_of,
    bucket_span,
    day_number,
    week_of,
)
from models.metrics.schema import MetricsUserDay

days_t: Table = MetricsUserDay.__table__  # type: ignore[assignment]
WAU_DAYS = 7
MAU_DAYS = 30


class Dimension(enum.StrEnum):
    platform = "platform"
    country = "country"
    kind = "kind"


@dataclass(frozen=True, slots=True)
class Span:
    """Local dates ``[first, end)`` of one rollup, in periods of ``granularity``."""

    rollup_id: int
    first: date
    end: date
    granularity: Granularity = Granularity.day
    by: Dimension | None = None

    @property
    def first_day(self) -> int:
        return day_number(self.first)

    @property
    def end_day(self) -> int:
        return day_number(self.end)

    def buckets(self) -> list[int]:
        lo = bucket_of(self.first_day, self.granularity)
        hi = bucket_of(self.end_day - 1, self.granularity)
        return list(range(lo, hi + 1))

    def period(self, bucket: int) -> tuple[date, date]:
        """The part of ``bucket`` inside the span."""
        start, end = bucket_span(bucket, self.granularity)
        return max(start, self.first), min(end, self.end)

    def days_in(self, bucket: int) -> int:
        start, end = self.period(bucket)
        return (end - start).days


def bucket_column(granularity: Granularity) -> ColumnElement[int]:
    if granularity is Granularity.day:
        return days_t.c.day
    if granularity is Granularity.week:
        return (days_t.c.day + 3) // 7
    return days_t.c.month


def _group(span: Span) -> ColumnElement[Any]:
    return days_t.c[span.by.value] if span.by else literal("")


def _where(span: Span, lead_days: int = 0) -> list[ColumnElement[bool]]:
    return [
        days_t.c.rollup_id == span.rollup_id,
        days_t.c.day >= span.first_day - lead_days,
        days_t.c.day < span.end_day,
    ]


def grouped(
    conn: Connection, span: Span, **aggregates: ColumnElement[Any]
) -> dict[tuple[int, str], dict[str, Any]]:
    """``aggregates`` over the span's rollup rows, by (bucket, breakdown value)."""
    bucket = bucket_column(span.granularity).label("bucket")
    group = _group(span).label("grp")
    stmt = (
        select(bucket, group, *(agg.label(name) for name, agg in aggregates.items()))
        .where(*_where(span))
        .group_by(bucket, group)
    )
    return {(int(r.bucket), str(r.grp)): dict(r._mapping) for r in conn.execute(stmt)}


def periods(
    span: Span, found: dict[tuple[int, str], dict[str, Any]]
) -> Iterator[tuple[int, date, date, str | None, dict[str, Any]]]:
    """Every (bucket, start, end, group, values) in order; buckets without rows yield ``{}``
    once per group seen anywhere (or once, without a breakdown)."""
    groups = sorted({g for _, g in found}) if span.by else [""]
    for bucket in span.buckets():
        start, end = span.period(bucket)
        for g in groups or [""]:
            yield bucket, start, end, (g if span.by else None), found.get((bucket, g), {})


def _ratio(num: float | int | None, den: float | int | None, scale: float = 1.0) -> float | None:
    return None if not den else scale * float(num or 0) / float(den)


SUM = func.sum


# -- North Star --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NorthStarRow:
    start: date
    end: date
    group: str | None
    listening_minutes: float
    active_users: int
    minutes_per_active_user: float | None


def north_star(conn: Connection, span: Span) -> list[NorthStarRow]:
    """Total listening time and time per active listener, per period."""
    found = grouped(
        conn, span, ms=SUM(days_t.c.ms_played), users=func.count(func.distinct(days_t.c.user_id))
    )
    rows = []
    for _, start, end, group, v in periods(span, found):
        minutes = int(v.get("ms") or 0) / 60_000
        users = int(v.get("users") or 0)
        rows.append(NorthStarRow(start, end, group, minutes, users, _ratio(minutes, users)))
    return rows


# -- Active users ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActiveUsersRow:
    start: date
    end: date
    group: str | None
    active_users: int
    dau: float
    wau: int
    mau: int
    stickiness: float | None
    new_users: int
    returning_users: int


def _pairs(conn: Connection, span: Span) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distinct (group code, user, day) with ``MAU_DAYS - 1`` days of lead, sorted."""
    group = _group(span).label("grp")
    stmt = (
        select(group, days_t.c.user_id, days_t.c.day)
        .where(*_where(span, MAU_DAYS - 1))
        .distinct()
        .order_by(group, days_t.c.user_id, days_t.c.day)
    )
    names: dict[str, int] = {}
    codes: list[int] = []
    ints: list[tuple[int, int]] = []
    for g, user, day in conn.execute(stmt):
        codes.append(names.setdefault(str(g), len(names)))
        ints.append((user, day))
    m = np.array(ints, dtype=np.int64).reshape(-1, 2)
    return np.array(codes, dtype=np.int64), m, list(names)


def _trailing(
    code: np.ndarray, user: np.ndarray, day: np.ndarray, width: int, lo: int, hi: int
) -> np.ndarray:
    """Distinct users active within the ``width`` days ending at each day of ``[lo, hi)``,
    for sorted unique (code, user, day) rows of one group. Each active day covers the next
    ``width`` days; a user's overlapping covers are merged so they count once."""
    same = np.zeros(day.size, dtype=bool)
    same[1:] = (user[1:] == user[:-1]) & (code[1:] == code[:-1])
    prev = np.empty_like(day)
    prev[1:] = day[:-1]
    start = np.where(same, np.maximum(day, prev + width), day)
    stop = day + width
    keep = start < stop
    delta = np.zeros(hi - lo + width + 1, dtype=np.int64)
    base = lo - width
    np.add.at(delta, np.clip(start[keep] - base, 0, delta.size - 1), 1)
    np.add.at(delta, np.clip(stop[keep] - base, 0, delta.size - 1), -1)
    return np.cumsum(delta)[width : width + hi - lo]


def first_days(conn: Connection, rollup_id: int) -> dict[int, int]:
    """Each listener's first local day with listening, over the whole rollup."""
    stmt = (
        select(days_t.c.user_id, func.min(days_t.c.day))
        .where(days_t.c.rollup_id == rollup_id)
        .group_by(days_t.c.user_id)
    )
    return {int(u): int(d) for u, d in conn.execute(stmt)}


def active_users(conn: Connection, span: Span) -> list[ActiveUsersRow]:
    """Per period: distinct active listeners; DAU averaged over its days; WAU and MAU
    (distinct listeners in the trailing 7 and 30 days) on its last day; stickiness
    (that DAU over that MAU); new listeners (first listen ever in the period) and
    returning ones (the other active listeners)."""
    found = grouped(
        conn, span,
        users=func.count(func.distinct(days_t.c.user_id)),
        user_days=func.count(func.distinct(days_t.c.user_id * 10_000_000 + days_t.c.day)),
    )  # fmt: skip
    code, pairs, names = _pairs(conn, span)
    firsts = first_days(conn, span.rollup_id)
    lo, hi = span.first_day, span.end_day
    in_range = (pairs[:, 1] >= lo) & (pairs[:, 1] < hi)
    first_of = np.array([firsts.get(int(u), 0) for u in pairs[:, 0].tolist()], dtype=np.int64)
    new_day = in_range & (pairs[:, 1] == first_of)
    buckets_of = np.array(
        [bucket_of(int(d), span.granularity) for d in range(lo, hi)], dtype=np.int64
    )
    per_group: dict[str, dict[str, np.ndarray]] = {}
    for n, name in enumerate(names):
        sel = code == n
        u, d = pairs[sel, 0], pairs[sel, 1]
        dau = np.bincount(d[in_range[sel]] - lo, minlength=hi - lo)[: hi - lo]
        new = np.bincount(d[new_day[sel]] - lo, minlength=hi - lo)[: hi - lo]
        per_group[name] = {
            "dau": dau,
            "new": new,
            "wau": _trailing(code[sel], u, d, WAU_DAYS, lo, hi),
            "mau": _trailing(code[sel], u, d, MAU_DAYS, lo, hi),
        }
    zeros = np.zeros(hi - lo, dtype=np.int64)
    rows = []
    for bucket, start, end, group, v in periods(span, found):
        series = per_group.get(group or "", {})
        mask = buckets_of == bucket
        last = int(np.flatnonzero(mask)[-1])
        dau = series.get("dau", zeros)
        wau = int(series.get("wau", zeros)[last])
        mau = int(series.get("mau", zeros)[last])
        active = int(v.get("users") or 0)
        newcomers = int(series.get("new", zeros)[mask].sum())
        dau_mean = float(dau[mask].mean())
        rows.append(
            ActiveUsersRow(
                start, end, group, active, dau_mean, wau, mau,
                _ratio(int(dau[last]), mau), newcomers, active - newcomers,
            )
        )  # fmt: skip
    return rows


# -- Retention ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cohort:
    week: date
    users: int
    active: list[int]  # by weeks since the first: 0, 1, 2, ...
    retention: list[float]


def retention(conn: Connection, span: Span) -> list[Cohort]:
    """Weekly cohorts (listeners by the Monday-start week of their first listen ever, when
    that falls in the span) and how many of each are active 0, 1, 2, ... weeks later,
    up to the span's end."""
    firsts = (
        select(days_t.c.user_id.label("user_id"), func.min(days_t.c.day).label("d0"))
        .where(days_t.c.rollup_id == span.rollup_id)
        .group_by(days_t.c.user_id)
        .subquery()
    )
    cohort = ((firsts.c.d0 + 3) // 7).label("cw")
    week = ((days_t.c.day + 3) // 7).label("w")
    stmt = (
        select(cohort, week, func.count(func.distinct(days_t.c.user_id)))
        .join(firsts, firsts.c.user_id == days_t.c.user_id)
        .where(*_where(span), firsts.c.d0 >= span.first_day, firsts.c.d0 < span.end_day)
        .group_by(cohort, week)
    )
    counts: dict[int, dict[int, int]] = {}
    for cw, w, n in conn.execute(stmt):
        counts.setdefault(int(cw), {})[int(w) - int(cw)] = int(n)
    last_week = week_of(span.end_day - 1)
    cohorts = []
    for cw in sorted(counts):
        by_k = counts[cw]
        size = by_k.get(0, 0)
        active = [by_k.get(k, 0) for k in range(last_week - cw + 1)]
        start, _ = bucket_span(cw, Granularity.week)
        cohorts.append(Cohort(start, size, active, [a / size if size else 0.0 for a in active]))
    return cohorts


# -- Engagement and discovery ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngagementRow:
    start: date
    end: date
    group: str | None
    plays: int
    streams: int
    skip_rate: float | None
    sessions: int
    sessions_per_user: float | None
    avg_session_minutes: float | None
    likes_per_100_streams: float | None
    saves_per_100_streams: float | None


def engagement(
    conn: Connection, span: Span, feedback: dict[int, dict[str, int]] | None
) -> list[EngagementRow]:
    """Streams, skip rate, sessions per active listener and their average length, and
    likes and saves per 100 streams (``feedback``: counts by bucket and kind; None under a
    breakdown, as feedback carries no platform or country)."""
    found = grouped(
        conn, span,
        plays=SUM(days_t.c.plays), streams=SUM(days_t.c.streams), skips=SUM(days_t.c.skips),
        known=SUM(days_t.c.skip_known), sessions=SUM(days_t.c.sessions),
        session_ms=SUM(days_t.c.session_ms), users=func.count(func.distinct(days_t.c.user_id)),
    )  # fmt: skip
    rows = []
    for bucket, start, end, group, v in periods(span, found):
        streams = int(v.get("streams") or 0)
        sessions = int(v.get("sessions") or 0)
        fb = None if feedback is None else feedback.get(bucket, {})
        rows.append(
            EngagementRow(
                start, end, group, int(v.get("plays") or 0), streams,
                _ratio(v.get("skips"), v.get("known")), sessions,
                _ratio(sessions, v.get("users")),
                _ratio(v.get("session_ms"), sessions, 1 / 60_000),
                None if fb is None else _ratio(fb.get("like", 0), streams, 100),
                None if fb is None else _ratio(fb.get("save", 0), streams, 100),
            )
        )  # fmt: skip
    return rows


@dataclass(frozen=True, slots=True)
class DiscoveryRow:
    start: date
    end: date
    group: str | None
    listening_minutes: float
    new_artist_share: float | None
    rec_share: float | None
    rec_plays: int
    served_lists: int | None
    clicked_lists: int | None
    click_through: float | None


def discovery(
    conn: Connection, span: Span, served: dict[int, tuple[int, int]] | None
) -> list[DiscoveryRow]:
    """The share of listening on artists new to the listener and from recommendations,
    and click-through (``served``: lists served and clicked by bucket; None under a
    breakdown)."""
    found = grouped(
        conn, span,
        ms=SUM(days_t.c.ms_played), new=SUM(days_t.c.ms_new_artist), rec=SUM(days_t.c.ms_rec),
        rec_plays=SUM(days_t.c.rec_plays),
    )  # fmt: skip
    rows = []
    for bucket, start, end, group, v in periods(span, found):
        ms = int(v.get("ms") or 0)
        lists, clicked = (None, None) if served is None else served.get(bucket, (0, 0))
        rows.append(
            DiscoveryRow(
                start, end, group, ms / 60_000, _ratio(v.get("new"), ms),
                _ratio(v.get("rec"), ms), int(v.get("rec_plays") or 0), lists, clicked,
                None if lists is None else _ratio(clicked, lists),
            )
        )  # fmt: skip
    return rows
