"""``encore evaluate`` as a user runs it: files or the store, tables, JSON, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from service.cli.main import load
from tests.service.test_cli import run

app = load()  # every command registered


def interactions_csv(path: Path) -> Path:
    """Two taste communities of 20 users, timestamps rising through the rows."""
    rng = np.random.default_rng(0)
    lines = ["user,item,weight,ts"]
    for user in range(40):
        community = user % 2
        for item in rng.choice(10, size=6, replace=False):
            ts = 1_700_000_000 + len(lines) * 60
            lines.append(f"u{user},i{community}-{item},{rng.integers(1, 20)},{ts}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_evaluate_a_file_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    data = interactions_csv(tmp_path / "plays.csv")
    out = run(
        "evaluate", "--interactions", str(data), "--format", "csv", "--split", "random",
        "--seed", "3", "--model", "als", "--model", "item-knn", "--k", "5,10",
        "--json", str(tmp_path / "report.json"),
        db="sqlite:///unused.db", cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "split: random" in out.stdout and "@10" in out.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert [m["name"] for m in report["models"]] == ["popularity", "als", "item-knn"]
    assert report["split"]["kind"] == "random" and report["ks"] == [5, 10]
    als = report["models"][1]
    assert set(als["metrics"]) >= {"ndcg@5", "map@10", "coverage@10", "novelty@5"}
    assert als["params"]["family"] == "als" and len(als["params_hash"]) == 16
    assert not (tmp_path / "unused.db").exists()  # a file evaluation never opens the store


def test_evaluate_the_store_splits_by_time(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    assert run("db", "upgrade", db=db, cwd=tmp_path).returncode == 0
    assert run("data", "sample", db=db, cwd=tmp_path).returncode == 0
    out = run("evaluate", "--k", "5", "--model", "item-knn", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "data: the store" in out.stdout and "split: temporal" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interactions", "missing.csv"], "error: no such file: missing.csv"),
        (["--interactions", "x.csv", "--format", "xls"], "error: --format 'xls'"),
        (["--split", "sideways"], "error: --split 'sideways'"),
        (["--k", "ten"], "error: --k 'ten'"),
        (["--k", "0"], "error: --k '0'"),
        (["--model", "magic"], "error: --model 'magic'"),
        (["--level", "album"], "error: --level 'album'"),
    ],
)
def test_bad_options_give_one_error_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["evaluate", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_split_the_data_cannot_support_is_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "counts.csv"
    data.write_text("u1,a,3\nu2,a,1\nu2,b,2\n")
    result = CliRunner().invoke(
        app, ["evaluate", "--interactions", str(data), "--format", "csv", "--split", "temporal"]
    )
    assert result.exit_code == 1
    assert "error: a temporal split needs timestamps" in result.stderr
