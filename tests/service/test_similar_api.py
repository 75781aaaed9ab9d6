"""Similar items, artists and listeners over a real server, on both databases: artist
neighbours from the user x artist aggregation of the training matrix, listeners who
opted out of comparisons never shown, filters, 404s and 422s."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select, update

from models.catalog import Item
from models.users import User
from recsys.factorization import MatrixFactorization
from service.settings import Settings
from service.store import Store
from tests.service.test_recommendations_api import (
    known_user,
    recs_settings,
    synth_history,
    train,
)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


@pytest.fixture
def history(store: Store) -> Store:
    return synth_history(store)


def test_similar_items_with_filters_and_errors(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "itemknn")
    art = outcome.artifact
    item = int(art.item_ids.external([0])[0])
    got = client.get(f"/v1/items/{item}/similar", params={"limit": 5})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model_version"] == outcome.version_id and 0 < body["count"] <= 5
    ids, _ = art.model.similar_items([0], N=5)
    assert [i["id"] for i in body["data"]] == art.item_ids.external(ids[0][ids[0] >= 0]).tolist()
    banned = body["data"][0]["artist_id"]
    filtered = client.get(
        f"/v1/items/{item}/similar", params={"limit": 5, "exclude_artists": [banned]}
    ).json()
    assert banned not in {i["artist_id"] for i in filtered["data"]}
    unknown = client.get("/v1/items/999999999/similar")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0] == {
        "loc": ["path", "item_id"], "msg": "no such item", "type": "not_found"
    }  # fmt: skip
    for bad in ("0", "201", "many"):
        invalid = client.get(f"/v1/items/{item}/similar", params={"limit": bad})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["query", "limit"]


def test_similar_artists_come_from_the_user_by_artist_matrix(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    art = outcome.artifact
    with history.sessions() as session:
        artist_of = {int(i): int(a) for i, a in session.execute(select(Item.id, Item.artist_id))}
    # independently: users x artists summed confidence, cosine of artist columns
    artists = sorted({artist_of[int(i)] for i in art.item_ids.ids})
    col = {a: k for k, a in enumerate(artists)}
    dense = np.zeros((art.user_items.shape[0], len(artists)))
    coo = art.user_items.tocoo()
    for u, i, v in zip(coo.row, coo.col, coo.data, strict=True):
        dense[u, col[artist_of[int(art.item_ids.ids[i])]]] += v
    unit = dense / np.maximum(np.linalg.norm(dense, axis=0), 1e-12)
    cos = unit.T @ unit
    target = int(np.argmax((dense > 0).sum(axis=0)))  # the most listened artist
    cos[target, target] = -1
    expected = [artists[k] for k in np.argsort(-cos[target], kind="stable")[:5]]
    got = client.get(f"/v1/artists/{artists[target]}/similar", params={"limit": 5})
    assert got.status_code == 200, got.text
    body = got.json()
    assert [a["id"] for a in body["data"]] == expected
    np.testing.assert_allclose(
        [a["score"] for a in body["data"]], np.sort(cos[target])[::-1][:5], rtol=1e-4
    )
    assert all(a["name"] and a["kinds"] for a in body["data"])
    without = client.get(
        f"/v1/artists/{artists[target]}/similar",
        params={"limit": 5, "exclude_artists": expected[:2]},
    ).json()
    assert [a["id"] for a in without["data"]][:3] == expected[2:5]
    unknown = client.get("/v1/artists/999999999/similar")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["path", "artist_id"]
    assert client.get("/v1/artists/0/similar").status_code == 422


def test_similar_listeners_leave_out_those_who_opted_out(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    user, index = known_user(history, outcome)
    model = outcome.artifact.model
    assert isinstance(model, MatrixFactorization)
    unit = model.user_factors / np.linalg.norm(model.user_factors, axis=1, keepdims=True)
    sims = unit @ unit[index]
    sims[index] = -np.inf
    order = np.argsort(-sims, kind="stable")[:4]
    store_ids = outcome.artifact.user_ids.external(order).tolist()
    with history.sessions() as session:
        names = {int(i): str(x) for i, x in session.execute(select(User.id, User.external_id))}
    got = client.get(f"/v1/users/{user}/similar", params={"limit": 3})
    assert got.status_code == 200, got.text
    assert [u["user_id"] for u in got.json()["data"]] == [names[i] for i in store_ids[:3]]
    with history.sessions() as session:
        session.execute(
            update(User).where(User.id == store_ids[0]).values(opt_out_comparisons=True)
        )
        session.commit()
    after = client.get(f"/v1/users/{user}/similar", params={"limit": 3}).json()
    assert [u["user_id"] for u in after["data"]] == [names[i] for i in store_ids[1:4]]
    refused = client.get(f"/v1/users/{names[store_ids[0]]}/similar")
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["type"] == "comparisons_opted_out"
    assert client.get("/v1/users/nobody-at-all/similar").status_code == 404
