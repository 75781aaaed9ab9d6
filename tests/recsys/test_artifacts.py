"""Artifacts: a model written with its ids and matrix comes back identical, and a
directory whose files no longer match their checksums is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recsys.artifacts import FILES, DataWindow, load_artifact, write_artifact
from recsys.errors import CorruptArtifact
from recsys.interactions import IdMap
from recsys.registry import make_model
from tests.recsys.conftest import CONTRACT_MODELS, block_matrix

WINDOW = DataWindow(since=1_700_000_000.0, until=1_700_086_400.0, events=40, users=10, items=10)


def written(root: Path, family: str = "als") -> Path:
    matrix = block_matrix()
    model = make_model(CONTRACT_MODELS[family])
    model.fit(matrix)
    users = IdMap(np.arange(100, 110, dtype=np.int64))
    items = IdMap(np.arange(500, 510, dtype=np.int64))
    artifact = write_artifact(
        root, model, user_ids=users, item_ids=items, user_items=matrix,
        window=WINDOW, metrics={"model": {"ndcg@10": 0.5}},
    )  # fmt: skip
    return artifact.path


@pytest.mark.parametrize("family", ["als", "item-knn-bm25", "popularity"])
def test_round_trip_gives_the_same_recommendations(tmp_path: Path, family: str) -> None:
    path = written(tmp_path, family)
    assert path.parent == tmp_path and path.name.startswith(
        make_model(CONTRACT_MODELS[family]).family
    )
    loaded = load_artifact(path)
    original = make_model(CONTRACT_MODELS[family])
    original.fit(block_matrix())
    users = np.arange(10)
    expected = original.recommend(users, block_matrix(), N=3)
    got = loaded.model.recommend(users, loaded.user_items, N=3)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    assert loaded.user_ids.external([0]).tolist() == [100]
    assert loaded.item_ids.index([509]).tolist() == [9]
    assert loaded.window == WINDOW and loaded.metrics == {"model": {"ndcg@10": 0.5}}
    meta = json.loads((path / "meta.json").read_text())
    assert set(meta["files"]) == set(FILES) and meta["checksum"] == loaded.checksum
    assert meta["params"]["family"] == loaded.model.family
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no staging dir left


@pytest.mark.parametrize("name", FILES)
def test_a_changed_file_is_refused(tmp_path: Path, name: str) -> None:
    path = written(tmp_path)
    data = bytearray((path / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (path / name).write_bytes(bytes(data))
    with pytest.raises(CorruptArtifact, match="does not match its checksum"):
        load_artifact(path)


def test_a_missing_sidecar_or_other_recorded_checksum_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path)
    with pytest.raises(CorruptArtifact, match="artifact checksum"):
        load_artifact(path, checksum="0" * 64)
    (path / "meta.json").unlink()
    with pytest.raises(CorruptArtifact, match="sidecar"):
        load_artifact(path)
