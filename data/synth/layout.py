"""Placing sessions on the time line: no overlaps, 30+ minutes apart, inside the window.

Session starts are drawn independently, so a listener's sessions can collide. A
forward pass pushes each session to after its predecessor plus the gap; a backward
pass then pulls the last ones back where the push ran past the window's end. Both
are running maxima/minima over "start minus time used before it", computed for
all listeners of a block at once (segments kept apart by a large per-listener
offset), so most sessions keep the time of day they were drawn with.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


def segment_starts(group: I64) -> I64:
    """Index of the first element of each run of equal values in ``group``."""
    return np.flatnonzero(np.r_[True, group[1:] != group[:-1]])


def exclusive_cumsum(values: I64, group: I64) -> I64:
    """Sum of the earlier values of the same run, for each element."""
    total = np.cumsum(values)
    before = total - values
    first = segment_starts(group)
    counts = np.diff(np.r_[first, len(values)])
    out: I64 = before - np.repeat(before[first], counts)
    return out


def place_sessions(
    raw_start: I64, duration: I64, user: I64, begin: I64, end_ms: int, gap_ms: int
) -> I64:
    """Final session starts (sessions sorted by ``user``, then ``raw_start``).

    A session ends ``duration`` after its start and the next one of the same user starts
    at least ``gap_ms`` later; the last one ends before ``end_ms``. ``begin`` is each
    session's earliest allowed start (its listener's first day).
    """
    if not len(raw_start):
        return raw_start.copy()
    step = duration + gap_ms
    before = exclusive_cumsum(step, user)
    first = segment_starts(user)
    counts = np.diff(np.r_[first, len(user)])
    rank = np.repeat(np.arange(len(first)), counts)
    total = np.repeat(np.add.reduceat(step, first), counts)

    lifted = raw_start - before
    big = int(lifted.max() - lifted.min()) + 1
    forward = np.maximum.accumulate(lifted + rank * big) - rank * big

    limit = end_ms - 1 + gap_ms - total
    big = int(forward.max() - forward.min()) + 1
    backward = np.minimum.accumulate((forward + rank * big)[::-1])[::-1] - rank * big
    placed: I64 = np.maximum(np.minimum(backward, limit) + before, begin)
    return placed
