"""When the listening happened, in local time: by hour, weekday and month, the peak day,
the days with any listening and the longest run of consecutive such days."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from wrapped.aggregate import STREAM_MS
from wrapped.context import Context
from wrapped.entries import Amount, amount
from wrapped.window import WEEKDAYS, day_date, month_label, month_of


class HourBucket(Amount):
    hour: int


class WeekdayBucket(Amount):
    weekday: str


class MonthBucket(Amount):
    month: str


class PeakDay(Amount):
    date: date


class Streak(BaseModel):
    days: int
    first_day: date
    last_day: date


class Clock(BaseModel):
    """Every kind of listening counts; a play counts where it started."""

    hours: list[HourBucket]
    weekdays: list[WeekdayBucket]
    months: list[MonthBucket]
    peak_day: PeakDay | None
    active_days: int
    longest_streak: Streak | None


def _sums(
    codes: npt.NDArray[np.int64], ms: npt.NDArray[np.int64], size: int
) -> list[dict[str, int]]:
    total = np.rint(np.bincount(codes, weights=ms, minlength=size)).astype(np.int64)
    streams = np.bincount(codes[ms >= STREAM_MS], minlength=size)
    return [amount(t, s) for t, s in zip(total.tolist(), streams.tolist(), strict=True)]


def month_range(ctx: Context) -> tuple[int, int]:
    """Months covered: from the window's first (or the first play's) to its last."""
    last = month_of(ctx.window.end_day - timedelta(days=1))
    if ctx.window.first_day is not None:
        first = month_of(ctx.window.first_day)
    else:
        first = int(ctx.local.month.min()) if len(ctx.plays) else last
    return first, max(first, last)


def longest_streak(days: npt.NDArray[np.int64]) -> Streak | None:
    """The longest run of consecutive days in ``days`` (sorted, distinct); the earliest wins a
    tie."""
    if days.size == 0:
        return None
    breaks = np.flatnonzero(np.diff(days) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [days.size - 1]))
    best = int(np.argmax(ends - starts))  # argmax takes the first of equal runs
    return Streak(
        days=int(ends[best] - starts[best] + 1),
        first_day=day_date(int(days[starts[best]])),
        last_day=day_date(int(days[ends[best]])),
    )


def clock(ctx: Context) -> Clock:
    ms, local = ctx.plays.ms_played, ctx.local
    hours = _sums(local.hour.astype(np.int64), ms, 24)
    weekdays = _sums(local.weekday.astype(np.int64), ms, 7)
    first, last = month_range(ctx)
    months = _sums(local.month - first, ms, last - first + 1)

    heard_days, heard_ms = local.day[ctx.heard], ms[ctx.heard]
    peak = None
    active = np.unique(heard_days)
    if active.size:
        at = np.searchsorted(active, heard_days)
        per_day = np.rint(np.bincount(at, weights=heard_ms, minlength=active.size))
        best = int(np.argmax(per_day))  # the earliest of equal days
        on_best = heard_ms[at == best]
        day = amount(int(per_day[best]), int(np.count_nonzero(on_best >= STREAM_MS)))
        peak = PeakDay(date=day_date(int(active[best])), **day)
    return Clock(
        hours=[HourBucket(hour=h, **a) for h, a in enumerate(hours)],
        weekdays=[WeekdayBucket(weekday=WEEKDAYS[d], **a) for d, a in enumerate(weekdays)],
        months=[MonthBucket(month=month_label(first + m), **a) for m, a in enumerate(months)],
        peak_day=peak,
        active_days=int(active.size),
        longest_streak=longest_streak(active),
    )
