"""Splits: the reference random split, temporal without leaks, leave-last-N, ground truth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from implicit.evaluation import train_test_split

from recsys.errors import SplitError
from recsys.interactions import Interactions
from recsys.splits import SplitSpec, last_n_split, random_split, temporal_split

DAY = 86_400.0


def events() -> Interactions:
    """Three users over ten days; item "late" is only ever played after day 7."""
    rows = [
        ("ana", "a", 1), ("ana", "b", 2), ("ana", "c", 3), ("ana", "a", 8), ("ana", "d", 9),
        ("ben", "b", 1), ("ben", "c", 2), ("ben", "late", 8), ("ben", "e", 9),
        ("cid", "d", 8), ("cid", "e", 9),
    ]  # fmt: skip
    users, items, days = zip(*rows, strict=True)
    return Interactions.from_columns(
        users, items, np.ones(len(rows)), np.array(days, dtype=float) * DAY
    )


def pairs(matrix: sp.csr_matrix, data: Interactions) -> set[tuple[str, str]]:
    coo = matrix.tocoo()
    users = data.user_ids.external(coo.row)
    return {(str(u), str(i)) for u, i in zip(users, coo.col, strict=True)}


def test_random_split_is_implicits_split() -> None:
    rng = np.random.default_rng(1)
    dense = (rng.random((40, 30)) < 0.3) * rng.integers(1, 9, (40, 30))
    matrix = sp.csr_matrix(dense, dtype=np.float32)
    ours = random_split(matrix, test_share=0.2, seed=42)
    train, test = train_test_split(matrix, 0.8, random_state=42)
    assert (ours.train != train).nnz == 0
    assert ((ours.test > 0) != (test > 0)).nnz == 0
    assert ours.train.multiply(ours.test).nnz == 0


def test_temporal_split_never_trains_on_later_events() -> None:
    data = events()
    split = temporal_split(data, cutoff=5 * DAY)
    assert split.interactions is not None and split.interactions.timestamps is not None
    assert split.interactions.timestamps.max() < 5 * DAY
    item_names = split.interactions.item_ids
    train = {(str(data.user_ids.external([u])[0]), str(item_names.external([i])[0]))
             for u, i in zip(*split.train.nonzero(), strict=True)}  # fmt: skip
    assert train == {("ana", "a"), ("ana", "b"), ("ana", "c"), ("ben", "b"), ("ben", "c")}
    test = {(str(data.user_ids.external([u])[0]), str(item_names.external([i])[0]))
            for u, i in zip(*split.test.nonzero(), strict=True)}  # fmt: skip
    # "late" and "d"/"e" were never played before the cut-off: not in the catalog; cid had
    # no history, so is not tested
    assert test == {("ana", "a")}
    assert list(item_names.ids) == ["a", "b", "c"]


def test_filtered_items_are_left_out_of_the_ground_truth() -> None:
    split = temporal_split(events(), cutoff=5 * DAY)
    assert split.ground_truth(exclude_train=False).nnz == 1  # ana plays "a" again
    assert split.ground_truth(exclude_train=True).nnz == 0


def test_default_cutoff_holds_out_the_latest_share() -> None:
    split = temporal_split(events(), test_share=0.5)
    assert "trained before 1970-01-09" in split.description


def test_last_n_holds_out_each_users_latest_events() -> None:
    data = events()
    split = last_n_split(data, n=1)
    test = split.test.nonzero()
    names = split.interactions.item_ids if split.interactions else data.item_ids
    held = {(str(data.user_ids.external([u])[0]), str(names.external([i])[0]))
            for u, i in zip(*test, strict=True)}  # fmt: skip
    # the last plays are ana "d", ben "e" and cid "e"; "e" was never played in training, so
    # it cannot be recommended and is not counted, while cid's earlier "d" puts "d" in
    # the catalog
    assert held == {("ana", "d")}
    assert split.train[data.user_ids.index(["cid"])[0]].nnz == 1


def test_recency_decay_halves_a_play_per_half_life() -> None:
    data = Interactions.from_columns(["u", "u"], ["old", "new"], [1.0, 1.0], [0.0, 10 * DAY])
    weights = data.matrix(half_life_days=5).toarray()[0][data.item_ids.index(["old", "new"])]
    np.testing.assert_allclose(weights, [0.25, 1.0])
    halfway = data.matrix(half_life_days=5, now=5 * DAY).toarray()[0]
    np.testing.assert_allclose(halfway[data.item_ids.index(["old"])], [0.5])


def test_splits_that_need_time_refuse_untimed_data() -> None:
    untimed = Interactions.from_columns([1, 2], [1, 1], [3.0, 4.0])
    with pytest.raises(SplitError, match="timestamps"):
        SplitSpec("temporal").apply(untimed)
    with pytest.raises(SplitError, match="timestamps"):
        SplitSpec("last-n").apply(untimed)


def test_validation_is_carved_from_training_only() -> None:
    spec = SplitSpec("temporal", test_share=0.3)
    data = events()
    split = spec.apply(data)
    validation = spec.validation(split)
    assert validation.interactions is not None and validation.interactions.timestamps is not None
    assert split.interactions is not None and split.interactions.timestamps is not None
    assert validation.interactions.timestamps.max() <= split.interactions.timestamps.max()
    assert validation.train.nnz + validation.test.nnz <= split.train.nnz


def test_sessions_become_users() -> None:
    minutes = np.array([0, 10, 25, 200, 210, 0, 5], dtype=float) * 60
    data = Interactions.from_columns(
        ["me"] * 5 + ["you"] * 2, ["a", "b", "c", "a", "d", "b", "c"], np.ones(7), minutes
    )
    sessions = data.by_session(30)
    assert sessions.n_users == 3
    sizes = sorted(np.bincount(sessions.users).tolist())
    assert sizes == [2, 2, 3]
    assert sessions.item_ids is data.item_ids


def test_id_maps_find_known_ids_only() -> None:
    data = Interactions.from_columns(["ab", "abc"], [10, 20], [1.0, 1.0])
    assert data.user_ids.index(["abc", "abcd", "ab", "b"]).tolist() == [1, -1, 0, -1]
    assert data.item_ids.index([20, 15, 10]).tolist() == [1, -1, 0]
    assert data.item_ids.index(["10"]).tolist() == [-1]
