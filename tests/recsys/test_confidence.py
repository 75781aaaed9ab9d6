"""Confidence of plays and feedback, and the BM25 / TF-IDF re-weighting."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from implicit.nearest_neighbours import bm25_weight, tfidf_weight

from recsys.confidence import (
    LIKE,
    SAVE,
    SHARE,
    UNLIKE,
    ConfidenceParams,
    feedback_weights,
    play_weights,
)
from recsys.errors import InvalidParams
from recsys.weighting import Weighting, WeightingParams


def test_play_weights_follow_the_documented_rules() -> None:
    ms = np.array([200_000, 100_000, 29_999, 30_000, 20_000, 300_000, 105_000])
    duration = np.array([200_000, 200_000, 200_000, 200_000, 20_000, 0, 210_000])
    skipped = np.array([False, False, False, True, False, False, True])
    got = play_weights(ms, duration, skipped, ConfidenceParams())
    np.testing.assert_allclose(
        got,
        [
            1.0,  # a full play
            0.5,  # half the track
            0.0,  # under 30 s: not a stream
            0.075,  # 30 s of 200 s, skipped: 0.15 x 0.5
            1.0,  # a 20-second item played in full is a stream
            1.0,  # unknown duration: 3.5 min assumed, capped at one play
            0.25,  # half of the assumed duration, skipped
        ],
        rtol=1e-6,
    )


def test_feedback_like_counts_unless_withdrawn() -> None:
    users = np.array([1, 1, 2, 2, 3, 3, 3, 4])
    items = np.array([7, 7, 7, 7, 7, 7, 8, 7])
    kinds = np.array([LIKE, UNLIKE, UNLIKE, LIKE, SAVE, SAVE, SHARE, LIKE], dtype=np.int8)
    ts = np.array([1, 2, 1, 2, 1, 2, 1, 1], dtype=float)
    got = feedback_weights(users, items, kinds, ts, ConfidenceParams(like_weight=2.0))
    # user 1 liked then unliked: nothing; user 2 unliked then liked: the like counts;
    # user 3 saved twice (counted once) and shared; user 4 liked
    np.testing.assert_allclose(got, [0, 0, 0, 2.0, 0, 1.0, 1.0, 2.0])


def test_bad_confidence_params_are_refused() -> None:
    with pytest.raises(InvalidParams):
        ConfidenceParams(skip_factor=1.5)
    with pytest.raises(InvalidParams):
        WeightingParams("bm26")  # type: ignore[arg-type]


def counts() -> sp.csr_matrix:
    rng = np.random.default_rng(3)
    dense = (rng.random((30, 20)) < 0.3) * rng.integers(1, 500, (30, 20))
    return sp.csr_matrix(dense, dtype=np.float32)


def test_bm25_and_tfidf_match_implicit() -> None:
    x = counts()
    ours = Weighting(WeightingParams("bm25", 100.0, 0.8)).fit_transform(x)
    np.testing.assert_allclose(ours.toarray(), bm25_weight(x, 100, 0.8).toarray(), rtol=1e-5)
    ours = Weighting(WeightingParams("tfidf")).fit_transform(x)
    np.testing.assert_allclose(ours.toarray(), tfidf_weight(x).toarray(), rtol=1e-5)


def test_a_fitted_weighting_weighs_any_batch_of_users_alike() -> None:
    x = counts()
    weighting = Weighting(WeightingParams("bm25", 1.2, 0.75)).fit(x)
    whole = weighting.transform(x)
    np.testing.assert_allclose(weighting.transform(x[[3, 7]]).toarray(), whole[[3, 7]].toarray())


def test_weighting_keeps_every_entry() -> None:
    x = sp.csr_matrix(np.ones((3, 2), dtype=np.float32))  # an item everyone played
    for kind in ("bm25", "tfidf", "log", "binary"):
        weighted = Weighting(WeightingParams(kind)).fit_transform(x)
        assert weighted.nnz == 6 and (weighted.data > 0).all()
