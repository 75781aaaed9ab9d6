"""Who a listener is compared with: everyone's listening over the same UTC window.

Two sources answer alike: the store, for one listener's report, and the plays already in
memory, for a pass over every listener. Both leave out private plays and listeners who
opted out of Wrapped or of comparisons, and count only listeners with listening time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from models.wrapped import (
    NOT_MUSIC,
    Plays,
    comparable_plays,
    comparable_users,
    population_ms,
)
from models.wrapped_populations import StoredSpan, get_population, stored_spans
from wrapped.aggregate import group, group_pairs
from wrapped.context import TRACK, Population
from wrapped.window import DAY, US, Window, to_datetime, to_us

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


MAX_EDGE_US = 2 * DAY * US
"""How far a window's bounds may lie from a stored base's for it to be derived from it:
a calendar year in any zone from the same year in another (offsets differ by at most
26 hours); other windows are read whole."""


@dataclass(frozen=True, slots=True)
class Base:
    """Everyone's listening over one UTC span ``[start_us, end_us)`` as of event
    ``last_event``: each listener's time (ascending by listener, only time above zero) and
    each (artist, listener)'s time on music (by artist, then listener). Stored by a build,
    it makes any nearby window's populations without reading the window's plays: the base,
    plus the plays between the two spans' edges, plus the events since ``last_event``.
    Listeners who have opted out since are left out when deriving; one who opted back into
    comparisons since is missing from it (their earlier plays) until it is built again."""

    start_us: int
    end_us: int
    last_event: int
    users: I64
    user_ms: I64
    artists: I64
    fans: I64
    fans_ms: I64

    ARRAYS = ("users", "user_ms", "artists", "fans", "fans_ms")

    @classmethod
    def of(cls, start_us: int, end_us: int, last_event: int, plays: tuple[I64, I64, I64]) -> Base:
        """From plays as (artist, user, ms) columns, as :meth:`Pool.of` takes them."""
        pairs = group_pairs(*plays)
        everyone = group(pairs.key, pairs.ms)
        listened = everyone.ms > 0
        music = (pairs.segment != NOT_MUSIC) & (pairs.ms > 0)
        return cls(
            start_us, end_us, last_event, everyone.keys[listened], everyone.ms[listened],
            pairs.segment[music], pairs.key[music], pairs.ms[music],
        )  # fmt: skip

    def arrays(self) -> dict[str, I64]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    def derive(self, session: Session, window: Window) -> Derived:
        """The populations of ``window`` (one :func:`edges` allows), counting only
        listeners who have opted out of neither Wrapped nor comparisons now: the plays of
        ``[window start, base start)`` and ``[base end, window end)`` are added, or taken
        away where the window starts later or ends earlier, then the events since the
        base's last are added."""
        assert window.start is not None
        parts = [_signed(session, window.start, to_datetime(self.start_us), self.last_event)]
        parts.append(_signed(session, to_datetime(self.end_us), window.end, self.last_event))
        newer = comparable_plays(
            session, start=window.start, end=window.end, after_event=self.last_event
        )
        artists, users, ms = (np.concatenate(c) for c in zip(*parts, newer, strict=True))
        return Derived(self, comparable_users(session), artists, users, ms)


def edges(start: datetime, end: datetime, window: Window) -> int | None:
    """Microseconds between a base's span ``[start, end)`` and ``window``'s edges, or None
    when the window cannot be derived from it (all time, or an edge too far)."""
    start_us, end_us = window.start_us, window.end_us
    if start_us is None:
        return None
    apart = abs(start_us - to_us(start)), abs(end_us - to_us(end))
    return None if max(apart) > MAX_EDGE_US else sum(apart)


def _signed(session: Session, a: datetime, b: datetime, through: int) -> tuple[I64, I64, I64]:
    """The plays from ``a`` to ``b`` (events up to ``through``), their time negative when
    ``b`` is before ``a``."""
    if a == b:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    lo, hi = min(a, b), max(a, b)
    artists, users, ms = comparable_plays(session, start=lo, end=hi, through_event=through)
    return artists, users, ms if a < b else -ms


def _ascending_positive(users: I64, ms: I64) -> I64:
    """Each listener's summed time, ascending, only those above zero."""
    total = group(users, ms).ms
    return np.sort(total[total > 0])


@dataclass(frozen=True)
class Derived:
    """A window's populations from a :class:`Base` and signed plays (``artists``,
    ``users``, ``ms``: what the window has that the base has not, negative for what it has
    not), among the listeners ``comparable`` now."""

    base: Base
    comparable: I64
    artists: I64
    users: I64
    ms: I64
    _fans: dict[int, I64] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def everyone(self) -> I64:
        b = self.base
        kept = np.isin(b.users, self.comparable, assume_unique=True)
        users = np.concatenate([b.users[kept], self.users])
        return _ascending_positive(users, np.concatenate([b.user_ms[kept], self.ms]))

    def population(self, artist: int | None) -> Population:
        if artist is None:
            return Population(self.everyone, None, np.zeros(0, dtype=np.int64))
        fans = self._fans.get(artist)
        if fans is None:
            fans = self._fans[artist] = self._fans_ms(artist)
        return Population(self.everyone, artist, fans)

    def _fans_ms(self, artist: int) -> I64:
        """The time of each of ``artist``'s listeners on their music, ascending."""
        b = self.base
        lo, hi = np.searchsorted(b.artists, [artist, artist + 1])
        fans, fans_ms = b.fans[int(lo) : int(hi)], b.fans_ms[int(lo) : int(hi)]
        kept = np.isin(fans, self.comparable)
        mine = self.artists == artist
        users = np.concatenate([fans[kept], self.users[mine]])
        return _ascending_positive(users, np.concatenate([fans_ms[kept], self.ms[mine]]))


