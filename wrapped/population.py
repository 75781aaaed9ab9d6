"""Who a listener is compared with: everyone's listening over the same UTC window.

Two sources answer alike: the store, for one listener's report, and the plays already in
memory, for a pass over every listener. Both leave out private plays and listeners who
opted out of Wrapped or of comparisons, and count only listeners with listening time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from models.wrapped import Plays, population_ms
from wrapped.aggregate import group
from wrapped.context import TRACK, Population
from wrapped.window import Window

I64 = npt.NDArray[np.int64]
PopulationFor = Callable[[Window, int | None], Population]
"""The population of a window, with the listeners of one artist (the listener's top)."""


def from_store(session: Session) -> PopulationFor:
    def population(window: Window, artist: int | None) -> Population:
        everyone = population_ms(session, start=window.start, end=window.end)
        if artist is None:
            return Population(everyone, None, np.zeros(0, dtype=np.int64))
        fans = population_ms(session, start=window.start, end=window.end, artist_id=artist)
        return Population(everyone, artist, fans)

    return population


class Cached:
    """Populations from the store, kept for ``max_age`` seconds: the same window's
    everyone-array (one GROUP BY over every listener) and the listeners of an artist
    serve every report computed on demand until they expire. Percentiles computed this
    way are as of at most ``max_age`` ago, like those of a stored report are as of its
    build. Safe to share between threads."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[tuple[int | None, int, int | None], tuple[float, I64]] = {}

    def _get(self, session: Session, window: Window, artist: int | None) -> I64:
        key = (window.start_us, window.end_us, artist)
        now = self._clock()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and now - hit[0] < self.max_age:
            return hit[1]
        value = population_ms(session, start=window.start, end=window.end, artist_id=artist)
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if now - v[0] < self.max_age}
            self._kept[key] = (now, value)
        return value

    def for_session(self, session: Session) -> PopulationFor:
        def population(window: Window, artist: int | None) -> Population:
            everyone = self._get(session, window, None)
            if artist is None:
                return Population(everyone, None, np.zeros(0, dtype=np.int64))
            return Population(everyone, artist, self._get(session, window, artist))

        return population


class InMemory:
    """Everyone's listening per UTC window, from plays already in memory: what
    :func:`models.wrapped.population_ms` answers for one listener's report."""

    def __init__(self, plays: Plays, comparable: I64) -> None:
        self.plays = plays
        self.comparable = np.sort(comparable)
        self._windows: dict[tuple[int | None, int], tuple[I64, I64, I64, I64]] = {}

    def _window(self, start_us: int | None, end_us: int) -> tuple[I64, I64, I64, I64]:
        """(listening per listener, then artist, listener and music listening per pair,
        by artist) in ``[start_us, end_us)``; computed once per window."""
        key = (start_us, end_us)
        if key not in self._windows:
            self._windows[key] = self._compute(start_us, end_us)
        return self._windows[key]

    def _compute(self, start_us: int | None, end_us: int) -> tuple[I64, I64, I64, I64]:
        p = self.plays
        inside = (p.ts_us < end_us) & np.isin(p.user, self.comparable)
        if start_us is not None:
            inside &= p.ts_us >= start_us
        everyone = group(p.user[inside], p.ms_played[inside]).ms
        music = inside & (p.kind == TRACK) & (p.ms_played > 0)
        artists, users, ms = p.artist[music], p.user[music], p.ms_played[music]
        order = np.lexsort((users, artists))
        artists, users, ms = artists[order], users[order], ms[order]
        if artists.size == 0:
            return everyone[everyone > 0], artists, artists, artists
        new = np.flatnonzero((np.diff(artists) != 0) | (np.diff(users) != 0)) + 1
        starts = np.concatenate(([0], new))
        return everyone[everyone > 0], artists[starts], users[starts], np.add.reduceat(ms, starts)

    def population(self, window: Window, artist: int | None) -> Population:
        everyone, artists, _users, ms = self._window(window.start_us, window.end_us)
        fans = np.zeros(0, dtype=np.int64)
        if artist is not None:
            lo, hi = (
                np.searchsorted(artists, artist, "left"),
                np.searchsorted(artists, artist, "right"),
            )
            fans = ms[int(lo) : int(hi)]
        return Population(everyone, artist, fans)
