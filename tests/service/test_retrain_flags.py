"""``encore retrain`` flags, fair auto promotion, failures, pruning and ``encore tune``,
through real processes and typer's runner, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from models.engine import make_engine
from models.model_versions import ModelVersion
from service.cli.main import load
from tests.service.test_retrain_cli import statuses

app = load()  # every command registered

SYNTH = ("data", "synth", "--users", "300", "--events", "30000", "--seed", "1",
         "--start", "2024-01-01", "--end", "2024-07-01")  # fmt: skip


class Cli:
    """``encore`` in-process against one database and models folder."""

    def __init__(self, db: str, models: Path, **env: str) -> None:
        self.env = {"ENCORE_DATABASE_URL": db, "ENCORE_MODELS__DIR": str(models), **env}

    def __call__(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(app, list(args), env={**self.env, **env})


def rows(db: str) -> dict[int, dict[str, object]]:
    engine = make_engine(db)
    table = ModelVersion.__table__
    with engine.connect() as conn:
        found = {int(r.id): dict(r._mapping) for r in conn.execute(select(table))}
    engine.dispose()
    return found


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    encore = Cli(db_url, tmp_path / "models")
    assert encore(*SYNTH).exit_code == 0
    return encore


def test_model_flags_reach_the_recorded_parameters(cli: Cli, db_url: str) -> None:
    out = cli(
        "retrain", "--model", "als", "--factors", "8", "--iterations", "3",
        "--regularization", "0.5", "--alpha", "2", "--bm25-k1", "3", "--promote", "never",
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert "with --factors 8" in out.stdout and "kept as a candidate" in out.stdout
    params = rows(db_url)[1]["params"]
    assert isinstance(params, dict)
    assert (params["factors"], params["iterations"]) == (8, 3)
    assert (params["regularization"], params["alpha"]) == (0.5, 2.0)
    assert params["weighting"] == {"kind": "bm25", "k1": 3.0, "b": 0.8}


def test_since_and_until_bound_the_training_window(cli: Cli, db_url: str) -> None:
    out = cli("retrain", "--model", "popular", "--no-eval", "--since", "2024-03-01",
              "--until", "2024-04-01T00:00:00+00:00")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    row = rows(db_url)[1]
    assert 1709251200 <= float(row["data_since"]) < float(row["data_until"]) < 1711929600  # type: ignore[arg-type]
    empty = cli("retrain", "--since", "2030-01-01")
    assert empty.exit_code == 1 and "in the window asked for" in empty.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--factors", "0"), "--factors must be positive, not 0"),
        (("--model", "bpr", "--alpha", "2"), "--alpha does not apply to bpr"),
        (("--model", "popular", "--factors", "8"), "--factors does not apply to popularity"),
        (("--weighting", "loud"), "--weighting 'loud': use one of"),
        (("--since", "2024-13-01"), "--since '2024-13-01': give a date like"),
        (("--until", "2024-01-01T10:00:00"), "a time with an offset"),
        (("--since", "2024-05-01", "--until", "2024-04-01"), "is not before --until"),
        (
            (
                "--model",
                "tuned",
            ),
            "no tuned parameters at",
        ),
    ],
)
def test_bad_retrain_values_are_one_error_line(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    result = Cli("sqlite:///" + str(tmp_path / "none.db"), tmp_path / "models")("retrain", *args)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_auto_promotion_rescores_the_active_model_on_the_same_holdout(
    cli: Cli, db_url: str
) -> None:
    assert cli("retrain", "--model", "popular", "--promote", "always").exit_code == 0
    # the active version's recorded score, from another window, is not what counts
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(ModelVersion).values(metrics={"model": {"ndcg@10": 0.99}}))
    engine.dispose()
    out = cli("retrain", "--model", "itemknn")
    assert out.exit_code == 0, out.stderr
    assert "active: version 1 (popularity)" in out.stdout
    assert "version 1 re-scored on this holdout" in out.stdout
    metrics = rows(db_url)[2]["metrics"]
    assert isinstance(metrics, dict)
    rescored, candidate = metrics["active"]["ndcg@10"], metrics["model"]["ndcg@10"]
    assert rescored == metrics["baseline"]["ndcg@10"]  # popularity re-fitted: the baseline
    assert candidate > rescored and "promoted: now active" in out.stdout
    assert statuses(db_url) == {1: "retired", 2: "active"}
    # the same configuration again is compared with popularity, and the newer one wins
    again = cli("retrain", "--model", "itemknn")
    assert "this configuration on older data" in again.stdout
    assert statuses(db_url) == {1: "retired", 2: "retired", 3: "active"}
    # a worse configuration never goes live
    worse = cli("retrain", "--model", "popular")
    assert worse.exit_code == 0 and "kept as a candidate" in worse.stdout
    assert statuses(db_url)[3] == "active"


def test_a_retrain_that_fails_midway_leaves_the_active_model(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("retrain", "--model", "itemknn", "--promote", "always").exit_code == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models folder should be")
    failed = cli("retrain", "--model", "itemknn", "--promote", "always",
                 ENCORE_MODELS__DIR=str(blocker / "models"))  # fmt: skip
    assert failed.exit_code == 1 and failed.stderr.startswith("error: ")
    assert statuses(db_url) == {1: "active"}
    listing = cli("models", "list")
    assert "active" in listing.stdout


def test_old_artifacts_are_pruned_but_never_the_active_or_rollback_one(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    for promote in ("always", "always", "never"):
        out = cli("retrain", "--model", "popular", "--no-eval", "--promote", promote)
        assert out.exit_code == 0, out.stderr
    kept = cli("retrain", "--model", "popular", "--no-eval", "--promote", "never",
               ENCORE_MODELS__KEEP="1")  # fmt: skip
    assert kept.exit_code == 0 and "pruned the artifacts of versions 3" in kept.stdout
    found = rows(db_url)
    assert [v for v, r in found.items() if r["pruned_at"] is not None] == [3]
    assert not Path(str(found[3]["path"])).exists()
    assert all(Path(str(found[v]["path"])).exists() for v in (1, 2, 4))
    listing = cli("models", "list")
    assert "candidate, pruned" in listing.stdout
    refused = cli("models", "promote", "3")
    assert refused.exit_code == 1 and "was pruned" in refused.stderr
    assert cli("models", "rollback").exit_code == 0
    assert statuses(db_url)[1] == "active"
    assert sorted(p.name for p in models.iterdir()) == sorted(
        Path(str(found[v]["path"])).name for v in (1, 2, 4)
    )


def test_bad_keep_setting_is_one_error_line(tmp_path: Path) -> None:
    out = Cli("sqlite:///" + str(tmp_path / "x.db"), tmp_path / "m")(
        "retrain", ENCORE_MODELS__KEEP="0"
    )
    assert out.exit_code == 1 and "ENCORE_MODELS__KEEP" in out.stderr


def test_tune_on_the_store_writes_parameters_that_retrain_then_uses(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    out = cli("tune", "--budget", "60", "--trials", "2", "--family", "itemknn", "--seed", "3")
    assert out.exit_code == 0, out.stderr
    assert (
        "defaults: validation ndcg@10" in out.stdout and "test (not used to choose)" in out.stdout
    )
    tuned = json.loads((tmp_path / "models" / "tuned.json").read_text())
    assert tuned["trials"] == 3 and tuned["validation"]["best"] >= tuned["validation"]["defaults"]
    trained = cli("retrain", "--promote", "never")
    assert trained.exit_code == 0, trained.stderr
    assert "from tuned parameters" in trained.stdout
    assert rows(db_url)[1]["params"] == tuned["params"]


def test_tune_on_a_file_never_touches_the_store(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    lines = ["user,item,weight"]
    for user in range(60):
        taste = user % 3
        for item in rng.choice(np.arange(taste * 20, taste * 20 + 30), size=12, replace=False):
            lines.append(f"u{user},i{item},{rng.integers(1, 9)}")
    data = tmp_path / "plays.csv"
    data.write_text("\n".join(lines) + "\n")
    target = tmp_path / "out" / "best.json"
    encore = Cli("sqlite:///" + str(tmp_path / "never-created.db"), tmp_path / "models")
    out = encore("tune", "--interactions", str(data), "--format", "csv", "--budget", "30",
                 "--trials", "1", "--output", str(target))  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert "20% of entries held out at random" in out.stdout
    assert json.loads(target.read_text())["params"]["family"] in ("als", "bpr", "lmf", "item-knn")
    assert not (tmp_path / "never-created.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--budget", "0"), "--budget 0.0: give a positive number"),
        (("--family", "svd"), "--family 'svd': use one of"),
        (("--interactions", "missing.csv"), "no such file"),
        (("--split", "sideways"), "--split 'sideways': use one of"),
    ],
)
def test_bad_tune_values_are_one_error_line(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    result = Cli("sqlite:///" + str(tmp_path / "none.db"), tmp_path / "m")("tune", *args)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
