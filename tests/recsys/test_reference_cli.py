"""The issue's protocols through ``encore evaluate`` itself (slow: run with ``-m slow``):
the HetRec reference figures on another split seed, and Encore beating popularity on
MovieLens with a temporal split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import load
from tests.recsys.conftest import DATASETS
from tests.recsys.test_reference import HETREC, NOISE, REFERENCE

app = load()  # every command registered

MOVIELENS = DATASETS / "movielens-latest-small" / "ratings.csv"


def evaluate(tmp_path: Path, *args: str) -> dict[str, float]:
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["evaluate", *args, "--k", "10", "--json", str(out)],
        env={"ENCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(out.read_text())
    return {m["name"]: m["metrics"]["ndcg@10"] for m in report["models"]}


@pytest.mark.slow
@pytest.mark.skipif(not HETREC.is_file(), reason=f"no {HETREC}")
def test_evaluate_reproduces_the_hetrec_reference_on_another_seed(tmp_path: Path) -> None:
    models = [a for name in [*REFERENCE, "encore"] for a in ("--model", name)]
    ndcg = evaluate(tmp_path, "--interactions", str(HETREC), "--format", "hetrec",
                    "--split", "random", "--seed", "7", *models)  # fmt: skip
    for name, expected in REFERENCE.items():
        assert ndcg[name] == pytest.approx(expected, abs=NOISE), name
    assert ndcg["encore"] >= 0.20


@pytest.mark.slow
@pytest.mark.skipif(not MOVIELENS.is_file(), reason=f"no {MOVIELENS}")
def test_encore_beats_popularity_on_movielens_with_a_temporal_split(tmp_path: Path) -> None:
    ndcg = evaluate(tmp_path, "--interactions", str(MOVIELENS), "--format", "movielens",
                    "--split", "temporal", "--model", "encore", "--model", "item-knn")  # fmt: skip
    assert ndcg["encore"] > ndcg["popularity"] and ndcg["item-knn"] > ndcg["popularity"]
