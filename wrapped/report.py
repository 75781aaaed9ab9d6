"""Build reports: for one listener, or for every listener in one pass.

Both read the window's plays with one streamed query (plus the artists each listener heard
before the window, and names for the ids present), build one
:class:`~wrapped.context.Context` per listener and run every card of
:data:`wrapped.registry.CARDS` on it. A listener who opted out gets
:class:`WrappedOptedOut`; one without a play in the window :class:`NothingToWrap`; one below
the :class:`~wrapped.rules.Rules` :class:`NotEligible`, with the numbers so far.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from models.wrapped import (
    CatalogNames,
    Plays,
    Span,
    WrappedUser,
    catalog_names,
    find_wrapped_users,
    first_heard,
    read_plays,
)
from wrapped.aggregate import STREAM_MS, minutes
from wrapped.cards.behaviour import Behaviour
from wrapped.cards.clock import Clock
from wrapped.cards.comparisons import Comparisons
from wrapped.cards.discoveries import Discoveries
from wrapped.cards.missed import CANDIDATES, MissedRecommender, MissedTrack
from wrapped.cards.months import Month
from wrapped.cards.phases import Phase
from wrapped.cards.top import Top
from wrapped.cards.top_songs import TopSongs
from wrapped.cards.totals import Totals
from wrapped.context import NO_ITEMS, TRACK, Context
from wrapped.errors import (
    Eligibility,
    NotEligible,
    NothingToWrap,
    UnknownUser,
    WrappedError,
    WrappedOptedOut,
)
from wrapped.personality import Personality
from wrapped.population import InMemory, PopulationFor, from_store
from wrapped.registry import CARDS
from wrapped.rules import Rules
from wrapped.window import US, LocalTime, Window

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
DEFAULT_RULES = Rules()


class WindowInfo(BaseModel):
    """Local dates ``[first_day, end_day)`` in ``timezone`` and the UTC instants they start
    and end at; ``first_day`` and ``start`` are null for all time."""

    label: str
    timezone: str
    year: int | None
    first_day: date | None
    end_day: date
    start: datetime | None
    end: datetime

    @classmethod
    def of(cls, window: Window) -> WindowInfo:
        return cls(
            label=window.label, timezone=window.tz, year=window.year,
            first_day=window.first_day, end_day=window.end_day,
            start=window.start, end=window.end,
        )  # fmt: skip


class EligibilityInfo(BaseModel):
    """Streams (plays of 30 s or more, any kind) and distinct music artists heard, against
    what a report needs."""

    streams: int
    artists: int
    minutes: int
    required_streams: int
    required_artists: int


class Report(BaseModel):
    """A listener's Wrapped: the numbers of one window. Private plays count nowhere."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    window: WindowInfo
    eligibility: EligibilityInfo
    totals: Totals
    top: Top
    top_songs: TopSongs
    clock: Clock
    discoveries: Discoveries | None
    behaviour: Behaviour
    comparisons: Comparisons
    personality: Personality | None
    months: list[Month]
    phases: list[Phase]
    you_might_have_missed: list[MissedTrack]


def eligibility(plays: Plays, rules: Rules) -> Eligibility:
    """Streams, music artists heard and minutes of ``plays`` (one listener's, in the
    window) against ``rules``: checked before any card work, which most listeners of a
    pass never need."""
    ms = plays.ms_played
    music = (ms > 0) & (plays.kind == TRACK)
    return Eligibility(
        streams=int(np.count_nonzero(ms >= STREAM_MS)),
        artists=int(np.unique(plays.artist[music]).size),
        minutes=minutes(int(ms.sum())),
        required_streams=rules.min_streams,
        required_artists=rules.min_artists,
    )


def _slice(plays: Plays, start_us: int | None, end_us: int) -> Plays:
    """One listener's plays (sorted by time) in ``[start_us, end_us)``."""
    lo = 0 if start_us is None else int(np.searchsorted(plays.ts_us, start_us))
    return plays.take(slice(lo, int(np.searchsorted(plays.ts_us, end_us))))


