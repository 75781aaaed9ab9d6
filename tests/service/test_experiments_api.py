"""Experiments end to end on a real server and store: create, assignment, served lists
recorded with the arm, listening with a known effect, the report's verdict, stop; and the
CLI on the same store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from models.ingest import ingest_events
from models.records import EventRecord, ItemRef
from models.served import ServedList, record_served
from models.users import User
from recsys.experiments import Arm, ExperimentSpec, assign
from service.store import Store

ENCORE = str(Path(sys.executable).parent / "encore")
START = datetime(2025, 6, 1, 12, tzinfo=UTC)


def run_experiment(store: Store, experiment_id: int, name: str, effect: float) -> None:
    """240 listeners split by the experiment's own hash; each is served one list, then
    listens (treatment listeners ``effect`` more), starting a third of plays from it."""
    rng = np.random.default_rng(5)
    spec = ExperimentSpec(name, [Arm("control"), Arm("treatment")])
    users = [f"{name}-u{i:03d}" for i in range(240)]
    arms = {u: assign(u, spec) for u in users}
    plays: list[EventRecord] = []
    for u in users:
        arm = arms[u]
        assert arm is not None
        scale = 1 + (effect if arm.name == "treatment" else 0)
        t = START + timedelta(hours=1)
        for k in range(int(rng.poisson(12 * scale)) + 1):
            item = ItemRef(artist=f"A{k % 9}", title=f"T{k % 5}", album="X")
            plays.append(
                EventRecord(user=u, ts=t, ms_played=int(rng.integers(60_000, 240_000)),
                            item=item, skipped=bool(rng.random() < 0.2),
                            rec_id=f"{name}-{u}" if k % 3 == 0 else None)
            )  # fmt: skip
            t += timedelta(minutes=5)
    assert not ingest_events(store.engine, store.resolver, plays).rejected
    with store.sessions() as session:
        ids = {e: i for e, i in session.execute(select(User.external_id, User.id))}
        record_served(session, [
            ServedList(f"{name}-{u}", ids[u], START, None, "model", [1, 2, 3],
                       experiment_id=experiment_id, arm=arms[u].name)  # type: ignore[union-attr]
            for u in users
        ])  # fmt: skip
        session.commit()


def create(client: httpx.Client, name: str) -> int:
    body = {
        "name": name,
        "arms": [{"name": "control"}, {"name": "treatment", "model_version_id": 3}],
    }
    r = client.post("/v1/experiments", json=body)
    assert r.status_code == 201, r.text
    assert [a["name"] for a in r.json()["arms"]] == ["control", "treatment"]
    experiment_id: int = r.json()["id"]
    return experiment_id


def test_experiment_with_an_effect_has_a_winner(store: Store, client: httpx.Client) -> None:
    experiment_id = create(client, "lift")
    run_experiment(store, experiment_id, "lift", effect=0.5)
    r = client.get("/v1/experiments/lift/report", params={"min_users": 50})
    assert r.status_code == 200, r.text
    rep = r.json()["report"]
    assert rep["verdict"]["winner"] == "treatment" and rep["verdict"]["decided"]
    assert sum(a["users"] for a in rep["arms"]) == 240
    control, treatment = rep["arms"]
    assert treatment["listening_minutes_per_user"]["diff_low"] > 0
    assert 0.2 < control["rec_share"]["value"] < 0.5
    assert control["skip_rate"]["low"] < 0.2 < control["skip_rate"]["high"]
    who = client.get("/v1/experiments/-/assignment", params={"user_id": "lift-u000"}).json()
    assert who["experiment"] == "lift" and who["arm"] in {"control", "treatment"}
    assert client.post("/v1/experiments/lift/stop").json()["status"] == "stopped"
    after = client.get("/v1/experiments/-/assignment", params={"user_id": "lift-u000"}).json()
    assert after["experiment"] is None


def test_experiment_without_an_effect_is_too_early(store: Store, client: httpx.Client) -> None:
    experiment_id = create(client, "flat")
    run_experiment(store, experiment_id, "flat", effect=0.0)
    rep = client.get("/v1/experiments/flat/report", params={"min_users": 50}).json()["report"]
    assert rep["verdict"]["winner"] is None
    assert rep["verdict"]["summary"].startswith("too early to tell")
    assert client.post("/v1/experiments", json={"name": "flat", "arms": [
        {"name": "a"}, {"name": "b"}]}).status_code == 409  # fmt: skip


def test_bad_experiments_are_refused(client: httpx.Client) -> None:
    one_arm = client.post("/v1/experiments", json={"name": "x", "arms": [{"name": "a"}]})
    assert one_arm.status_code == 422 and one_arm.json()["detail"][0]["loc"] == ["body", "arms"]
    twins = client.post(
        "/v1/experiments", json={"name": "x", "arms": [{"name": "a"}, {"name": "a"}]}
    )
    assert twins.status_code == 422
    assert client.get("/v1/experiments/nope/report").status_code == 404


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_cli_creates_reports_and_stops(store: Store, db_url: str) -> None:
    env = {**os.environ, "ENCORE_DATABASE_URL": db_url}

    def encore(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ENCORE, *args], capture_output=True, text=True, env=env, timeout=120)

    made = encore("experiments", "create", "cli", "--arm", "control=popular", "--arm", "als=4:2")
    assert made.returncode == 0, made.stderr
    with store.sessions() as session:
        from models.experiments import get_experiment

        experiment = get_experiment(session, name="cli")
        assert experiment is not None
        assert [(a.name, a.model_version_id, a.weight) for a in experiment.arms] == [
            ("control", None, 1.0), ("als", 4, 2.0)]  # fmt: skip
        experiment_id = experiment.id
    run_cli = encore("experiments", "report", "cli")
    assert run_cli.returncode == 0, run_cli.stderr
    assert "too early to tell" in run_cli.stdout
    assert encore("experiments", "stop", "cli").returncode == 0
    listed = encore("experiments", "list")
    assert "cli" in listed.stdout and "stopped" in listed.stdout
    bad = encore("experiments", "create", "x", "--arm", "a=latest", "--arm", "b=popular")
    assert bad.returncode == 1 and bad.stderr.startswith("error: --arm 'a=latest'")
    assert experiment_id > 0
    assert "no experiment named 'nope'" in encore("experiments", "report", "nope").stderr
