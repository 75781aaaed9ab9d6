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

from sqlalchemy import ColumnElement, Table, func, literal, select
from sqlalchemy.engine import Connection

from models.metrics.localtime import (
    Granularity,
    bucket_of,
    bucket_span,
    day_number,
    week_of,
)
from models.metrics.periods import COLUMNS, MEASURES, SERVED
from models.metrics.schema import MetricsCohort, MetricsPeriod, MetricsUserDay

days_t: Table = MetricsUserDay.__table__  # type: ignore[assignment]
periods_t: Table = MetricsPeriod.__table__  # type: ignore[assignment]
cohorts_t: Table = MetricsCohort.__table__  # type: ignore[assignment]


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


def _group(span: Span) -> ColumnElement[Any]:
    return days_t.c[span.by.value] if span.by else literal("")


def _stored(
    conn: Connection, span: Span, granularity: str, lo: int, hi: int
) -> dict[tuple[int, str], dict[str, int]]:
    """Stored period rows of buckets ``lo..hi`` (inclusive) under the span's breakdown."""
    stmt = select(periods_t.c.bucket, periods_t.c.value, *(periods_t.c[c] for c in COLUMNS))
    stmt = stmt.where(
        periods_t.c.rollup_id == span.rollup_id, periods_t.c.granularity == granularity,
        periods_t.c.dim == (span.by.value if span.by else ""), periods_t.c.bucket >= lo,
        periods_t.c.bucket <= hi,
    )  # fmt: skip
    return {
        (int(r[0]), str(r[1])): dict(zip(COLUMNS, (int(v) for v in r[2:]), strict=True))
        for r in conn.execute(stmt)
    }


def daily(conn: Connection, span: Span) -> dict[tuple[int, str], dict[str, int]]:
    """The stored daily rows of the span, by (day, breakdown value)."""
    return _stored(conn, span, "d", span.first_day, span.end_day - 1)


def _live_users(conn: Connection, span: Span, first: int, end: int) -> dict[str, int]:
    """Distinct listeners in days ``[first, end)`` by breakdown value, from the day rows."""
    group = _group(span).label("grp")
    stmt = (
        select(group, func.count(func.distinct(days_t.c.user_id)))
        .where(days_t.c.rollup_id == span.rollup_id, days_t.c.day >= first, days_t.c.day < end)
        .group_by(group)
    )
    return {str(g): int(n) for g, n in conn.execute(stmt)}


def grouped(conn: Connection, span: Span) -> dict[tuple[int, str], dict[str, int]]:
    """Every measure by (bucket, breakdown value): sums and new listeners added up from the
    daily rows; distinct listeners from the stored rows of whole periods, and counted from
    the day rows for a period the range cuts (at most the first and the last)."""
    days = daily(conn, span)
    out: dict[tuple[int, str], dict[str, int]] = {}
    for (day, value), row in days.items():
        cell = out.setdefault((bucket_of(day, span.granularity), value), dict.fromkeys(COLUMNS, 0))
        for c in (*MEASURES, "new_users", *SERVED):
            cell[c] += row[c]
        if span.granularity is Granularity.day:
            cell["users"] = row["users"]
    if span.granularity is Granularity.day:
        return out
    g = "w" if span.granularity is Granularity.week else "m"
    buckets = span.buckets()
    whole = [b for b in buckets if span.days_in(b) == _length(b, span.granularity)]
    if whole:
        for key, row in _stored(conn, span, g, whole[0], whole[-1]).items():
            if key[0] in whole:
                out.setdefault(key, dict.fromkeys(COLUMNS, 0))["users"] = row["users"]
    for b in buckets:
        if b in whole:
            continue
        start, end = span.period(b)
        for value, n in _live_users(conn, span, day_number(start), day_number(end)).items():
            out.setdefault((b, value), dict.fromkeys(COLUMNS, 0))["users"] = n
    return out


def _length(bucket: int, granularity: Granularity) -> int:
    start, end = bucket_span(bucket, granularity)
    return (end - start).days


