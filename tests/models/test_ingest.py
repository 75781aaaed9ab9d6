"""The bulk path and catalog resolution, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

from models.catalog import Album, Artist, Item, ItemKind
from models.dialect import insert_rows
from models.ingest import ingest_events
from models.listening import EventSource, ListeningEvent
from models.records import ItemRef
from models.resolve import CatalogResolver
from models.users import User
from service.store import Store
from tests.utils.factories import count_events, record


def scalar_count(store: Store, model: type) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_ingest_counts_new_and_duplicate_events(store: Store) -> None:
    batch = [record(i) for i in range(50)]
    first = ingest_events(store.engine, store.resolver, batch)
    again = ingest_events(store.engine, store.resolver, [*batch, record(50)])
    assert (first.accepted, first.duplicates) == (50, 0)
    assert (again.accepted, again.duplicates) == (1, 50)
    assert count_events(store.engine) == 51
    assert scalar_count(store, Item) == 7
    assert scalar_count(store, Artist) == 1
    assert scalar_count(store, Album) == 1


def test_duplicates_inside_one_batch_are_stored_once(store: Store) -> None:
    result = ingest_events(store.engine, store.resolver, [record(1), record(1), record(1)])
    assert (result.accepted, result.duplicates) == (1, 2)


def test_event_id_makes_retries_idempotent_even_when_fields_differ(store: Store) -> None:
    a = record(1, client_event_id="x")
    b = record(2, client_event_id="x", ms_played=5)
    c = record(2, client_event_id="x", user="bob")  # ids are per user
    result = ingest_events(store.engine, store.resolver, [a, b, c])
    assert (result.accepted, result.duplicates) == (2, 1)


def test_all_event_fields_round_trip(store: Store) -> None:
    rec = record(
        3, skipped=True, reason_start="clickrow", reason_end="fwdbtn", shuffle=True,
        offline=False, private=True, platform="android", country="IN",
        source=EventSource.spotify, client_event_id="e-3", rec_id="rec-9",
    )  # fmt: skip
    ingest_events(store.engine, store.resolver, [rec])
    with store.sessions() as session:
        ev = session.scalars(select(ListeningEvent)).one()
        user = session.get(User, ev.user_id)
    assert user is not None and user.external_id == "alice"
    assert (ev.ts, ev.ms_played, ev.skipped, ev.reason_start, ev.reason_end) == (
        rec.ts, 200_000, True, "clickrow", "fwdbtn",
    )  # fmt: skip
    assert (ev.shuffle, ev.offline, ev.private, ev.platform, ev.country) == (
        True, False, True, "android", "IN",
    )  # fmt: skip
    assert (ev.source, ev.client_event_id, ev.rec_id) == (EventSource.spotify, "e-3", "rec-9")


def test_external_id_wins_over_metadata(store: Store) -> None:
    uri = "spotify:track:6potEImiklXkwD9qFzpu15"
    first = record(0, item=ItemRef(artist="Labrinth", title="Forever", spotify_uri=uri))
    renamed = record(
        1, item=ItemRef(artist="LABRINTH", title="Forever (Euphoria)", spotify_uri=uri)
    )
    by_uri_only = record(2, item=ItemRef(spotify_uri=uri))
    ingest_events(store.engine, store.resolver, [first])
    result = ingest_events(store.engine, CatalogResolver(), [renamed, by_uri_only])
    assert result.accepted == 2
    assert scalar_count(store, Item) == 1


def test_album_less_reference_matches_existing_album_item(store: Store) -> None:
    with_album = record(
        0, item=ItemRef(artist="Agnes Obel", title="Riverside", album="Philharmonics")
    )
    ingest_events(store.engine, store.resolver, [with_album])
    bare = record(1, item=ItemRef(artist="agnes obel", title="RIVERSIDE"))
    ingest_events(store.engine, CatalogResolver(), [bare])
    with store.sessions() as session:
        assert len(set(session.scalars(select(ListeningEvent.item_id)))) == 1


def test_kinds_are_distinct_items(store: Store) -> None:
    track = record(0, item=ItemRef(artist="Show", title="Pilot"))
    episode = record(1, item=ItemRef(artist="Show", title="Pilot", kind=ItemKind.episode))
    ingest_events(store.engine, store.resolver, [track, episode])
    with store.sessions() as session:
        kinds = sorted(session.scalars(select(Item.kind)))
    assert kinds == [ItemKind.episode, ItemKind.track]


def test_unknown_external_id_without_metadata_is_rejected(store: Store) -> None:
    result = ingest_events(
        store.engine, store.resolver, [record(0), record(1, item=ItemRef(isrc="USRC17607839"))]
    )
    assert result.accepted == 1
    assert [(r.index, r.field) for r in result.rejected] == [(1, "item")]


def test_failed_batch_stores_nothing_and_leaves_cache_clean(store: Store) -> None:
    new_item = ItemRef(artist="New Artist", title="New Song")
    # A source outside the CHECK constraint makes the insert fail on both backends.
    bad = record(1, item=new_item, source=SimpleNamespace(value="bogus"))
    with pytest.raises(IntegrityError):
        ingest_events(store.engine, store.resolver, [record(0), bad])
    assert count_events(store.engine) == 0
    assert scalar_count(store, Artist) == 0
    assert scalar_count(store, User) == 0
    # The rolled-back ids were never cached: the same references resolve and insert cleanly.
    result = ingest_events(store.engine, store.resolver, [record(0), record(1, item=new_item)])
    assert result.accepted == 2
    assert scalar_count(store, Artist) == 2


def test_bulk_rows_breaking_a_constraint_raise_integrity_error(store: Store) -> None:
    """``insert_rows`` (``COPY`` on PostgreSQL) reports a broken constraint as SQLAlchemy's
    ``IntegrityError``, as every other write does, and its transaction leaves nothing."""
    now = datetime.now(UTC)
    names = ["id", "external_id", "created_at", "timezone"]
    rows = [(1, "same-listener", now, "UTC"), (2, "same-listener", now, "UTC")]
    with pytest.raises(IntegrityError, match=r"external_id"), store.engine.begin() as conn:
        insert_rows(conn, cast(Table, User.__table__), names, rows)
    assert scalar_count(store, User) == 0


def test_concurrent_ingest_of_overlapping_batches(store: Store) -> None:
    batches = [
        [record(i, user=f"u{i % 3}") for i in range(start, start + 120)]
        for start in (0, 60, 30, 90)
    ]
    resolvers = [CatalogResolver() for _ in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda pair: ingest_events(store.engine, pair[1], pair[0]),
                zip(batches, resolvers, strict=True),
            )
        )
    assert sum(r.accepted for r in results) == 210
    assert sum(r.accepted + r.duplicates for r in results) == 480
    assert count_events(store.engine) == 210
    assert scalar_count(store, User) == 3
    assert scalar_count(store, Item) == 7