class Populations(Protocol):
    def population(self, artist: int | None) -> Population: ...


class Cached:
    """Populations for reports computed on demand, kept for ``max_age`` seconds. A window
    near a span a build stored (:class:`Base`, e.g. the same year in another zone) is
    derived from it, reading only the plays at its edges and those since the build; any
    other window's listening by artist and listener is read whole on the first report that
    needs it (one read of its plays). Either then serves every report computed on demand
    in that window until it expires, so no report waits on a query about its top artist.
    Percentiles computed this way are as of at most ``max_age`` ago, like those of a
    stored report are as of its build. Safe to share between threads."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[tuple[int | None, int], tuple[float, Populations]] = {}
        self._spans: tuple[float, list[StoredSpan]] | None = None
        self._bases: dict[int, Base] = {}

    def pool(self, session: Session, window: Window) -> Populations:
        key = (window.start_us, window.end_us)
        now = self._clock()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and now - hit[0] < self.max_age:
            return hit[1]
        base = self._base(session, window, now)
        value: Populations = (
            base.derive(session, window)
            if base is not None
            else Pool.of(*comparable_plays(session, start=window.start, end=window.end))
        )
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if now - v[0] < self.max_age}
            self._kept[key] = (now, value)
        return value

    def _base(self, session: Session, window: Window, now: float) -> Base | None:
        """The stored base nearest ``window`` that it can be derived from, if any (the list
        of stored spans is read again after ``max_age``)."""
        with self._lock:
            spans = self._spans
        if spans is None or now - spans[0] >= self.max_age:
            spans = (now, stored_spans(session))
            with self._lock:
                self._spans = spans
        usable = []
        for span in spans[1]:
            base = self._bases.get(span.id)
            apart = edges(span.start, span.end, window)
            if apart is not None:
                usable.append((apart, span.id, span, base))
        if not usable:
            return None
        _apart, _id, span, base = min(usable, key=lambda u: (u[0], -u[1]))
        if base is None:
            arrays = get_population(session, span.id)
            if arrays is None:  # replaced by a build meanwhile
                return None
            base = Base(to_us(span.start), to_us(span.end), span.last_event, **arrays)
            with self._lock:
                self._bases = {s.id: b for s in spans[1] if (b := self._bases.get(s.id))}
                self._bases[span.id] = base
        return base

    def for_session(self, session: Session) -> PopulationFor:
        def population(window: Window, artist: int | None) -> Population:
            return self.pool(session, window).population(artist)

        return population


class InMemory:
    """Everyone's listening per UTC window, from plays already in memory: what
    :func:`models.wrapped.population_ms` answers for one listener's report.

    The ``windows`` of a pass (a year in each listener's zone) overlap but for a day at
    either end: their common part is summed once (:attr:`common`), and each window's
    populations are derived from it and the plays at its edges, as a server derives them
    from a stored base. Windows outside that (or without a start) are summed whole."""

    def __init__(self, plays: Plays, comparable: I64, windows: Sequence[Window] = ()) -> None:
        self.plays = plays
        self.comparable = np.sort(comparable)
        starts = [w.start_us for w in windows]
        self._span = (
            (max(s for s in starts if s is not None), min(w.end_us for w in windows))
            if windows and None not in starts
            else None
        )
        self._windows: dict[tuple[int | None, int], Populations] = {}

    @cached_property
    def _comparable_plays(self) -> Plays:
        return self.plays.take(np.isin(self.plays.user, self.comparable))

    def _inside(self, start_us: int | None, end_us: int) -> tuple[I64, I64, I64]:
        """The comparable plays in ``[start_us, end_us)`` as (artist, user, ms) columns."""
        p = self._comparable_plays
        inside = p.ts_us < end_us
        if start_us is not None:
            inside &= p.ts_us >= start_us
        artist = np.where(p.kind[inside] == TRACK, p.artist[inside], NOT_MUSIC)
        return artist, p.user[inside], p.ms_played[inside]

    @cached_property
    def common(self) -> Base | None:
        """The :class:`Base` of the part every window of the pass covers, as of the last
        event read; None when the windows have no such part."""
        if self._span is None or self._span[0] >= self._span[1]:
            return None
        last = int(self.plays.event.max()) if len(self.plays) else 0
        return Base.of(*self._span, last, self._inside(*self._span))

    def _window(self, start_us: int | None, end_us: int) -> Populations:
        key = (start_us, end_us)
        if key not in self._windows:
            common = self.common
            if (
                common is None
                or start_us is None
                or not (start_us <= common.start_us and common.end_us <= end_us)
            ):
                self._windows[key] = Pool.of(*self._inside(start_us, end_us))
            else:
                before = self._inside(start_us, common.start_us)
                after = self._inside(common.end_us, end_us)
                edges = (np.concatenate(c) for c in zip(before, after, strict=True))
                self._windows[key] = Derived(common, self.comparable, *edges)
        return self._windows[key]

    def population(self, window: Window, artist: int | None) -> Population:
        return self._window(window.start_us, window.end_us).population(artist)