def periods(
    span: Span, found: dict[tuple[int, str], dict[str, int]]
) -> Iterator[tuple[int, date, date, str | None, dict[str, int]]]:
    """Every (bucket, start, end, group, values) in order; buckets without rows yield ``{}``
    once per group seen anywhere (or once, without a breakdown)."""
    groups = sorted({g for _, g in found}) if span.by else [""]
    for bucket in span.buckets():
        start, end = span.period(bucket)
        for g in groups or [""]:
            yield bucket, start, end, (g if span.by else None), found.get((bucket, g), {})


def _ratio(num: float | int | None, den: float | int | None, scale: float = 1.0) -> float | None:
    return None if not den else scale * float(num or 0) / float(den)


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
    rows = []
    for _, start, end, group, v in periods(span, grouped(conn, span)):
        minutes = int(v.get("ms_played") or 0) / 60_000
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


def active_users(conn: Connection, span: Span) -> list[ActiveUsersRow]:
    """Per period: distinct active listeners; DAU averaged over its days; WAU and MAU
    (distinct listeners in the trailing 7 and 30 days) on its last day; stickiness
    (that DAU over that MAU); new listeners (first listen ever in the period) and
    returning ones (the other active listeners)."""
    found = grouped(conn, span)
    days = daily(conn, span)
    rows = []
    for _, start, end, group, v in periods(span, found):
        last = day_number(end) - 1
        at_last = days.get((last, group or ""), {})
        dau = [days.get((d, group or ""), {}).get("users", 0)
               for d in range(day_number(start), day_number(end))]  # fmt: skip
        active, mau = int(v.get("users", 0)), at_last.get("mau", 0)
        newcomers = int(v.get("new_users", 0))
        rows.append(
            ActiveUsersRow(
                start, end, group, active, sum(dau) / len(dau), at_last.get("wau", 0), mau,
                _ratio(dau[-1], mau), newcomers, active - newcomers,
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
    """Weekly cohorts over whole Monday-start weeks: listeners by the week of their first
    listen ever, for the weeks the range touches, and how many of each listened 0, 1,
    2, ... weeks later, up to the range's last week."""
    first_week, last_week = week_of(span.first_day), week_of(span.end_day - 1)
    stmt = select(cohorts_t.c.cohort, cohorts_t.c.week, cohorts_t.c.users).where(
        cohorts_t.c.rollup_id == span.rollup_id, cohorts_t.c.cohort >= first_week,
        cohorts_t.c.cohort <= last_week, cohorts_t.c.week <= last_week,
    )  # fmt: skip
    counts: dict[int, dict[int, int]] = {}
    for cw, w, n in conn.execute(stmt):
        if n:
            counts.setdefault(int(cw), {})[int(w) - int(cw)] = int(n)
    cohorts = []
    for cw in sorted(counts):
        by_k = counts[cw]
        size = by_k.get(0, 0)
        if not size:
            continue
        active = [by_k.get(k, 0) for k in range(last_week - cw + 1)]
        start, _ = bucket_span(cw, Granularity.week)
        cohorts.append(Cohort(start, size, active, [a / size for a in active]))
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
    rows = []
    for bucket, start, end, group, v in periods(span, grouped(conn, span)):
        streams = int(v.get("streams") or 0)
        sessions = int(v.get("sessions") or 0)
        fb = None if feedback is None else feedback.get(bucket, {})
        rows.append(
            EngagementRow(
                start, end, group, int(v.get("plays") or 0), streams,
                _ratio(v.get("skips"), v.get("skip_known")), sessions,
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


def discovery(conn: Connection, span: Span) -> list[DiscoveryRow]:
    """The share of listening on artists new to the listener and from recommendations,
    and click-through of the lists served in each period (None under a breakdown: lists
    have no platform or country)."""
    rows = []
    for _, start, end, group, v in periods(span, grouped(conn, span)):
        ms = int(v.get("ms_played") or 0)
        lists, clicked = (
            (None, None) if span.by else (v.get("served_lists", 0), v.get("clicked_lists", 0))
        )
        rows.append(
            DiscoveryRow(
                start, end, group, ms / 60_000, _ratio(v.get("ms_new_artist"), ms),
                _ratio(v.get("ms_rec"), ms), int(v.get("rec_plays") or 0), lists, clicked,
                None if lists is None else _ratio(clicked, lists),
            )
        )  # fmt: skip
    return rows
