"""The model a server answers with survives a retrain that fails or is killed, and a
``model_versions`` row cannot make it load anything but an intact artifact inside the
models directory; on both databases, with a real server and a real ``encore retrain``.

(Checksum mismatches of a promoted artifact are covered in tests/service and
tests/recsys; these add where the artifact is and what a killed job leaves behind.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from data.synth import SynthConfig, build_world, store_history
from models import model_versions
from models.model_versions import ModelVersion, VersionStatus
from service.retraining import Outcome, model_params, retrain
from service.settings import ModelSettings, Settings
from service.store import Store
from tests.utils.server import ENCORE, encore_env

SYNTH = SynthConfig(
    users=100, events=6_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2024, 7, 1, tzinfo=UTC), seed=3,
)  # fmt: skip
LISTENER = "synth-000001"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    return Settings(database_url=db_url, models=models, _env_file=None)


@pytest.fixture
def active(store: Store, settings: Settings) -> Iterator[Outcome]:
    """A history and an active item-kNN version trained on it."""
    store_history(store.engine, store.resolver, build_world(SYNTH))
    yield retrain(store, settings, model_params("itemknn"), evaluate=False, promote="always")


def statuses(store: Store) -> dict[int, VersionStatus]:
    with store.sessions() as session:
        rows = session.execute(select(ModelVersion.id, ModelVersion.status)).all()
    return {int(i): VersionStatus(s) for i, s in rows}


def served_version(client: httpx.Client) -> tuple[int | None, str]:
    body = client.get(f"/v1/users/{LISTENER}/recommendations", params={"limit": 5}).json()
    return body["model_version"], body["source"]


def retrain_process(settings: Settings, cwd: Path, **env: str) -> subprocess.Popen[str]:
    env = {"ENCORE_MODELS__DIR": str(settings.models.dir), **env}
    return subprocess.Popen(
        [ENCORE, "retrain", "--model", "als", "--promote", "always"],
        cwd=cwd, env=encore_env(settings.database_url, **env), text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip


def test_a_failing_retrain_leaves_the_active_model_serving(
    active: Outcome, store: Store, settings: Settings, client: httpx.Client, tmp_path: Path
) -> None:
    assert served_version(client) == (active.version_id, "model")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models directory should be")
    proc = retrain_process(settings, tmp_path, ENCORE_MODELS__DIR=str(blocker / "models"))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "not-a-folder" in lines[-1]
    assert "Traceback" not in err
    assert statuses(store) == {active.version_id: VersionStatus.active}
    assert served_version(client) == (active.version_id, "model")


@pytest.mark.parametrize(
    "phase", ["recsys.store: read", "recsys.retrain: fitted"], ids=["training", "writing"]
)
def test_a_killed_retrain_leaves_the_active_model_serving(
    active: Outcome,
    store: Store,
    settings: Settings,
    client: httpx.Client,
    tmp_path: Path,
    phase: str,
) -> None:
    """Killed once its log says it reached ``phase``: while it trains, or as it writes."""
    proc = retrain_process(settings, tmp_path)
    assert proc.stderr is not None
    for line in proc.stderr:
        if phase in line:
            break
    else:
        pytest.fail(f"encore retrain ended without logging {phase!r}")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert statuses(store) == {active.version_id: VersionStatus.active}
    assert served_version(client) == (active.version_id, "model")
    # what it left on disk is at most a staging directory or an unrecorded artifact
    left = {p.name for p in settings.models.dir.iterdir()} - {active.artifact.path.name}
    assert all(n.startswith(".tmp-") or n.startswith("als-") for n in left)

    again = retrain(store, settings, model_params("als"), evaluate=False, promote="always")
    assert statuses(store)[again.version_id] is VersionStatus.active
    assert served_version(client) == (again.version_id, "model")


def outside(models: Path, tmp_path: Path, artifact: Path) -> Path:
    elsewhere = tmp_path / "elsewhere" / artifact.name
    shutil.copytree(artifact, elsewhere)
    return elsewhere


def dotted(models: Path, tmp_path: Path, artifact: Path) -> Path:
    return models / ".." / outside(models, tmp_path, artifact).relative_to(tmp_path)


def linked(models: Path, tmp_path: Path, artifact: Path) -> Path:
    link = models / "innocent-looking"
    link.symlink_to(outside(models, tmp_path, artifact), target_is_directory=True)
    return link


def half_written(models: Path, tmp_path: Path, artifact: Path) -> Path:
    staging = models / ".tmp-killed"
    staging.mkdir()
    shutil.copy(artifact / "model.npz", staging / "model.npz")
    return staging


OUTSIDE = "is outside the models directory"


@pytest.mark.parametrize(
    ("where", "refusal"),
    [(outside, OUTSIDE), (dotted, OUTSIDE), (linked, OUTSIDE), (half_written, "sidecar")],
)
def test_a_version_row_cannot_point_a_server_at_other_files(
    active: Outcome,
    store: Store,
    settings: Settings,
    client: httpx.Client,
    tmp_path: Path,
    where: object,
    refusal: str,
) -> None:
    """A row naming an intact copy outside the models directory (plainly, through ``..`` or
    a symlink), or a half-written staging directory, is refused; the old version serves."""
    assert callable(where)
    path = where(settings.models.dir, tmp_path, active.artifact.path)
    with store.sessions() as session:
        first = model_versions.get(session, version_id=active.version_id)
        assert first is not None
        fields = {
            c: getattr(first, c)
            for c in ("family", "params", "params_hash", "data_since", "data_until",
                      "data_events", "data_users", "data_items", "metrics", "checksum")
        }  # fmt: skip
        rogue = model_versions.create(session, **fields, path=str(path)).id
    cli = subprocess.run(
        [ENCORE, "models", "promote", str(rogue)], capture_output=True, text=True, cwd=tmp_path,
        env=encore_env(settings.database_url, ENCORE_MODELS__DIR=str(settings.models.dir)),
    )  # fmt: skip
    assert cli.returncode == 1 and cli.stderr.startswith("error: ") and refusal in cli.stderr
    assert statuses(store)[active.version_id] is VersionStatus.active
    with store.sessions() as session:  # as if someone wrote to the table directly
        model_versions.promote(session, version_id=rogue)
    assert served_version(client) == (active.version_id, "model")
    assert served_version(client) == (active.version_id, "model")  # refused once, for good
