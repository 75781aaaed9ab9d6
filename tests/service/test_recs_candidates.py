"""What a list is built from, on a model trained on both databases: the item-by-item
filter of a listener's precomputed candidates keeps exactly what the array filter of a
long ranking keeps, under random business filters; a list of a kind and a cap read from
a listener's record of bytes is the one the arrays give; the reasons ranked with the
candidates are the ones worked out per request; a second worker maps the first
one's ranking, reasons included; and a new listener's popularity list, kept per filters
and limit, is the one the whole ranking gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pytest

from service.recs import reasons
from service.recs.catalog import KINDS, SHORT, Filters
from service.recs.fresh import FreshListening
from service.recs.index import Served
from service.recs.lists import Ranked, for_user, from_record, pick
from service.retraining import Outcome
from service.settings import Settings
from service.store import Store
from tests.service.test_recommendations_api import recs_settings, synth_history, train


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


@pytest.fixture
def trained(store: Store, settings: Settings) -> tuple[Store, Outcome]:
    history = synth_history(store)
    return history, train(history, settings, "als")


def load(store: Store, outcome: Outcome, cache: Path, candidates: int = 200) -> Served:
    with store.sessions() as session:
        served = Served.load(outcome.version_id, outcome.artifact, session,
                             candidates=candidates, cache_dir=cache)  # fmt: skip
    assert served.top.done.wait(60)
    return served


def random_filters(rng: np.random.Generator, served: Served) -> Filters:
    cat = served.catalog
    present = np.flatnonzero(cat.present)
    heard = cat.first_heard[present]
    cut = float(np.quantile(heard[~np.isnan(heard)], rng.uniform(0.1, 0.9)))
    artists = cat.artist_ids.ids.tolist()
    return Filters(
        kind=KINDS[rng.integers(len(KINDS))] if rng.random() < 0.6 else None,
        genre=str(rng.choice(sorted(cat.tags))).upper() if rng.random() < 0.3 else None,
        exclude_artists=frozenset(int(a) for a in rng.choice(artists, rng.integers(0, 4))),
        released_after=datetime.fromtimestamp(cut, UTC).date() if rng.random() < 0.3 else None,
        max_per_artist=int(rng.integers(1, 4)) if rng.random() < 0.7 else None,
    )


def test_the_item_by_item_filter_keeps_what_the_array_filter_keeps(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    store, outcome = trained
    served = load(store, outcome, tmp_path / "cache")
    rng = np.random.default_rng(11)
    n_users = outcome.artifact.model.n_users
    kept_some = 0
    for _ in range(300):
        ids = served.top.get(int(rng.integers(n_users))).ids
        filters, limit = random_filters(rng, served), int(rng.integers(1, 30))
        assert len(ids) <= SHORT
        short = served.catalog.keep_items(ids, filters, limit)
        # -1 padding past SHORT sends the same ranking down the array path
        padded = np.concatenate([ids, np.full(SHORT, -1, dtype=np.int32)])
        assert short == served.catalog.keep_items(padded, filters, limit), filters
        kept_some += bool(short)
    assert kept_some > 100  # the filters were not all empty-handed
    # an unknown genre or every artist excluded keeps nothing on either path
    everyone = frozenset(served.catalog.artist_ids.ids.tolist())
    for nothing in (Filters(genre="no-such-tag"), Filters(exclude_artists=everyone)):
        assert served.catalog.keep_items(ids, nothing, 10) == []


def test_artist_runs_pick_what_the_filter_picks_for_a_kind_and_a_cap(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    store, outcome = trained
    served = load(store, outcome, tmp_path / "cache", candidates=40)
    art = outcome.artifact
    full = 0
    for user in range(art.model.n_users):
        top = served.top.get(user)
        for kind in (None, *KINDS):
            for cap in (None, 1, 2, 3):
                filters, limit = Filters(kind=kind, max_per_artist=cap), 1 + user % 25
                with_runs = pick(served, Ranked(top.ids, top.scores, runs=top.runs), filters, limit)
                filtered = pick(served, Ranked(top.ids, top.scores), filters, limit)
                assert with_runs == filtered, (user, kind, cap)
                full += len(with_runs.dense) == limit
    assert full > art.model.n_users  # most lists were not cut short by 40 candidates
    # a list the runs cannot fill goes deeper, to the exact filtered top
    user = 0
    top = served.top.get(user)
    row = art.user_items[user]
    deeper = Ranked(top.ids, top.scores, runs=top.runs,
                    deeper=lambda n: art.model.recommend([user], row, N=n))  # fmt: skip
    exact = Ranked(*(a[0] for a in art.model.recommend([user], row, N=art.model.n_items)))
    capped = Filters(kind="track", max_per_artist=1)
    assert pick(served, deeper, capped, 60) == pick(served, exact, capped, 60)


def test_a_record_read_gives_the_list_the_arrays_give(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    store, outcome = trained
    served = load(store, outcome, tmp_path / "cache", candidates=40)
    n, whole = served.candidates, 0
    for user in range(outcome.artifact.model.n_users):
        top, record = served.top.get(user), served.top.record(user)
        assert record is not None and record.near is not None and top.near is not None
        # the same candidates, scores exactly (float32 read as the floats they are)
        assert record.ids.tolist() == top.ids.tolist()
        assert record.scores.tolist() == top.scores.tolist()
        assert record.near.tolist() == top.near.tolist()
        assert record.runs.tobytes() == top.runs.tobytes()
        arrays = Ranked(top.ids, top.scores, near=top.near, runs=top.runs)
        for kind in (None, *KINDS):
            for cap in (None, 1, 2, 3):
                filters, limit = Filters(kind=kind, max_per_artist=cap), 1 + user % 30
                expected = pick(served, arrays, filters, limit)
                got = from_record(record, filters, limit, n)
                if got is None:  # fewer than asked for: the deeper ranking decides
                    assert len(expected.dense) < limit, (user, kind, cap)
                else:
                    assert got == expected, (user, kind, cap)
                    whole += 1
        # any other filter needs the arrays
        assert from_record(record, Filters(genre="rock"), 5, n) is None
        assert from_record(record, Filters(exclude_artists=frozenset({1})), 5, n) is None
    assert whole > outcome.artifact.model.n_users  # most lists came from the record


def test_reasons_ranked_with_the_candidates_name_the_nearest_played_item(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    store, outcome = trained
    served = load(store, outcome, tmp_path / "cache")
    unit = served.unit_items
    assert served.top.near is not None and unit is not None
    same = 0
    for user in range(outcome.artifact.model.n_users):
        ids, _, near, _ = served.top.get(user)
        assert near is not None
        valid = ids >= 0
        history = served.history(user)
        assert np.isin(near[valid], history).all() and (near[~valid] == -1).all()
        # the per-request reasons: the largest cosine with a played item (ties are
        # items with equal factors, where the last bit of a product picks one)
        cosines = unit[ids[valid]] @ unit[history].T
        mine = np.einsum("ij,ij->i", unit[ids[valid]], unit[near[valid]])
        np.testing.assert_allclose(mine, cosines.max(axis=1), atol=1e-6)
        expected = reasons.because(served, ids[valid], history, "played")
        same += reasons.played(served, near[valid].tolist()) == expected
    assert same >= 0.9 * outcome.artifact.model.n_users


def test_a_second_worker_maps_the_first_ones_ranking_and_reasons(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    store, outcome = trained
    first = load(store, outcome, tmp_path / "cache", candidates=30)
    second = load(store, outcome, tmp_path / "cache", candidates=30)
    assert not second.top.ids.flags.writeable  # mapped from the first one's files
    assert first.top.near is not None and second.top.near is not None
    np.testing.assert_array_equal(first.top.ids, second.top.ids)
    np.testing.assert_array_equal(first.top.near, second.top.near)
    np.testing.assert_array_equal(first.top.scores, second.top.scores)


def test_a_new_listeners_popular_list_is_picked_once_per_filters_and_limit(
    trained: tuple[Store, Outcome], tmp_path: Path
) -> None:
    """Listeners the model does not know get the popularity list under their filters; it
    is picked once per version, filters and limit, and every later answer is the one the
    whole ranking gives (never another filters' or limit's list)."""
    store, outcome = trained
    served = load(store, outcome, tmp_path / "cache")
    fresh = FreshListening(store.sessions, poll_seconds=3600)
    rng = np.random.default_rng(11)
    asks = [(random_filters(rng, served), int(rng.integers(1, 30))) for _ in range(12)]
    asks += [(Filters(kind="track", max_per_artist=2), 20), (Filters(), 20), (Filters(), 5)]
    for round_ in range(2):
        for n, (filters, limit) in enumerate(asks):
            answer = for_user(served, fresh, store.sessions, user_id=f"new-{round_}-{n}",
                              limit=limit, filters=filters, exclude_listened=True)  # fmt: skip
            whole = Ranked(served.popular, served.popular_scores)
            expected = pick(served, whole, filters, limit)
            body = orjson.loads(answer.body)
            assert body["source"] == "popular"
            ids = served.catalog.item_id_list
            assert [d["id"] for d in body["data"]] == [ids[i] for i in expected.dense]
            assert [d["score"] for d in body["data"]] == expected.scores
    assert len(served.popular_picks) == len(set(asks))
