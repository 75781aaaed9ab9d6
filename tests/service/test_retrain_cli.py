"""``encore retrain`` and ``encore models`` on both databases: a synthetic history is
trained on, measured against popularity, recorded, promoted and rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from models.engine import make_engine
from models.model_versions import ModelVersion, VersionStatus
from recsys.retrain import should_promote
from service.cli.main import load
from tests.service.test_cli import run

app = load()  # every command registered

SYNTH = ("data", "synth", "--users", "200", "--events", "20000", "--seed", "1",
         "--start", "2024-01-01", "--end", "2024-07-01")  # fmt: skip


def statuses(db: str) -> dict[int, VersionStatus]:
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(select(ModelVersion.id, ModelVersion.status)).all()
    engine.dispose()
    return {int(i): VersionStatus(s) for i, s in rows}


def test_retrain_records_versions_then_promote_and_rollback(db_url: str, tmp_path: Path) -> None:
    env = {"ENCORE_DATABASE_URL": db_url, "ENCORE_MODELS__DIR": str(tmp_path / "models")}

    def encore(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    assert encore(*SYNTH).exit_code == 0
    # a real process: popularity only ties the baseline, so auto keeps it a candidate
    tie = run("retrain", "--model", "popular", db=db_url, cwd=tmp_path, **env)
    assert tie.returncode == 0, tie.stderr
    for expected in ("200 users", "non-zeros", "time: read", "ndcg@10", "kept as a candidate"):
        assert expected in tie.stdout
    assert len(tie.stdout.splitlines()) < 25  # one screen
    assert encore("retrain", "--model", "itemknn", "--promote", "always").exit_code == 0
    unmeasured = encore("retrain", "--model", "als", "--no-eval")
    assert unmeasured.exit_code == 0 and "holdout: skipped" in unmeasured.stdout
    assert statuses(db_url) == {1: "candidate", 2: "active", 3: "candidate"}
    assert len(list((tmp_path / "models").iterdir())) == 3
    listing = encore("models", "list")
    assert listing.exit_code == 0 and "item-knn" in listing.stdout and "active" in listing.stdout
    assert encore("models", "promote", "3").exit_code == 0
    assert statuses(db_url) == {1: "candidate", 2: "retired", 3: "active"}
    back = encore("models", "rollback")
    assert back.exit_code == 0 and "version 2" in back.stdout
    assert statuses(db_url) == {1: "candidate", 2: "active", 3: "retired"}
    again = encore("models", "rollback")
    assert again.exit_code == 1 and "no earlier promoted version" in again.stderr
    missing = encore("models", "promote", "99")
    assert missing.exit_code == 1 and "no model version 99" in missing.stderr
    damaged = next(p for p in (tmp_path / "models").iterdir() if p.name.startswith("als-"))
    (damaged / "ids.npz").write_bytes(b"not an npz")
    refused = encore("models", "promote", "3")
    assert refused.exit_code == 1 and "does not match its checksum" in refused.stderr
    assert statuses(db_url)[2] == "active"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "nope"), "--model 'nope': use one of auto, tuned, als, bpr"),
        (("--promote", "sometimes"), "--promote 'sometimes': use one of auto"),
    ],
)
def test_bad_retrain_arguments_are_one_error_line(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(app, ["retrain", *args])
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("mode", "score", "to_beat", "promoted"),
    [
        ("auto", 0.3, 0.2, True),
        ("auto", 0.2, 0.2, False),
        ("auto", None, 0.2, False),
        ("auto", 0.1, None, True),
        ("always", None, 0.9, True),
        ("never", 0.9, 0.1, False),
    ],
)
def test_when_a_candidate_is_promoted(
    mode: str, score: float | None, to_beat: float | None, promoted: bool
) -> None:
    assert should_promote(mode, score, to_beat) is promoted  # type: ignore[arg-type]
