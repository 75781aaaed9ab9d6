"""Sums by key and rankings with deterministic tie-breaks, the arithmetic every card shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]

STREAM_MS = 30_000
"""A play of 30 seconds or more is a stream, the industry's definition."""
MS_PER_MINUTE = 60_000


def minutes(ms: int) -> int:
    """Whole minutes, rounded down, as listeners are shown them."""
    return int(ms) // MS_PER_MINUTE


def share(part: float, whole: float) -> float | None:
    """``part / whole`` to four decimals; None when there is no whole."""
    return round(part / whole, 4) if whole > 0 else None


@dataclass(frozen=True, slots=True)
class Groups:
    """Listening time and streams per key, keys ascending."""

    keys: I64
    ms: I64
    streams: I64

    def __len__(self) -> int:
        return int(self.keys.size)

    def find(self, key: int) -> int | None:
        """The position of ``key``, or None."""
        at = int(np.searchsorted(self.keys, key))
        return at if at < self.keys.size and self.keys[at] == key else None


def group(keys: I64, ms: I64) -> Groups:
    """Sum ``ms`` and count streams per distinct key."""
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(empty, empty, empty)
    uniq, inverse = np.unique(keys, return_inverse=True)
    # Float sums of integer milliseconds are exact below 2**53 ms (285,000 years).
    total = np.bincount(inverse, weights=ms, minlength=uniq.size)
    streams = np.bincount(inverse, weights=ms >= STREAM_MS, minlength=uniq.size)
    return Groups(uniq, np.rint(total).astype(np.int64), np.rint(streams).astype(np.int64))


def ranked(
    groups: Groups, k: int, name: Callable[[int], str], *, by_streams: bool = False
) -> list[int]:
    """Positions in ``groups`` of the top ``k`` keys: by listening time then streams (or
    streams then time), then by case-folded name, then by key, so ties always break alike."""
    primary, secondary = (groups.streams, groups.ms) if by_streams else (groups.ms, groups.streams)
    # stable: keys ascending among equals, so names only decide within runs of equals
    candidates = np.lexsort((-secondary, -primary))
    if candidates.size > k:
        kth = candidates[k - 1]
        at_least = (primary > primary[kth]) | (
            (primary == primary[kth]) & (secondary >= secondary[kth])
        )
        candidates = candidates[: int(np.count_nonzero(at_least))]
    keys = groups.keys
    first, second = primary[candidates], secondary[candidates]
    ties = _starts((first[1:] != first[:-1]) | (second[1:] != second[:-1]))
    if ties.size == candidates.size:  # no two alike: names never decide
        return [int(i) for i in candidates[:k].tolist()]
    best: list[int] = []
    for lo, hi in zip(ties.tolist(), [*ties[1:].tolist(), candidates.size], strict=True):
        if lo >= k:
            break
        even = candidates[lo:hi].tolist()
        if len(even) > 1:  # equal listening: by name, then key
            even.sort(key=lambda i: (name(int(keys[i])).casefold(), keys[i]))
        best.extend(even)
    return best[:k]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Listening time and streams per (segment, key), sorted by segment then key: the
    sums of many :func:`group` calls (one per month, or week) in one."""

    segment: I64
    key: I64
    ms: I64
    streams: I64


def group_pairs(segments: I64, keys: I64, ms: I64, streams: I64 | None = None) -> Pairs:
    """Sum ``ms`` and ``streams`` (by default: count plays of ``ms`` ≥ 30 s) per distinct
    (segment, key)."""
    counts = (ms >= STREAM_MS).astype(np.int64) if streams is None else streams
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, empty, empty)
    order = np.lexsort((keys, segments))
    seg, key = segments[order], keys[order]
    starts = _starts((seg[1:] != seg[:-1]) | (key[1:] != key[:-1]))
    return Pairs(
        seg[starts],
        key[starts],
        np.add.reduceat(ms[order], starts),
        np.add.reduceat(counts[order], starts),
    )


def leaders(pairs: Pairs, name: Callable[[int], str] | None = None) -> I64:
    """Positions in ``pairs`` of each segment's top key (segments ascending), ranked as
    :func:`ranked` ranks the keys of one segment: by listening time, then streams, then
    case-folded ``name``, then key. Without ``name``, key order is name order."""
    if pairs.key.size == 0:
        return pairs.key
    order = np.lexsort((pairs.key, -pairs.streams, -pairs.ms, pairs.segment))
    seg = pairs.segment[order]
    firsts = _starts(seg[1:] != seg[:-1])
    best = order[firsts]
    if name is None or best.size == order.size:
        return best
    ends = np.append(firsts[1:], order.size)
    runner = order[np.minimum(firsts + 1, order.size - 1)]
    tied = (
        (ends - firsts > 1)
        & (pairs.ms[runner] == pairs.ms[best])
        & (pairs.streams[runner] == pairs.streams[best])
    )
    for at in np.flatnonzero(tied).tolist():
        block = order[firsts[at] : ends[at]]
        top = best[at]
        even = block[
            (pairs.ms[block] == pairs.ms[top]) & (pairs.streams[block] == pairs.streams[top])
        ]
        best[at] = min(
            even.tolist(), key=lambda i: (name(int(pairs.key[i])).casefold(), pairs.key[i])
        )
    return best


def _starts(changes: npt.NDArray[np.bool_]) -> I64:
    """Where runs begin in a sorted array, given where each element differs from the one
    before it (``changes``, one shorter than the array)."""
    return np.concatenate(([0], np.flatnonzero(changes) + 1))
