"""Recommendations and similar items over a real server, on both databases: a retrained
and promoted version is served, hot-swapped when another is promoted, and kept when the
newly promoted one turns out to be corrupt."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from data.synth import SynthConfig, build_world, store_history
from models import model_versions
from models.users import User
from recsys.artifacts import load_artifact
from recsys.retrain import PromoteMode
from service.model_holder import ModelHolder
from service.retraining import Outcome, model_params, retrain
from service.settings import ModelSettings, Settings
from service.store import Store

SYNTH = SynthConfig(
    users=100, events=6_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2024, 7, 1, tzinfo=UTC), seed=3,
)  # fmt: skip


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    return Settings(database_url=db_url, models=models, _env_file=None)


@pytest.fixture
def history(store: Store) -> Store:
    store_history(store.engine, store.resolver, build_world(SYNTH))
    return store


def train(store: Store, settings: Settings, model: str, promote: PromoteMode = "always") -> Outcome:
    return retrain(store, settings, model_params(model), evaluate=False, promote=promote)


def known_user(store: Store, outcome: Outcome) -> tuple[str, int]:
    """External id and dense index of a listener the model was trained on."""
    store_id = int(outcome.artifact.user_ids.external([0])[0])
    with store.sessions() as session:
        external = session.scalars(select(User.external_id).where(User.id == store_id)).one()
    return external, 0


def test_without_a_model_recommendations_are_popular_and_similar_is_503(
    history: Store, client: httpx.Client
) -> None:
    got = client.get("/v1/users/synth-000001/recommendations", params={"limit": 5})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["source"] == "popular" and body["model_version"] is None
    assert body["count"] == 5 and [i["rank"] for i in body["data"]] == [1, 2, 3, 4, 5]
    scores = [i["score"] for i in body["data"]]
    assert scores == sorted(scores, reverse=True)
    missing = client.get("/v1/items/1/similar")
    assert missing.status_code == 503
    assert missing.json()["detail"][0]["type"] == "model_not_ready"


def test_the_promoted_version_recommends_for_a_known_listener(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    user, index = known_user(history, outcome)
    got = client.get(f"/v1/users/{user}/recommendations", params={"limit": 10})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["source"] == "model" and body["model_version"] == outcome.version_id
    art = outcome.artifact
    ids, scores = art.model.recommend([index], art.user_items[index], N=10)
    assert [i["id"] for i in body["data"]] == art.item_ids.external(ids[0]).tolist()
    np.testing.assert_allclose([i["score"] for i in body["data"]], scores[0], rtol=1e-5)
    listened = set(art.item_ids.external(art.user_items[index].indices).tolist())
    assert listened and not listened & {i["id"] for i in body["data"]}
    assert all(i["title"] and i["artist"] for i in body["data"])
    again = client.get(f"/v1/users/{user}/recommendations", params={"limit": 10})
    assert again.json()["rec_id"] != body["rec_id"]
    kept = client.get(
        f"/v1/users/{user}/recommendations", params={"limit": 50, "exclude_listened": "false"}
    ).json()
    assert listened & {i["id"] for i in kept["data"]}


def test_an_unknown_listener_gets_popular_items(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    body = client.get("/v1/users/nobody-at-all/recommendations", params={"limit": 3}).json()
    assert body["source"] == "popular" and body["model_version"] == outcome.version_id
    top = outcome.artifact.item_ids.external(
        np.argsort(-outcome.artifact.user_items.getnnz(axis=0), kind="stable")[:3]
    )
    assert [i["id"] for i in body["data"]] == top.tolist()


def test_similar_items_and_their_errors(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "itemknn")
    item = int(outcome.artifact.item_ids.external([0])[0])
    got = client.get(f"/v1/items/{item}/similar", params={"limit": 5})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model_version"] == outcome.version_id and 0 < body["count"] <= 5
    assert item not in [i["id"] for i in body["data"]]
    unknown = client.get("/v1/items/999999999/similar")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["path", "item_id"]
    for bad in ("0", "201", "many"):
        invalid = client.get(f"/v1/items/{item}/similar", params={"limit": bad})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["query", "limit"]


def test_a_promoted_version_is_swapped_in_and_a_corrupt_one_refused(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    first = train(history, settings, "als")
    user, _ = known_user(history, first)
    url = f"/v1/users/{user}/recommendations"
    assert client.get(url).json()["model_version"] == first.version_id
    second = train(history, settings, "itemknn")
    assert client.get(url).json()["model_version"] == second.version_id
    third = train(history, settings, "popular", promote="never")
    model_file = third.artifact.path / "model.npz"
    model_file.write_bytes(model_file.read_bytes()[:-10])
    with history.sessions() as session:
        model_versions.promote(session, version_id=third.version_id)
    body = client.get(url).json()
    assert body["model_version"] == second.version_id and body["source"] == "model"
    with pytest.raises(Exception, match="checksum"):
        load_artifact(third.artifact.path)


def test_the_active_version_is_checked_at_most_every_reload_seconds(
    history: Store, settings: Settings
) -> None:
    now = [0.0]
    holder = ModelHolder(history.sessions, reload_seconds=30, clock=lambda: now[0])
    assert holder.current() is None
    first = train(history, settings, "popular")
    now[0] = 29.0
    assert holder.current() is None
    now[0] = 30.0
    served = holder.current()
    assert served is not None and served.version_id == first.version_id
    second = train(history, settings, "itemknn")
    now[0] = 45.0
    assert holder.current() is served
    now[0] = 60.0
    swapped = holder.current()
    assert swapped is not None and swapped.version_id == second.version_id
