"""The budgeted search and the tuned-parameter file ``encore retrain`` reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import scipy.sparse as sp

from recsys.errors import RecsysError, UnknownModel
from recsys.params import ItemKnnParams, params_hash
from recsys.registry import preset
from recsys.splits import random_split
from recsys.tune import load_tuned, save_tuned, search


def test_search_scores_the_defaults_first_and_keeps_the_best(block: sp.csr_matrix) -> None:
    validation = random_split(block, test_share=0.3, seed=1)
    seen: list[float] = []
    found = search(
        validation, ItemKnnParams(), budget_seconds=60, families=["item-knn", "als"],
        max_trials=4, seed=2, on_trial=lambda _p, score: seen.append(score),
    )  # fmt: skip
    assert len(found.trials) == len(seen) == 5
    assert found.trials[0] == (ItemKnnParams(), found.defaults_score)
    assert found.best_score == max(seen) >= found.defaults_score
    assert found.gain >= 1.0
    again = search(validation, ItemKnnParams(), budget_seconds=60, families=["item-knn", "als"],
                   max_trials=4, seed=2)  # fmt: skip
    assert [params_hash(p) for p, _ in again.trials] == [params_hash(p) for p, _ in found.trials]


def test_search_refuses_unknown_families(block: sp.csr_matrix) -> None:
    validation = random_split(block, test_share=0.3, seed=1)
    with pytest.raises(UnknownModel):
        search(validation, ItemKnnParams(), budget_seconds=1, families=["svd"])


def test_tuned_file_round_trips_and_bad_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "models" / "tuned.json"
    with pytest.raises(RecsysError, match="run encore tune first"):
        load_tuned(path)
    save_tuned(path, preset("encore"), {"trials": 3})
    assert load_tuned(path) == preset("encore")
    path.write_text("{not json")
    with pytest.raises(RecsysError, match="cannot read the tuned parameters"):
        load_tuned(path)
    path.write_text('{"params": {"family": "svd"}}')
    with pytest.raises(RecsysError, match="unknown model family"):
        load_tuned(path)
