"""The maintained rollup: refreshing only the listeners who changed gives exactly what a
rebuild from every event gives (listener days, periods, cohorts and artist rows), on both
backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from models.ingest import ingest_events
from models.metrics.rollup import refresh
from models.metrics.schema import (
    MetricsArtistDay,
    MetricsArtistTrackDay,
    MetricsCohort,
    MetricsPeriod,
    MetricsUserDay,
)
from models.privacy import delete_user, prune_events
from models.records import EventRecord, ItemRef
from service.store import Store
from tests.metrics.conftest import load_history


def snapshot(store: Store) -> tuple[set[Any], set[Any], set[Any], set[Any]]:
    with store.engine.connect() as conn:
        days = set(conn.execute(select(MetricsUserDay.__table__)).all())
        artists = {
            (m.__tablename__, *r)
            for m in (MetricsArtistDay, MetricsArtistTrackDay)
            for r in conn.execute(select(m.__table__)).all()
        }
        periods = {
            r
            for r in conn.execute(select(MetricsPeriod.__table__)).all()
            if any(r[5:])  # rows a difference left at zero are the same as none
        }
        cohorts = {r for r in conn.execute(select(MetricsCohort.__table__)).all() if r[3]}
    return days, periods, cohorts, artists


def test_incremental_refresh_equals_a_rebuild(store: Store) -> None:
    load_history(store)
    with store.engine.connect() as conn:
        assert refresh(conn, "Europe/Amsterdam") == 12
        assert refresh(conn, "Europe/Amsterdam") == 0  # nothing new
    item = ItemRef(artist="Artist 3", title="Late", album="LP")
    t0 = datetime(2025, 3, 1, 23, 50, tzinfo=UTC)
    more = [  # one listener gains an earlier first day, another a session across midnight
        EventRecord(user="listener-01", ts=t0, ms_played=200_000, item=item, platform="web"),
        *(EventRecord(user="listener-05", ts=t0 + timedelta(days=30, minutes=4 * i),
                      ms_played=230_000, item=item, country="NL") for i in range(6)),
    ]  # fmt: skip
    assert ingest_events(store.engine, store.resolver, more).accepted == 7
    with store.engine.connect() as conn:
        assert refresh(conn, "Europe/Amsterdam", full_share=1.0) == 2
    incremental = snapshot(store)
    with store.engine.connect() as conn:
        refresh(conn, "Europe/Amsterdam", full=True)
    rebuilt = snapshot(store)
    assert incremental[0] == rebuilt[0]
    assert incremental[1] == rebuilt[1]
    assert incremental[2] == rebuilt[2]
    assert incremental[3] == rebuilt[3]
    assert len(rebuilt[1]) > 1000 and len(rebuilt[2]) > 10 and len(rebuilt[3]) > 1000


def test_after_a_prune_the_rollup_is_a_rebuild_from_the_events_that_remain(store: Store) -> None:
    load_history(store)
    with store.engine.connect() as conn:
        refresh(conn, "Europe/Amsterdam")
    whole = snapshot(store)
    with store.sessions() as session:  # the spring weeks go; the autumn ones stay
        assert prune_events(session, before=datetime(2025, 6, 1, tzinfo=UTC)) > 1000
    song = ItemRef(artist="Artist 2", title="Song 1")
    late = EventRecord(user="listener-03", ts=datetime(2025, 11, 30, 12, tzinfo=UTC),
                       ms_played=200_000, item=song)  # fmt: skip
    assert ingest_events(store.engine, store.resolver, [late]).accepted == 1
    with store.engine.connect() as conn:  # one listener changed: a refresh would do only them
        refresh(conn, "Europe/Amsterdam", full_share=1.0)
    after = snapshot(store)
    with store.engine.connect() as conn:
        refresh(conn, "Europe/Amsterdam", full=True)
    assert after == snapshot(store)
    assert 0 < len(after[0]) < len(whole[0]) and 0 < len(after[3]) < len(whole[3])


def test_an_erased_listener_leaves_the_rollup_as_a_rebuild_without_them(store: Store) -> None:
    load_history(store)
    with store.engine.connect() as conn:
        refresh(conn, "Europe/Amsterdam")
        refresh(conn, "Asia/Kolkata")
    whole = snapshot(store)
    with store.sessions() as session:
        assert delete_user(session, user_id="listener-03") is not None
    erased = snapshot(store)
    with store.engine.connect() as conn:
        assert refresh(conn, "Europe/Amsterdam") == 0  # nothing new: the erasure did it all
        refresh(conn, "Europe/Amsterdam", full=True)
        refresh(conn, "Asia/Kolkata", full=True)
    assert erased == snapshot(store)
    assert erased[1] != whole[1] and erased[2] != whole[2]
