"""The window a report covers, and the local calendar of each play.

A window is a half-open range of local dates ``[first_day, end_day)`` in one timezone; its
UTC bounds are the instants local midnight happens there, so a day that loses or gains an
hour to daylight saving time is 23 or 25 hours long. A play belongs to the window, hour, day
and month in which it *started*.

Local time of many plays at once: the zone's UTC offset changes only at transitions, so
:func:`transitions` finds them (offset at each UTC day boundary, then bisection to the
second inside a day whose offset changed) and each play's offset is a ``searchsorted``
away. This assumes no zone changes its offset twice within one day and ends where it
started, which no zone in the tz database does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from wrapped.errors import InvalidWindow

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

US = 1_000_000
DAY = 86_400
EPOCH = date(1970, 1, 1)
YEARS = range(1970, 9999)
"""Years a window may touch: the epoch on, and never near the end of ``datetime``."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Amsterdam``), or :class:`InvalidWindow`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidWindow("tz", f"unknown timezone {name!r}; use an IANA name") from None


@lru_cache(maxsize=4096)
def _midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Cached: a pass over every listener asks each window for its bounds many times."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True, slots=True)
class Window:
    """Local dates ``[first_day, end_day)`` in ``tz``; ``first_day`` None means all time."""

    tz: str
    first_day: date | None
    end_day: date
    year: int | None = None

    @classmethod
    def for_year(cls, year: int, tz: str) -> Window:
        zone(tz)
        if year not in YEARS:
            raise InvalidWindow("year", f"year must be from {YEARS[0]} to {YEARS[-1] - 1}")
        return cls(tz, date(year, 1, 1), date(year + 1, 1, 1), year)

    @classmethod
    def between(
        cls, first_day: date | None, end_day: date | None, tz: str, *, today: date | None = None
    ) -> Window:
        """Any range; without ``end_day`` it runs to the end of today in ``tz``."""
        where = zone(tz)
        for field, day in (("from", first_day), ("to", end_day)):
            if day is not None and day.year not in YEARS:
                raise InvalidWindow(field, f"dates must be from {YEARS[0]} to {YEARS[-1]}")
        if end_day is None:
            end_day = (today or datetime.now(where).date()) + timedelta(days=1)
        if first_day is not None and first_day >= end_day:
            raise InvalidWindow("to", "the range must end after it starts")
        calendar_year = (
            first_day is not None
            and (first_day.month, first_day.day) == (1, 1)
            and end_day == date(first_day.year + 1, 1, 1)
        )
        if calendar_year and first_day is not None:
            return cls(tz, first_day, end_day, first_day.year)
        return cls(tz, first_day, end_day)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tz)

    @property
    def start(self) -> datetime | None:
        return None if self.first_day is None else _midnight_utc(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight_utc(self.end_day, self.zone)

    @property
    def start_us(self) -> int | None:
        start = self.start
        return None if start is None else to_us(start)

    @property
    def end_us(self) -> int:
        return to_us(self.end)

    @property
    def label(self) -> str:
        if self.year is not None:
            return str(self.year)
        last = self.end_day - timedelta(days=1)
        return f"all time to {last}" if self.first_day is None else f"{self.first_day} to {last}"

    def previous(self) -> Window | None:
        """The same dates one year earlier, for year-over-year; None for all time."""
        if self.first_day is None:
            return None
        year = None if self.year is None else self.year - 1
        return Window(self.tz, _year_earlier(self.first_day), _year_earlier(self.end_day), year)


def to_us(instant: datetime) -> int:
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * DAY + delta.seconds) * US + delta.microseconds


def to_datetime(us: int) -> datetime:
    """Epoch microseconds as a UTC instant."""
    return datetime.fromtimestamp(us // US, UTC) + timedelta(microseconds=us % US)


def _offset(tz: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@lru_cache(maxsize=512)
def transitions(tz: ZoneInfo, first: int, last: int) -> tuple[I64, I64]:
    """(instants, offsets): from ``instants[i]`` (epoch seconds) the zone is ``offsets[i]``
    seconds ahead of UTC, covering ``[first, last]``. Cached: callers must not modify the
    arrays."""
    instants = [first - first % DAY]
    offsets = [_offset(tz, instants[0])]
    for boundary in range(instants[0] + DAY, last + DAY + 1, DAY):
        after = _offset(tz, boundary)
        if after == offsets[-1]:
            continue
        lo, hi = boundary - DAY, boundary  # offset(lo) is the old one, offset(hi) the new
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(tz, mid) == after:
                hi = mid
            else:
                lo = mid
        instants.append(hi)
        offsets.append(after)
    return np.array(instants, dtype=np.int64), np.array(offsets, dtype=np.int64)


def utc_offsets(seconds: I64, tz: ZoneInfo, span: tuple[int, int] | None = None) -> I64:
    """The zone's UTC offset (seconds) at each instant (epoch seconds), all of which lie in
    ``span`` when it is given (window bounds share one cached transition table)."""
    if seconds.size == 0:
        return np.zeros(0, dtype=np.int64)
    first, last = span or (int(seconds.min()), int(seconds.max()))
    instants, offsets = transitions(tz, first, last)
    return offsets[np.searchsorted(instants, seconds, side="right") - 1]


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Each play's local calendar: ``day`` counts days since 1970-01-01, ``weekday`` is 0 for
    Monday, ``month`` counts months since January 1970."""

    day: I64
    hour: I8
    weekday: I8
    month: I64

    @classmethod
    def of(cls, ts_us: I64, tz: ZoneInfo, span: tuple[int, int] | None = None) -> LocalTime:
        seconds = np.floor_divide(ts_us, US)
        local = seconds + utc_offsets(seconds, tz, span)
        day = np.floor_divide(local, DAY)
        return cls(
            day=day,
            hour=(np.mod(local, DAY) // 3600).astype(np.int8),
            weekday=np.mod(day + 3, 7).astype(np.int8),  # 1970-01-01 was a Thursday
            month=day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64),
        )

    def take(self, index: slice | npt.NDArray[np.bool_] | I64) -> LocalTime:
        return LocalTime(self.day[index], self.hour[index], self.weekday[index], self.month[index])


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def date_day(value: date) -> int:
    return (value - EPOCH).days


def month_label(month: int) -> str:
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def month_of(value: date) -> int:
    return (value.year - 1970) * 12 + value.month - 1
