"""Local days of UTC instants in an IANA zone, vectorised and DST-correct, and the day,
week and month buckets reports group them into.

A day is an integer: local days since 1970-01-01. The offset of each instant is looked
up once per 15-minute UTC slot (every offset in use since 1970 is a multiple of 15
minutes, and so is every transition), so a year of millions of plays costs a few
thousand ``zoneinfo`` look-ups.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
SLOT_S = 900
DAY_S = 86_400
EPOCH = date(1970, 1, 1)


class Granularity(enum.StrEnum):
    day = "day"
    week = "week"
    month = "month"


def utc_offsets_s(ts_s: I64, zone: ZoneInfo) -> I64:
    """The UTC offset in seconds of each instant (epoch seconds) in ``zone``."""
    if ts_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    slots, inverse = np.unique(ts_s // SLOT_S, return_inverse=True)
    offsets = np.array([_offset(int(s) * SLOT_S, zone) for s in slots.tolist()], dtype=np.int64)
    return offsets[inverse.reshape(-1)]


def _offset(ts_s: int, zone: ZoneInfo) -> int:
    delta = datetime.fromtimestamp(ts_s, UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def local_days(ts_us: I64, zone: ZoneInfo) -> I64:
    """The local day (days since 1970-01-01 in ``zone``) of each UTC instant (epoch µs)."""
    ts_s = ts_us // 1_000_000
    return (ts_s + utc_offsets_s(ts_s, zone)) // DAY_S


def months_of(days: I64) -> I64:
    """Months since 1970-01 of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def week_of(day: int) -> int:
    """Monday-start weeks since the week of 1970-01-01 (a Thursday)."""
    return (day + 3) // 7


def week_start(week: int) -> int:
    return week * 7 - 3


def month_number(d: date) -> int:
    return (d.year - 1970) * 12 + d.month - 1


def month_date(n: int) -> date:
    return date(1970 + n // 12, n % 12 + 1, 1)


def bucket_of(day: int, granularity: Granularity) -> int:
    if granularity is Granularity.day:
        return day
    if granularity is Granularity.week:
        return week_of(day)
    return month_number(day_date(day))


def bucket_span(bucket: int, granularity: Granularity) -> tuple[date, date]:
    """The local dates ``[start, end)`` of a bucket."""
    if granularity is Granularity.day:
        return day_date(bucket), day_date(bucket + 1)
    if granularity is Granularity.week:
        return day_date(week_start(bucket)), day_date(week_start(bucket) + 7)
    return month_date(bucket), month_date(bucket + 1)


def utc_bounds(first: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at ``first`` and at ``end``."""
    return (
        datetime.combine(first, time(), tzinfo=zone).astimezone(UTC),
        datetime.combine(end, time(), tzinfo=zone).astimezone(UTC),
    )
