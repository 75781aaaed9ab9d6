"""Keeping the cyclic garbage collector away from a served model's objects.

A loaded version holds hundreds of thousands of long-lived Python objects: the catalog's
per-item JSON fragments and id lists, the map of listeners. CPython's collector walks
every object of the oldest generation on each full collection; with the 200k-item model
of ``bench/recs_serve.py`` that took 170 ms, twice in 10 s per worker under load: a
pause every request in flight waits for (most of the lists' p99) and 3% of the CPU.

So once a version is in place, every object alive is moved out of the collector's reach
(``gc.freeze``); reference counting still frees them. When a version is replaced they
are handed back (``gc.unfreeze``) and one full collection frees whatever the old version
left in reference cycles, before the new one is frozen. That collection is the price of
a swap: 140-175 ms in a server. Where the heap is much more than the model (a test
process: up to 3.7 s a swap) it is turned off, ``ENCORE_RECS__FREEZE_HEAP=false``.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect once, then freeze what is left (call right after a version swap)."""
    started = time.perf_counter()
    gc.unfreeze()
    freed = gc.collect()
    gc.freeze()
    log.info(
        "heap settled in %.0f ms: %d objects collected, %d frozen",
        (time.perf_counter() - started) * 1000, freed, gc.get_freeze_count(),
    )  # fmt: skip