def _spans(windows: Sequence[Window]) -> list[Span]:
    """The UTC ranges to read, merged where they overlap: each window and the same window a
    year earlier."""
    ranges = sorted(
        ((w.start, w.end) for window in windows for w in (window, window.previous()) if w),
        key=lambda r: (r[0] is not None, r[0] or r[1]),
    )
    merged: list[tuple[datetime | None, datetime]] = []
    for start, end in ranges:
        if merged and (start is None or start <= merged[-1][1]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return list(merged)


def _heard_before(heard: tuple[I64, I64, I64], user: int, start_us: int | None) -> I64:
    users, artists, first = heard
    if start_us is None:
        return np.zeros(0, dtype=np.int64)
    lo, hi = np.searchsorted(users, user, "left"), np.searchsorted(users, user, "right")
    mine = slice(int(lo), int(hi))
    return np.unique(artists[mine][first[mine] < start_us])


def _report(
    user: WrappedUser,
    window: Window,
    plays: Plays,
    heard: tuple[I64, I64, I64],
    catalog: CatalogNames,
    population: PopulationFor,
    rules: Rules,
    candidates: I64 = NO_ITEMS,
) -> Report:
    """The report of one listener from their plays (sorted by time, any span) and what a
    recommender proposed for them."""
    start_us, end_us = window.start_us, window.end_us
    current = _slice(plays, start_us, end_us)
    if len(current) == 0:
        raise NothingToWrap(user.external_id, window.label)
    numbers = eligibility(current, rules)
    if not numbers.eligible:
        raise NotEligible(user.external_id, numbers)
    earlier = window.previous()
    span = None if start_us is None else (start_us // US, end_us // US)
    ctx = Context(
        user_id=user.external_id,
        window=window,
        plays=current,
        local=LocalTime.of(current.ts_us, window.zone, span),
        previous=None if earlier is None else _slice(plays, earlier.start_us, earlier.end_us),
        heard_before=_heard_before(heard, user.id, start_us),
        catalog=catalog,
        rules=rules,
        missed_candidates=candidates,
    )
    if not user.opt_out_comparisons:
        ctx = replace(ctx, population=population(window, ctx.top_artist))
    cards = {name: card(ctx) for name, card in CARDS}
    return Report(
        user_id=user.external_id,
        window=WindowInfo.of(window),
        eligibility=EligibilityInfo(**numbers.as_dict()),
        **cards,
    )


def build_report(
    session: Session,
    *,
    user_id: str,
    window_for: Callable[[str], Window],
    rules: Rules = DEFAULT_RULES,
    recommender: MissedRecommender | None = None,
    population: PopulationFor | None = None,
) -> Report:
    """The report of one listener (by external id) for the window ``window_for(timezone)``
    of their own timezone (ignore the argument to choose another). Comparisons rank them
    in ``population`` (by default read from the store now)."""
    found = find_wrapped_users(session, user_id)
    if not found:
        raise UnknownUser(user_id)
    user = found[0]
    if user.opt_out_wrapped:
        raise WrappedOptedOut(user_id)
    window = window_for(user.timezone)
    plays = read_plays(session, spans=_spans([window]), user_id=user.id)
    heard = (
        first_heard(session, before=window.start, user_id=user.id)
        if window.start is not None and len(plays)
        else _no_history()
    )
    candidates = _candidates(recommender, [user.id])[0] if len(plays) else NO_ITEMS
    catalog = _catalog(session, plays, candidates)
    population = population or from_store(session)
    return _report(user, window, plays, heard, catalog, population, rules, candidates)


def build_all(
    session: Session,
    *,
    window_for: Callable[[str], Window],
    rules: Rules = DEFAULT_RULES,
    recommender: MissedRecommender | None = None,
) -> dict[str, Report | WrappedError]:
    """Every listener's report in one pass, each in the window ``window_for(timezone)`` of
    their own timezone; a listener who gets none maps to the reason."""
    return {
        built.user.external_id: built.result
        for built in iter_all(session, window_for=window_for, rules=rules, recommender=recommender)
    }


@dataclass(frozen=True, slots=True)
class Built:
    """One listener's outcome of a pass: the report, or why there is none. ``window`` is
    None when the listener was refused before one could be chosen (opted out, or a
    timezone that does not exist)."""

    user: WrappedUser
    window: Window | None
    result: Report | WrappedError


@dataclass(frozen=True)
class Pass:
    """Everything a pass over every listener reads, read once: the plays (sorted by user),
    the artists heard before, the catalog, everyone's populations and what a recommender
    proposed. :meth:`build` then makes each listener's report from memory alone, so shares
    of :attr:`listeners` can be built in worker processes forked after :func:`prepare`."""

    refused: list[Built]
    listeners: list[WrappedUser]
    windows: dict[str, Window]
    plays: Plays
    heard: tuple[I64, I64, I64]
    catalog: CatalogNames
    pool: InMemory
    candidates: list[I64]
    bounds: tuple[I64, I64]
    rules: Rules

    def build(self, n: int) -> Built:
        """The outcome of ``listeners[n]``."""
        user = self.listeners[n]
        lo, hi = self.bounds
        mine = self.plays.take(slice(int(lo[n]), int(hi[n])))
        window = self.windows[user.timezone]
        try:
            result: Report | WrappedError = _report(
                user, window, mine, self.heard, self.catalog, self.pool.population, self.rules,
                self.candidates[n],
            )  # fmt: skip
        except WrappedError as exc:
            result = exc
        return Built(user, window, result)


def prepare(
    session: Session,
    *,
    window_for: Callable[[str], Window],
    rules: Rules = DEFAULT_RULES,
    recommender: MissedRecommender | None = None,
    only: Collection[str] | None = None,
    chunk: int = 2_000,
) -> Pass:
    """Read what a pass over every listener needs (see :func:`iter_all`)."""
    windows: dict[str, Window] = {}
    wrapped: list[WrappedUser] = []
    refused: list[Built] = []
    users = find_wrapped_users(session)
    wanted = None if only is None else set(only)
    for user in users:
        if wanted is not None and user.external_id not in wanted:
            continue
        try:
            if user.opt_out_wrapped:
                raise WrappedOptedOut(user.external_id)
            if user.timezone not in windows:
                windows[user.timezone] = window_for(user.timezone)
            wrapped.append(user)
        except WrappedError as exc:  # a refusal, or a timezone that does not exist
            refused.append(Built(user, None, exc))
    plays = read_plays(session, spans=_spans(list(windows.values()))) if wrapped else _no_plays()
    starts = [w.start for w in windows.values()]
    heard = (
        first_heard(session, before=max(s for s in starts if s is not None))
        if wrapped and any(s is not None for s in starts)
        else _no_history()
    )
    ids = np.array([u.id for u in wrapped], dtype=np.int64)
    candidates = _candidates(recommender, ids.tolist(), chunk)
    catalog = _catalog(session, plays, *candidates)
    comparable = np.array(
        [u.id for u in users if not (u.opt_out_wrapped or u.opt_out_comparisons)], dtype=np.int64
    )
    bounds = (np.searchsorted(plays.user, ids, "left"), np.searchsorted(plays.user, ids, "right"))
    return Pass(
        refused, wrapped, windows, plays, heard, catalog,
        InMemory(plays, comparable, list(windows.values())), candidates, bounds, rules,
    )  # fmt: skip


def iter_all(
    session: Session,
    *,
    window_for: Callable[[str], Window],
    rules: Rules = DEFAULT_RULES,
    recommender: MissedRecommender | None = None,
    only: Collection[str] | None = None,
    chunk: int = 2_000,
) -> Iterator[Built]:
    """Every listener's :class:`Built` outcome in one pass over the plays, listener by
    listener so a caller can store them as they come. ``only`` (external ids) restricts
    whose reports are built; everyone's plays are still read, since comparisons rank each
    listener among all. The recommender is asked ``chunk`` listeners at a time."""
    work = prepare(
        session, window_for=window_for, rules=rules, recommender=recommender, only=only,
        chunk=chunk,
    )  # fmt: skip
    yield from work.refused
    built = 0
    for n in range(len(work.listeners)):
        one = work.build(n)
        built += isinstance(one.result, Report)
        yield one
    if work.listeners:
        log.info("built %d reports for %d listeners", built, len(work.listeners))


def _candidates(
    recommender: MissedRecommender | None, users: Sequence[int], chunk: int = 2_000
) -> list[I64]:
    """What ``recommender`` proposes for each of ``users`` (nothing without one)."""
    if recommender is None:
        return [NO_ITEMS] * len(users)
    out: list[I64] = []
    for start in range(0, len(users), chunk):
        part = np.asarray(users[start : start + chunk], dtype=np.int64)
        out.extend(np.asarray(c, dtype=np.int64) for c in recommender.missed(part, CANDIDATES))
    return out


def _no_plays() -> Plays:
    empty = np.zeros(0, dtype=np.int64)
    return Plays(
        empty, empty, empty, empty.astype(np.int8), empty.astype(np.int8),
        empty.astype(np.bool_), empty, empty.astype(np.int8), empty, empty, empty,
    )  # fmt: skip


def _no_history() -> tuple[I64, I64, I64]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty


def _catalog(session: Session, plays: Plays, *extra_items: I64) -> CatalogNames:
    items = np.unique(np.concatenate([plays.item, *extra_items])) if extra_items else plays.item
    return catalog_names(
        session,
        items=np.unique(items).tolist(),
        artists=np.unique(plays.artist).tolist(),
        albums=np.unique(plays.album[plays.album >= 0]).tolist(),
    )
