"""Who on-demand comparisons rank a listener among: the server's cached population of a
window (one read of its plays) against the per-artist queries and against sums written out
here from the plays the test adds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select

import wrapped.population as population_module
from models.catalog import Artist, ItemKind
from models.users import User
from models.wrapped import comparable_plays
from service.store import Store
from tests.wrapped.conftest import LENIENT, Add, play, set_user
from wrapped.population import Cached, from_store
from wrapped.report import build_report
from wrapped.stored import build_stored
from wrapped.window import Window

YEAR = Window.for_year(2024, "UTC")
MIN = 60_000


def _plays(add: Add) -> None:
    add(
        play("2024-02-01T10:00:00Z", user="ana", artist="Ay", title="a1", ms=3 * MIN),
        play("2024-02-02T10:00:00Z", user="ana", artist="Ay", title="a2", ms=2 * MIN),
        play("2024-02-03T10:00:00Z", user="ana", artist="Bee", title="b1", ms=1 * MIN),
        play("2024-03-01T10:00:00Z", user="ben", artist="Ay", title="a1", ms=7 * MIN),
        play("2024-03-02T10:00:00Z", user="ben", artist="Show", title="ep",
             kind=ItemKind.episode, ms=30 * MIN),
        play("2024-03-03T10:00:00Z", user="ben", artist="Bee", title="b2", ms=0),
        play("2024-04-01T10:00:00Z", user="cy", artist="Bee", title="b1", ms=4 * MIN),
        play("2024-04-02T10:00:00Z", user="cy", artist="Ay", title="a3", ms=5 * MIN,
             private=True),
        play("2023-12-31T23:59:59Z", user="cy", artist="Ay", title="a1", ms=9 * MIN),
        play("2024-05-01T10:00:00Z", user="dee", artist="Ay", title="a1", ms=11 * MIN),
    )  # fmt: skip


def _artist(store: Store, name: str) -> int:
    with store.sessions() as session:
        found = session.scalar(select(Artist.id).where(Artist.name == name))
    assert found is not None
    return found


def test_cached_population_sums_each_window_and_artist(store: Store, add: Add) -> None:
    _plays(add)
    set_user(store, "dee", opt_out_comparisons=True)
    cache = Cached(600)
    with store.sessions() as session:
        of = cache.for_session(session)
        # cy, ana, ben (ascending): private plays, 2023 and dee count nowhere
        assert of(YEAR, None).ms_by_user.tolist() == [4 * MIN, 6 * MIN, 37 * MIN]
        ay, bee = _artist(store, "Ay"), _artist(store, "Bee")
        assert of(YEAR, ay).artist_ms_by_user.tolist() == [5 * MIN, 7 * MIN]
        # ben's zero-length play of Bee makes him no listener of Bee; episodes are no music
        assert of(YEAR, bee).artist_ms_by_user.tolist() == [1 * MIN, 4 * MIN]
        assert of(YEAR, _artist(store, "Show")).artist_ms_by_user.tolist() == []


def test_cached_population_equals_the_per_artist_queries(store: Store, add: Add) -> None:
    _plays(add)
    set_user(store, "dee", opt_out_comparisons=True)
    windows = (
        YEAR,
        Window.for_year(2024, "Asia/Tokyo"),
        Window.between(date(2024, 2, 2), date(2024, 4, 2), "America/New_York"),
        Window.between(None, YEAR.end_day, "UTC"),
    )
    with store.sessions() as session:
        artists = session.scalars(select(Artist.id)).all()
        cached, queried = Cached(600).for_session(session), from_store(session)
        for window in windows:
            for artist in [None, *artists]:
                mine, theirs = cached(window, artist), queried(window, artist)
                assert np.array_equal(mine.ms_by_user, theirs.ms_by_user)
                assert np.array_equal(mine.artist_ms_by_user, theirs.artist_ms_by_user)
                assert mine.artist_id == theirs.artist_id


def test_cached_population_follows_new_plays_once_it_expires(store: Store, add: Add) -> None:
    _plays(add)
    now = [0.0]
    cache = Cached(60, clock=lambda: now[0])
    ay = _artist(store, "Ay")
    with store.sessions() as session:
        assert cache.for_session(session)(YEAR, ay).artist_ms_by_user.size == 3
    add(play("2024-06-01T10:00:00Z", user="eve", artist="Ay", title="a1", ms=MIN))
    with store.sessions() as session:
        now[0] = 59.0  # as of the first read until it expires
        assert cache.for_session(session)(YEAR, ay).artist_ms_by_user.size == 3
        now[0] = 61.0
        fans = cache.for_session(session)(YEAR, ay).artist_ms_by_user
    assert sorted(fans.tolist()) == [MIN, 5 * MIN, 7 * MIN, 11 * MIN]


def test_reports_on_demand_share_one_read_of_the_window(
    store: Store, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listeners with different top artists: the second report reads no plays of others."""
    _plays(add)
    reads: list[object] = []

    def counted(*args: object, **kw: object) -> object:
        reads.append(kw)
        return comparable_plays(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(population_module, "comparable_plays", counted)
    cache = Cached(600)
    with store.sessions() as session:
        for user in ("ana", "cy", "ben"):
            report = build_report(
                session, user_id=user, window_for=lambda _own: YEAR, rules=LENIENT,
                population=cache.for_session(session),
            )  # fmt: skip
            assert report.comparisons.listeners is None  # fewer than 20 listeners
    assert len(reads) == 1


def _edge_plays(add: Add) -> None:
    """Plays near the ends of 2024 in several zones, and of users a build will not know."""
    add(
        play("2023-12-31T16:00:00Z", user="ana", artist="Ay", title="a1", ms=13 * MIN),
        play("2024-01-01T03:00:00Z", user="ben", artist="Bee", title="b1", ms=17 * MIN),
        play("2024-12-31T12:00:00Z", user="cy", artist="Ay", title="a2", ms=19 * MIN),
        play("2024-12-31T23:30:00Z", user="eve", artist="Ay", title="a1", ms=23 * MIN),
        play("2025-01-01T02:00:00Z", user="ana", artist="Bee", title="b2", ms=29 * MIN),
    )  # fmt: skip


def _same_populations(store: Store, cache: Cached, windows: tuple[Window, ...]) -> None:
    with store.sessions() as session:
        artists = session.scalars(select(Artist.id)).all()
        cached, queried = cache.for_session(session), from_store(session)
        for window in windows:
            for artist in [None, *artists]:
                mine, theirs = cached(window, artist), queried(window, artist)
                assert mine.ms_by_user.tolist() == theirs.ms_by_user.tolist(), window
                assert mine.artist_ms_by_user.tolist() == theirs.artist_ms_by_user.tolist()


YEARS = tuple(
    Window.for_year(2024, tz)
    for tz in ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Chatham", "Pacific/Kiritimati")
)


def test_on_demand_populations_derive_from_the_build_without_reading_the_year(
    store: Store, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a build, the same year in any zone ranks among the same listeners as a query
    of its plays would, while reading only its edges and the plays since the build."""
    _plays(add)
    _edge_plays(add)
    with store.sessions() as session:
        build_stored(
            session, window_for=lambda _own: Window.for_year(2024, "America/New_York"),
            rules=LENIENT,
        )  # fmt: skip
    reads: list[tuple[datetime, datetime, int | None]] = []

    def counted(*args: object, **kw: Any) -> object:
        reads.append((kw["start"], kw["end"], kw.get("after_event")))
        return comparable_plays(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(population_module, "comparable_plays", counted)
    _same_populations(store, Cached(600), YEARS)
    assert reads and all(
        after is not None or end - start <= timedelta(days=2) for start, end, after in reads
    )

    # plays since the build, a listener opting out, another erased: all followed
    add(
        play("2024-07-01T10:00:00Z", user="ben", artist="Ay", title="a3", ms=31 * MIN),
        play("2024-12-31T20:00:00Z", user="fay", artist="Bee", title="b1", ms=37 * MIN),
        play("2024-01-01T00:30:00Z", user="gil", artist="Ay", title="a1", ms=41 * MIN,
             private=True),
    )  # fmt: skip
    set_user(store, "cy", opt_out_comparisons=True)
    with store.engine.begin() as conn:
        conn.execute(delete(User).where(User.external_id == "eve"))
    reads.clear()
    _same_populations(store, Cached(600), YEARS)
    assert all(after is not None or end - start <= timedelta(days=2) for start, end, after in reads)
    # a window far from the build's is read whole, as before
    _same_populations(
        store, Cached(600), (Window.between(date(2024, 2, 2), date(2024, 4, 2), "UTC"),)
    )
