"""Rankings and per-segment leaders against brute-force sorts of the same sums, on data
made of ties (few distinct amounts, names that differ only in case)."""

from __future__ import annotations

import random

import numpy as np

from wrapped.aggregate import STREAM_MS, group, group_pairs, leaders, ranked

NAMES = ("b", "B", "a", "A", "c", "", "a")


def _name(key: int) -> str:
    return NAMES[key % len(NAMES)]


def _brute(keys: list[int], ms: list[int], k: int, by_streams: bool = False) -> list[int]:
    sums: dict[int, list[int]] = {}
    for key, m in zip(keys, ms, strict=True):
        total = sums.setdefault(key, [0, 0])
        total[0] += m
        total[1] += m >= STREAM_MS
    order = sorted(
        sums,
        key=lambda key: (
            *((-sums[key][1], -sums[key][0]) if by_streams else (-sums[key][0], -sums[key][1])),
            _name(key).casefold(),
            key,
        ),
    )
    return order[:k]


def test_ranked_and_leaders_match_a_full_sort() -> None:
    rng = random.Random(3)
    for _ in range(300):
        n = rng.randint(0, 40)
        keys = [rng.randint(0, 12) for _ in range(n)]
        ms = [rng.choice((0, 10_000, 30_000, 40_000)) for _ in range(n)]
        segments = [rng.randint(0, 3) for _ in range(n)]
        k = rng.randint(1, 8)
        g = group(np.array(keys, dtype=np.int64), np.array(ms, dtype=np.int64))
        for by_streams in (False, True):
            got = [int(g.keys[i]) for i in ranked(g, k, _name, by_streams=by_streams)]
            assert got == _brute(keys, ms, k, by_streams)
        pairs = group_pairs(
            np.array(segments, dtype=np.int64),
            np.array(keys, dtype=np.int64),
            np.array(ms, dtype=np.int64),
        )
        found = {int(pairs.segment[i]): int(pairs.key[i]) for i in leaders(pairs, _name)}
        expected = {}
        for segment in sorted(set(segments)):
            mine = [i for i, s in enumerate(segments) if s == segment]
            expected[segment] = _brute([keys[i] for i in mine], [ms[i] for i in mine], 1)[0]
        assert found == expected
