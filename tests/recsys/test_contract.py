"""One behavioural contract, run against every model family (as implicit's test mixin)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.errors import ModelFileError, ModelNotReady, UnknownUser
from recsys.params import ModelParams, params_hash
from recsys.recommender import Recommender
from recsys.registry import PRESETS, make_model, preset
from recsys.topn import top_n
from tests.recsys.conftest import CONTRACT_MODELS

COLLABORATIVE = [name for name in CONTRACT_MODELS if name != "popularity"]


def fitted(params: ModelParams, matrix: sp.csr_matrix) -> Recommender:
    model = make_model(params)
    model.fit(matrix)
    return model


@pytest.fixture(params=list(CONTRACT_MODELS))
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_recommend_shapes_and_types(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, scores = model.recommend(np.arange(10), block, N=3)
    assert ids.shape == scores.shape == (10, 3)
    assert ids.dtype == np.int32 and scores.dtype == np.float32
    assert (scores[:, :-1] >= scores[:, 1:]).all()  # best first


def test_recommend_leaves_out_what_users_played(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, _ = model.recommend(np.arange(10), block, N=5)
    for user in range(10):
        played = set(block[user].indices)
        assert not played & set(ids[user][ids[user] >= 0].tolist())


def test_rows_short_of_candidates_are_padded(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, scores = model.recommend([0], block[[0]], N=12)  # 10 items, 4 played
    assert (ids[0, 6:] == -1).all() and np.isneginf(scores[0, 6:]).all()
    assert (ids[0, :1] >= 0).all()


def test_unfiltered_recommendations_may_repeat_plays(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, _ = model.recommend(np.arange(10), block, N=10, filter_already_liked=False)
    assert (ids[ids >= 0] < 10).all()
    if name in ("popularity", "als", "bpr", "lmf"):  # they score every item
        assert (ids >= 0).all()


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_collaborative_models_find_the_missing_item(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, _ = model.recommend(np.arange(10), block, N=1)
    assert ids[:, 0].tolist() == list(range(10))


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_similar_items_come_from_the_same_community(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, _ = model.similar_items(np.arange(10), N=2)
    assert ((ids // 5) == (np.arange(10) // 5)[:, None]).all()


def test_similar_items_never_returns_the_item_itself(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    ids, scores = model.similar_items([0, 3, 7], N=9)
    assert ids.shape == scores.shape == (3, 9)
    for row, item in enumerate([0, 3, 7]):
        assert item not in ids[row].tolist()


def test_save_and_load_give_identical_answers(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    loaded = Recommender.load(buffer)
    assert type(loaded) is type(model)
    assert loaded.params == model.params and loaded.params_hash == model.params_hash
    before = model.recommend(np.arange(10), block, N=4)
    after = loaded.recommend(np.arange(10), block, N=4)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_array_equal(
        model.similar_items(np.arange(10), N=3)[0], loaded.similar_items(np.arange(10), N=3)[0]
    )


def test_fits_with_the_same_seed_are_identical(name: str, block: sp.csr_matrix) -> None:
    first = fitted(CONTRACT_MODELS[name], block).recommend(np.arange(10), block, N=5)
    second = fitted(CONTRACT_MODELS[name], block).recommend(np.arange(10), block, N=5)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_allclose(first[1], second[1])


def test_an_unfitted_model_is_not_ready(name: str, block: sp.csr_matrix) -> None:
    model = make_model(CONTRACT_MODELS[name])
    with pytest.raises(ModelNotReady):
        model.recommend([0], block[[0]])
    with pytest.raises(ModelNotReady):
        model.save(io.BytesIO())


def test_unknown_users_are_refused(name: str, block: sp.csr_matrix) -> None:
    model = fitted(CONTRACT_MODELS[name], block)
    with pytest.raises(UnknownUser):
        model.recommend([10], sp.csr_matrix((1, 10), dtype=np.float32))


def test_every_preset_builds_and_fits(block: sp.csr_matrix) -> None:
    for preset_name in PRESETS:
        model = make_model(preset(preset_name, seed=3))
        model.fit(block)
        assert model.recommend([0], block[[0]], N=2)[0].shape == (1, 2)


def test_params_hash_is_stable_and_sensitive() -> None:
    als = preset("als")
    assert params_hash(als) == params_hash(preset("als"))
    assert params_hash(als) != params_hash(preset("als", seed=7))
    assert params_hash(als) != params_hash(preset("encore"))
    assert len(params_hash(als)) == 16


def test_loading_a_file_that_is_not_a_model_fails_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        Recommender.load(junk)
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ModelFileError, match="not an Encore model"):
        Recommender.load(tmp_path / "other.npz")


def test_top_n_breaks_ties_on_the_lower_index() -> None:
    scores = np.array([[1.0, 3.0, 3.0, 0.0, 3.0], [-np.inf, 2.0, -np.inf, 2.0, -np.inf]])
    ids, best = top_n(scores, 2)
    assert ids.tolist() == [[1, 2], [1, 3]]
    ids, best = top_n(scores, 4)
    assert ids.tolist() == [[1, 2, 4, 0], [1, 3, -1, -1]]
    assert np.isneginf(best[1, 2:]).all()
