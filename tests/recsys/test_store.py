"""Interactions read from the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

from models.catalog import Artist, Item
from models.ingest import ingest_events, ingest_feedback
from models.listening import FeedbackKind
from models.records import FeedbackRecord, ItemRef
from models.users import User
from recsys.errors import InteractionsError
from recsys.neighbours import ItemKnn
from recsys.params import ItemKnnParams
from recsys.store import read_store
from service.store import Store
from tests.utils.factories import T0, record


def track(title: str, artist: str = "Agnes Obel") -> ItemRef:
    return ItemRef(artist=artist, title=title, album="Aventine", duration_ms=200_000)


def load(store: Store) -> None:
    plays = [
        record(0, item=track("Full")),  # 1.0
        record(1, item=track("Half"), ms_played=100_000),  # 0.5
        record(2, item=track("Glimpse"), ms_played=10_000),  # not a stream
        record(3, item=track("Skipped"), skipped=True),  # 0.5
        record(4, item=track("Full"), private=True),  # private: never counts
        record(5, item=track("Other", artist="Sigur Rós"), ms_played=50_000),  # 0.25
        record(6, user="bob", item=track("Full")),  # bob opts out below
        record(7, user="carol", item=track("Half"), private=True),  # only private plays
    ]
    ingest_events(store.engine, store.resolver, plays)
    ingest_feedback(
        store.engine,
        store.resolver,
        [
            FeedbackRecord("alice", track("Liked"), FeedbackKind.like, T0),
            FeedbackRecord("alice", track("Half"), FeedbackKind.like, T0),
            FeedbackRecord("alice", track("Half"), FeedbackKind.unlike, T0 + timedelta(1)),
            FeedbackRecord("bob", track("Liked"), FeedbackKind.like, T0),
        ],
    )
    with store.engine.begin() as conn:
        conn.execute(
            update(User).where(User.external_id == "bob").values(opt_out_personalization=True)
        )


def names(store: Store) -> dict[int, str]:
    with store.sessions() as session:
        return {uid: name for uid, name in session.execute(select(User.id, User.external_id))}


def test_store_interactions_are_weighted_and_private(store: Store) -> None:
    load(store)
    data = read_store(store.engine)
    users = names(store)
    assert [users[int(u)] for u in data.user_ids.ids] == ["alice"]
    matrix = data.matrix().toarray()[0]
    weights = dict(zip(data.item_ids.ids.tolist(), matrix.tolist(), strict=True))
    with store.sessions() as session:
        titles = {item: title for item, title in session.execute(select(Item.id, Item.title))}
    by_title = {titles[item]: round(w, 4) for item, w in weights.items()}
    assert by_title == {"Full": 1.0, "Half": 0.5, "Skipped": 0.5, "Other": 0.25, "Liked": 2.0}
    assert data.timestamps is not None
    first = data.timestamps[data.weights == 1.0].min()
    assert first == pytest.approx(T0.timestamp(), abs=1e-3)


def test_artist_level_view_sums_by_artist(store: Store) -> None:
    load(store)
    artists = read_store(store.engine).to_artists()
    assert artists.n_items == 2
    np.testing.assert_allclose(sorted(artists.matrix().toarray()[0]), [0.25, 4.0])


def test_an_empty_store_is_an_error(store: Store) -> None:
    with pytest.raises(InteractionsError, match="no plays or feedback"):
        read_store(store.engine)


def test_similar_artists_from_the_artist_level_view(store: Store) -> None:
    plays = [
        record(i, user=user, item=track(f"Song {i}", artist=artist))
        for i, (user, artist) in enumerate(
            [("ana", "A"), ("ana", "B"), ("ben", "A"), ("ben", "B"), ("cy", "C"), ("cy", "D")]
        )
    ]
    ingest_events(store.engine, store.resolver, plays)
    artists = read_store(store.engine).to_artists()
    model = ItemKnn(ItemKnnParams("cosine"))
    model.fit(artists.matrix())
    assert artists.artist_ids is None  # the artist view is the catalog now
    with store.sessions() as session:
        ids = {name: aid for aid, name in session.execute(select(Artist.id, Artist.name))}
    similar, _ = model.similar_items(artists.item_ids.index([ids["A"], ids["C"]]), N=1)
    assert artists.item_ids.external(similar[:, 0]).tolist() == [ids["B"], ids["D"]]
