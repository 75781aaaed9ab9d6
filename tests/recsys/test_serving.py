"""What serving needs beyond the model: fold-in of listeners known only by their rows,
artist neighbours from the user x artist aggregation, and the serving extras written
into (and checksummed with) an artifact."""

from __future__ import annotations

from pathlib import Path

import implicit.cpu.als
import numpy as np
import pytest
import scipy.sparse as sp

from recsys import artists
from recsys.artifacts import SERVING, DataWindow, load_artifact, write_artifact
from recsys.errors import CorruptArtifact
from recsys.interactions import Interactions
from recsys.registry import make_model
from recsys.serving import RECENT_DAYS, from_interactions
from tests.recsys.conftest import CONTRACT_MODELS, block_matrix

FAMILIES = ["als", "bpr", "lmf", "item-knn-bm25", "popularity"]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_listener_given_only_by_their_row_gets_what_a_trained_one_gets(family: str) -> None:
    matrix = block_matrix()
    model = make_model(CONTRACT_MODELS[family])
    model.fit(matrix)
    ids, _ = model.recommend_rows(matrix[[0, 7]], N=1)
    if family == "popularity":
        expected, _ = model.recommend([0, 7], matrix[[0, 7]], N=1)
        np.testing.assert_array_equal(ids, expected)
    else:  # each user's missing item of their community, as for trained users
        assert ids[:, 0].tolist() == [0, 7]


def test_als_fold_in_is_the_user_step_of_training() -> None:
    matrix = block_matrix()
    model = make_model(CONTRACT_MODELS["als"])
    model.fit(matrix)
    reference = implicit.cpu.als.AlternatingLeastSquares(
        factors=4, regularization=0.1, alpha=1.0, num_threads=1
    )
    reference.item_factors = model.item_factors  # type: ignore[attr-defined]
    weighted = model.weighting.transform(matrix[[3]])  # type: ignore[attr-defined]
    expected = reference.recalculate_user(0, weighted)
    np.testing.assert_allclose(model.fold_in(matrix[[3]])[0], expected, rtol=1e-4)  # type: ignore[attr-defined]
    # and close to the factors training left the user with
    trained = model.user_factors[3]  # type: ignore[attr-defined]
    cos = expected @ trained / np.linalg.norm(expected) / np.linalg.norm(trained)
    assert cos > 0.99


def test_als_fold_in_follows_new_item_factors() -> None:
    """The fold-in keeps its solver (and the factors' Gram matrix) between calls; a model
    fitted again, or loaded, has new factors, and the next fold-in uses them."""
    matrix = block_matrix()
    model = make_model(CONTRACT_MODELS["als"])
    model.fit(matrix)
    first = model.fold_in(matrix[[3]])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(model.fold_in(matrix[[3]]), first)  # type: ignore[attr-defined]
    model.fit(matrix[:, ::-1].tocsr())  # the items in reverse: other factors
    reference = implicit.cpu.als.AlternatingLeastSquares(
        factors=4, regularization=0.1, alpha=1.0, num_threads=1
    )
    reference.item_factors = model.item_factors  # type: ignore[attr-defined]
    weighted = model.weighting.transform(matrix[[3]])  # type: ignore[attr-defined]
    expected = reference.recalculate_user(0, weighted)
    got = model.fold_in(matrix[[3]])[0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert not np.allclose(got, first[0], rtol=1e-2)


def interactions() -> Interactions:
    """Four users; artists 70 (items 1, 2) and 71 (item 3) share listeners, 72 (item 4)
    has its own; the last 30 days hold two listeners of item 1 and one of item 4."""
    day = 86_400.0
    t = 1_700_000_000.0
    rows = [  # user, item, artist, ts
        (1, 1, 70, t), (1, 3, 71, t), (2, 2, 70, t), (2, 3, 71, t),
        (3, 4, 72, t), (4, 4, 72, t + 40 * day), (1, 1, 70, t + 45 * day),
        (2, 1, 70, t + 46 * day),
    ]  # fmt: skip
    users, items, arts, ts = (np.array(c) for c in zip(*rows, strict=True))
    return Interactions.from_columns(users, items, np.ones(len(rows)), ts, artists=arts)


def test_serving_extras_from_interactions() -> None:
    data = interactions()
    extras = from_interactions(data, data.matrix())
    assert extras is not None
    assert extras.artist_ids.ids.tolist() == [70, 71, 72]
    assert extras.item_artist.tolist() == [0, 0, 1, 2]
    assert extras.first_heard.tolist() == [data.timestamps.min()] * 3 + [  # type: ignore[union-attr]
        data.timestamps.min()  # type: ignore[union-attr]
    ]
    assert RECENT_DAYS == 30
    assert extras.recent_listeners.tolist() == [2, 0, 0, 1]
    near, cos = artists.nearest(extras.artist_similarity, 0, 5)
    assert near.tolist() == [1]  # 72 shares no listener with 70
    # users 1 and 2 each have artist 70 twice or more and 71 once: the columns' cosine
    ua = artists.user_artists(data.matrix(), extras.item_artist, 3).toarray()
    expected = ua[:, 0] @ ua[:, 1] / np.linalg.norm(ua[:, 0]) / np.linalg.norm(ua[:, 1])
    np.testing.assert_allclose(cos, [expected], rtol=1e-5)


def test_serving_extras_are_written_and_checksummed(tmp_path: Path) -> None:
    data = interactions()
    matrix = data.matrix()
    model = make_model(CONTRACT_MODELS["item-knn-bm25"])
    model.fit(matrix)
    window = DataWindow(since=0.0, until=1.0, events=8, users=4, items=4)
    art = write_artifact(
        tmp_path, model, user_ids=data.user_ids, item_ids=data.item_ids,
        user_items=sp.csr_matrix(matrix), window=window, metrics={},
        serving=from_interactions(data, matrix),
    )  # fmt: skip
    loaded = load_artifact(art.path)
    assert loaded.serving is not None
    assert loaded.serving.recent_listeners.tolist() == [2, 0, 0, 1]
    raw = bytearray((art.path / SERVING).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (art.path / SERVING).write_bytes(bytes(raw))
    with pytest.raises(CorruptArtifact, match="checksum"):
        load_artifact(art.path)
