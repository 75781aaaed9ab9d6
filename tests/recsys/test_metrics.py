"""Ranking metrics: a hand-computed case, and equality with implicit's definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from implicit.evaluation import ranking_metrics_at_k

from recsys.evaluate import score_model
from recsys.metrics import ranking_metrics
from recsys.params import AlsParams, ItemKnnParams
from recsys.registry import make_model
from recsys.splits import random_split


def matrix(rows: dict[int, list[int]], shape: tuple[int, int]) -> sp.csr_matrix:
    pairs = [(u, i) for u, items in rows.items() for i in items]
    users, items = zip(*pairs, strict=True)
    return sp.csr_matrix((np.ones(len(pairs)), (users, items)), shape=shape, dtype=np.float32)


def test_hand_computed_metrics() -> None:
    # user 0 is shown 1, 5, 2 and holds out {1, 2, 7}; user 1 is shown 4, 3, 0 and holds
    # out {0}; user 2 holds out nothing and is not evaluated.
    ids = np.array([[1, 5, 2], [4, 3, 0], [6, 6, 6]], dtype=np.int32)
    truth = matrix({0: [1, 2, 7], 1: [0]}, (3, 8))
    train = matrix({0: [2, 3], 1: [2, 5], 2: [6]}, (3, 8))
    got = ranking_metrics(ids, truth, train, ks=(1, 3))

    ndcg0 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    ndcg1 = (1 / math.log2(4)) / 1
    assert got["precision@3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert got["recall@3"] == pytest.approx((2 / 3 + 1) / 2)
    assert got["ndcg@3"] == pytest.approx((ndcg0 + ndcg1) / 2)
    assert got["map@3"] == pytest.approx(((1 + 2 / 3) / 3 + (1 / 3) / 1) / 2)
    assert got["hit_rate@3"] == 1.0
    assert got["coverage@3"] == pytest.approx(6 / 8)  # items 0 1 2 3 4 5
    # self-information log2(3 / users) over 3 training users; item 2 has two users, the
    # others one or none (which counts as one)
    shown = [1, 5, 2, 4, 3, 0]
    info = [math.log2(3 / 2) if item == 2 else math.log2(3) for item in shown]
    assert got["novelty@3"] == pytest.approx(np.mean(info))
    assert got["precision@1"] == pytest.approx(0.5)
    assert got["ndcg@1"] == pytest.approx(0.5)
    assert got["map@1"] == pytest.approx(0.5)
    assert got["recall@1"] == pytest.approx((1 / 3 + 0) / 2)
    assert got["users"] == 2


def test_padding_never_counts() -> None:
    ids = np.array([[-1, -1]], dtype=np.int32)
    truth = matrix({0: [0]}, (1, 3))
    got = ranking_metrics(ids, truth, truth, ks=(2,))
    assert got["ndcg@2"] == 0 and got["coverage@2"] == 0


@pytest.mark.parametrize(
    "params", [AlsParams(factors=8, iterations=5, seed=3), ItemKnnParams("bm25", neighbours=30)]
)
def test_ndcg_and_map_equal_implicits(params: AlsParams | ItemKnnParams) -> None:
    rng = np.random.default_rng(5)
    dense = (rng.random((80, 60)) < 0.15) * rng.integers(1, 50, (80, 60))
    split = random_split(sp.csr_matrix(dense, dtype=np.float32), seed=9)
    model = make_model(params)
    model.fit(split.train)
    ours = score_model(model, split, ks=(10,))
    # implicit's evaluator calls model.recommend(userids, user_items, N=K): our contract
    theirs = ranking_metrics_at_k(model, split.train, split.test, K=10, show_progress=False)
    assert ours["ndcg@10"] == pytest.approx(theirs["ndcg"])
    assert ours["map@10"] == pytest.approx(theirs["map"])
