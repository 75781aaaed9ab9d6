"""Token buckets per caller (an API key, or a user's token), in process memory.

Each worker keeps its own buckets, so with ``N`` uvicorn workers a caller may get up to
``N`` times the configured rate in the worst case; connections are spread over workers by
the kernel, so in practice it is close to the rate. A shared limit needs a shared store
(Redis) or a proxy in front; this one needs nothing and costs a dict look-up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_BUCKETS = 100_000


class RateLimiter:
    """``rate`` requests a second on average, ``burst`` at once; ``rate`` 0 turns it off."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, caller: str) -> int:
        """Spend one token of ``caller``'s bucket: 0 when allowed, otherwise the whole
        seconds to wait before the next request can be (the ``Retry-After``)."""
        if self.rate <= 0:
            return 0
        now = self._clock()
        tokens, at = self._buckets.get(caller, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
        if len(self._buckets) >= MAX_BUCKETS and caller not in self._buckets:
            self._buckets.clear()
        self._buckets[caller] = (tokens - 1.0, now)
        return 0
