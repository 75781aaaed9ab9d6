"""Who a listener is compared with: everyone's listening over the same UTC window.

Two sources answer alike: the store, for one listener's report, and the plays already in
memory, for a pass over every listener. Both leave out private plays and listeners who
opted out of Wrapped or of comparisons, and count only listeners with listening time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from models.wrapped import NOT_MUSIC, Plays, comparable_plays, population_ms
from wrapped.aggregate import group, group_pairs
from wrapped.context import TRACK, Population
from wrapped.window import Window

I64 = npt.NDArray[np.int64]
PopulationFor = Callable[[Window, int | None], Population]
"""The population of a window, with the listeners of one artist (the listener's top)."""


def from_store(session: Session) -> PopulationFor:
    def population(window: Window, artist: int | None) -> Population:
        everyone = np.sort(population_ms(session, start=window.start, end=window.end))
        if artist is None:
            return Population(everyone, None, np.zeros(0, dtype=np.int64))
        fans = population_ms(session, start=window.start, end=window.end, artist_id=artist)
        return Population(everyone, artist, np.sort(fans))

    return population


@dataclass(frozen=True, slots=True)
class Pool:
    """Everyone's listening over one UTC window: each listener's with any (ascending),
    and each artist's listeners' time on their music (by artist, then ascending)."""

    everyone: I64
    artists: I64
    fans_ms: I64

    @classmethod
    def of(cls, artists: I64, users: I64, ms: I64) -> Pool:
        """From plays as (artist, user, ms) columns, podcasts and videos under
        :data:`~models.wrapped.NOT_MUSIC`."""
        pairs = group_pairs(artists, users, ms)
        everyone = np.sort(group(pairs.key, pairs.ms).ms)
        music = (pairs.segment != NOT_MUSIC) & (pairs.ms > 0)
        artists, fans = pairs.segment[music], pairs.ms[music]
        order = np.lexsort((fans, artists))
        return cls(everyone[everyone > 0], artists[order], fans[order])

    def population(self, artist: int | None) -> Population:
        if artist is None:
            return Population(self.everyone, None, np.zeros(0, dtype=np.int64))
        lo, hi = np.searchsorted(self.artists, [artist, artist + 1])
        return Population(self.everyone, artist, self.fans_ms[int(lo) : int(hi)])


class Cached:
    """Populations from the store, kept for ``max_age`` seconds: a window's listening by
    artist and listener (one read of its plays, on the first report that needs it) serves every
    report computed on demand in that window until it expires, so no report waits on a
    query about its top artist. Percentiles computed this way are as of at most
    ``max_age`` ago, like those of a stored report are as of its build. Safe to share
    between threads."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[tuple[int | None, int], tuple[float, Pool]] = {}

    def pool(self, session: Session, window: Window) -> Pool:
        key = (window.start_us, window.end_us)
        now = self._clock()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and now - hit[0] < self.max_age:
            return hit[1]
        value = Pool.of(*comparable_plays(session, start=window.start, end=window.end))
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if now - v[0] < self.max_age}
            self._kept[key] = (now, value)
        return value

    def for_session(self, session: Session) -> PopulationFor:
        def population(window: Window, artist: int | None) -> Population:
            return self.pool(session, window).population(artist)

        return population


class InMemory:
    """Everyone's listening per UTC window, from plays already in memory: what
    :func:`models.wrapped.population_ms` answers for one listener's report."""

    def __init__(self, plays: Plays, comparable: I64) -> None:
        self.plays = plays
        self.comparable = np.sort(comparable)
        self._windows: dict[tuple[int | None, int], Pool] = {}

    def _window(self, start_us: int | None, end_us: int) -> Pool:
        key = (start_us, end_us)
        if key not in self._windows:
            self._windows[key] = self._compute(start_us, end_us)
        return self._windows[key]

    def _compute(self, start_us: int | None, end_us: int) -> Pool:
        p = self.plays
        inside = (p.ts_us < end_us) & np.isin(p.user, self.comparable)
        if start_us is not None:
            inside &= p.ts_us >= start_us
        artist = np.where(p.kind[inside] == TRACK, p.artist[inside], NOT_MUSIC)
        return Pool.of(artist, p.user[inside], p.ms_played[inside])

    def population(self, window: Window, artist: int | None) -> Population:
        return self._window(window.start_us, window.end_us).population(artist)
