"""When people listen: time zones, the daily and weekly rhythm, session start times.

Session starts are drawn in the listener's local time (a day weighted by weekday,
an hour from a weekday or weekend profile, shifted by the listener's chronotype)
and converted to UTC with the zone's real offset on that day, daylight saving
included. Weekdays peak at the morning commute and in the evening; weekends start
later and stay flatter; nights are quiet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from data.synth.config import MS_PER_DAY, SynthError

HOUR_MS = 3_600_000
# (IANA zone, country, share of listeners)
ZONES = (
    ("America/New_York", "US", 0.14), ("America/Chicago", "US", 0.06),
    ("America/Los_Angeles", "US", 0.09), ("America/Sao_Paulo", "BR", 0.08),
    ("America/Mexico_City", "MX", 0.05), ("Europe/London", "GB", 0.10),
    ("Europe/Berlin", "DE", 0.09), ("Europe/Amsterdam", "NL", 0.05),
    ("Europe/Madrid", "ES", 0.05), ("Europe/Stockholm", "SE", 0.04),
    ("Asia/Kolkata", "IN", 0.10), ("Asia/Tokyo", "JP", 0.05),
    ("Australia/Sydney", "AU", 0.04), ("Africa/Lagos", "NG", 0.02),
)  # fmt: skip
WEEKDAY_HOURS = np.array([
    1.0, 0.5, 0.3, 0.2, 0.2, 0.5, 2.0, 4.5, 5.5, 3.5, 2.5, 2.5,
    3.0, 3.0, 2.5, 2.5, 3.0, 4.5, 5.0, 5.5, 5.5, 5.0, 3.5, 2.0,
])  # fmt: skip
WEEKEND_HOURS = np.array([
    2.0, 1.5, 0.8, 0.5, 0.3, 0.3, 0.4, 0.8, 1.8, 3.0, 3.5, 4.0,
    4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.5, 5.0, 5.0, 4.5, 3.5, 2.8,
])  # fmt: skip
DAY_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.85, 0.75])  # Monday first
CHRONOTYPES = np.array([-1, 0, 0, 0, 0, 1, 1, 2])  # hours a listener runs late or early
_HOUR_CDF = np.stack([np.cumsum(h) / h.sum() for h in (WEEKDAY_HOURS, WEEKEND_HOURS)])
_MAX_ROUNDS = 40


def zone_shares() -> npt.NDArray[np.float64]:
    shares = np.array([share for _, _, share in ZONES])
    normalised: npt.NDArray[np.float64] = shares / shares.sum()
    return normalised


def offset_table(first_day: int, n_days: int) -> npt.NDArray[np.int64]:
    """UTC offset in ms of every zone (rows) at noon UTC of each day from ``first_day``."""
    table = np.empty((len(ZONES), n_days), dtype=np.int64)
    epoch = datetime(1970, 1, 1, 12, tzinfo=UTC)
    for row, (name, _, _) in enumerate(ZONES):
        try:
            zone = ZoneInfo(name)
        except ZoneInfoNotFoundError as exc:
            raise SynthError(f"time zone {name} unknown here; install tzdata") from exc
        for col in range(n_days):
            offset = (epoch + timedelta(days=first_day + col)).astimezone(zone).utcoffset()
            table[row, col] = int(offset.total_seconds() * 1000) if offset else 0
    return table


def session_starts(
    rng: np.random.Generator,
    begin_ms: npt.NDArray[np.int64],
    end_ms: int,
    zone: npt.NDArray[np.int64],
    shift_h: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    first_day: int,
) -> npt.NDArray[np.int64]:
    """One UTC start in ``[begin_ms, end_ms)`` per session, following the rhythm above."""
    n = len(begin_ms)
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    last_col = offsets.shape[1] - 1
    for _ in range(_MAX_ROUNDS):
        if not len(todo):
            return out
        b, z = begin_ms[todo], zone[todo]
        lo = (b + offsets[z, np.clip(b // MS_PER_DAY - first_day, 0, last_col)]) // MS_PER_DAY
        hi = (end_ms + offsets[z, last_col]) // MS_PER_DAY
        day = lo + (rng.random(len(todo)) * (hi - lo + 1)).astype(np.int64)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        keep = rng.random(len(todo)) * DAY_WEIGHTS.max() < DAY_WEIGHTS[weekday]
        profile = (weekday >= 5).astype(np.int64)
        hour = (_HOUR_CDF[profile] < rng.random(len(todo))[:, None]).sum(axis=1)
        local = day * MS_PER_DAY + (hour + shift_h[todo]) * HOUR_MS
        local += rng.integers(0, HOUR_MS, len(todo))
        utc = local - offsets[z, np.clip(day - first_day, 0, last_col)]
        keep &= (utc >= b) & (utc < end_ms)
        out[todo[keep]] = utc[keep]
        todo = todo[~keep]
    # Windows of a few hours reject most draws; the rest start anywhere in their window.
    span = end_ms - begin_ms[todo]
    out[todo] = begin_ms[todo] + (rng.random(len(todo)) * span).astype(np.int64)
    return out
