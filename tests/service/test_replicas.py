"""Two API replicas on one store and one artifacts directory, as docs/scaling.md describes:
each has its own engine, catalog cache and model holder; what one accepts the other serves,
duplicates are caught across them, and a newly promoted model reaches both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from data.synth import SynthConfig, build_world, store_history
from service.retraining import model_params, retrain
from service.settings import ModelSettings, Settings
from service.store import Store
from tests.conftest import LiveServer

SYNTH = SynthConfig(
    users=60, events=3_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2024, 4, 1, tzinfo=UTC), seed=11,
)  # fmt: skip
PLAY = {
    "user_id": "replica-listener", "ts": "2024-03-01T10:00:00Z", "ms_played": 200_000,
    "event_id": "r-1", "item": {"artist": "Agnes Obel", "title": "Riverside"},
}  # fmt: skip


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "shared-artifacts", reload_seconds=0)
    return Settings(database_url=db_url, models=models, _env_file=None)


@pytest.fixture
def replicas(settings: Settings, store: Store) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    store_history(store.engine, store.resolver, build_world(SYNTH))
    second = Store.open(settings)  # its own engine, pool and catalog cache
    try:
        with (
            LiveServer(settings, store) as a,
            LiveServer(settings, second) as b,
            a.client(a.headers("admin")) as http_a,
            b.client(b.headers("admin")) as http_b,
        ):
            yield http_a, http_b
    finally:
        second.close()


def version(http: httpx.Client) -> tuple[int | None, str]:
    body = http.get("/v1/users/synth-000001/recommendations", params={"limit": 3}).json()
    return body["model_version"], body["source"]


def test_replicas_share_writes_duplicates_and_promotions(
    replicas: tuple[httpx.Client, httpx.Client], settings: Settings
) -> None:
    a, b = replicas
    assert version(a) == version(b) == (None, "popular")

    assert a.post("/v1/events", json={"events": [PLAY]}).json()["accepted"] == 1
    seen = b.get("/v1/users/replica-listener/history").json()["data"]
    assert [(e["event_id"], e["item"]["title"]) for e in seen] == [("r-1", "Riverside")]
    again = b.post("/v1/events", json={"events": [PLAY]}).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)

    job = Store.open(settings)  # the retrain job is a third process in production
    try:
        first = retrain(job, settings, model_params("als"), evaluate=False, promote="always")
        assert version(a) == version(b) == (first.version_id, "model")
        second = retrain(job, settings, model_params("als"), evaluate=False, promote="always")
    finally:
        job.close()
    assert second.version_id != first.version_id
    assert version(a) == version(b) == (second.version_id, "model")
