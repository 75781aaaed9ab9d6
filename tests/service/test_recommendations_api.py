"""User and seeded recommendations over a real server, on both databases: the promoted
version's exact ranking under every business filter, the popularity fallback over the
recent window, fresh results from plays newer than the model, served lists recorded
with the rec_id returned, hot swaps, and the errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import scipy.sparse as sp
from sqlalchemy import select

from data.synth import SynthConfig, build_world, store_history
from models import model_versions
from models.catalog import Item
from models.listening import ListeningEvent as E
from models.recommendations import first_heard_of
from models.served import served_between
from models.users import User
from recsys.artifacts import load_artifact
from recsys.confidence import ConfidenceParams, play_weights
from recsys.experiments import Arm, ExperimentSpec, assign
from recsys.retrain import PromoteMode
from service.model_holder import ModelHolder
from service.retraining import Outcome, model_params, retrain
from service.settings import ModelSettings, RecsSettings, Settings
from service.store import Store
from tests.conftest import LiveServer

SYNTH = SynthConfig(
    users=100, events=6_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2024, 7, 1, tzinfo=UTC), seed=3,
)  # fmt: skip


def recs_settings(db_url: str, tmp_path: Path) -> Settings:
    """Reload and look for news on every request, so tests see changes at once."""
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    recs = RecsSettings(fresh_seconds=0, cache_dir=tmp_path / "candidates")
    return Settings(database_url=db_url, models=models, recs=recs, _env_file=None)


def synth_history(store: Store) -> Store:
    store_history(store.engine, store.resolver, build_world(SYNTH))
    return store


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


@pytest.fixture
def history(store: Store) -> Store:
    return synth_history(store)


def train(store: Store, settings: Settings, model: str, promote: PromoteMode = "always") -> Outcome:
    return retrain(store, settings, model_params(model), evaluate=False, promote=promote)


def known_user(store: Store, outcome: Outcome, index: int = 0) -> tuple[str, int]:
    """External id and dense index of a listener the model was trained on."""
    store_id = int(outcome.artifact.user_ids.external([index])[0])
    with store.sessions() as session:
        external = session.scalars(select(User.external_id).where(User.id == store_id)).one()
    return external, index


def items_of(store: Store, ids: list[int]) -> dict[int, Item]:
    with store.sessions() as session:
        return {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))}


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
    capped = client.get(
        "/v1/users/synth-000001/recommendations", params={"limit": 10, "max_per_artist": 1}
    ).json()
    assert len({i["artist_id"] for i in capped["data"]}) == capped["count"] == 10
    for path in ("/v1/items/1/similar", "/v1/artists/1/similar", "/v1/users/x/similar"):
        missing = client.get(path)
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
    heard = items_of(history, sorted(listened))
    titles = {f"because you played {item.title}" for item in heard.values()}
    assert all(i["title"] and i["artist"] and i["reason"] in titles for i in body["data"])
    again = client.get(f"/v1/users/{user}/recommendations", params={"limit": 10})
    assert again.json()["rec_id"] != body["rec_id"]
    kept = client.get(
        f"/v1/users/{user}/recommendations", params={"limit": 50, "exclude_listened": "false"}
    ).json()
    assert listened & {i["id"] for i in kept["data"]}


@pytest.mark.parametrize("family", ["als", "itemknn"])
def test_business_filters_give_the_exact_filtered_ranking(
    history: Store, settings: Settings, client: httpx.Client, family: str
) -> None:
    outcome = train(history, settings, family)
    art = outcome.artifact
    user, index = known_user(history, outcome, 3)
    ids, scores = art.model.recommend([index], art.user_items[index], N=art.model.n_items)
    ranked = [(int(i), float(s)) for i, s in zip(art.item_ids.external(ids[0][ids[0] >= 0]),
                                                 scores[0][ids[0] >= 0], strict=True)]  # fmt: skip
    items = items_of(history, [i for i, _ in ranked])
    with history.sessions() as session:
        first = first_heard_of(session, list(items))
    # filters the list's first track passes, so the answer cannot be empty
    anchor = next(items[i] for i, _ in ranked if items[i].kind.value == "track")
    genre = anchor.artist.tags[0].name
    banned = next(items[i].artist_id for i, _ in ranked if items[i].artist_id != anchor.artist_id)
    cut = datetime.fromtimestamp(first[anchor.id], UTC).date() - timedelta(days=30)
    cut_ts = datetime(cut.year, cut.month, cut.day, tzinfo=UTC).timestamp()

    def expect(limit: int, per_artist: int) -> list[int]:
        out: list[int] = []
        seen: dict[int, int] = {}
        for item_id, _ in ranked:
            it = items[item_id]
            if (
                it.kind.value != "track" or genre not in {t.name for t in it.artist.tags}
                or it.artist_id == banned or first[item_id] < cut_ts
                or seen.get(it.artist_id, 0) >= per_artist
            ):  # fmt: skip
                continue
            seen[it.artist_id] = seen.get(it.artist_id, 0) + 1
            out.append(item_id)
            if len(out) == limit:
                break
        return out

    params: dict[str, Any] = {
        "limit": 15, "kind": "track", "genre": genre.upper(), "exclude_artists": [banned],
        "released_after": cut.isoformat(), "max_per_artist": 2,
    }  # fmt: skip
    got = client.get(f"/v1/users/{user}/recommendations", params=params)
    assert got.status_code == 200, got.text
    body = got.json()
    assert [i["id"] for i in body["data"]] == expect(15, 2)
    assert body["count"] > 0 and body["source"] == "model"
    assert all(i["kind"] == "track" and i["artist_id"] != banned for i in body["data"])


def test_an_unknown_listener_gets_what_was_popular_lately_with_the_same_filters(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    art = outcome.artifact
    # independently: distinct listeners per item who streamed it (a non-private play of
    # 30 s or the whole item) in the last 30 days of the data
    with history.sessions() as session:
        rows = session.execute(
            select(E.user_id, E.item_id, E.ts, E.ms_played, Item.duration_ms)
            .join(Item, Item.id == E.item_id)
            .where(E.private.is_(False))
        ).all()
    rows = [r for r in rows if r[3] >= min(30_000, r[4] or 210_000)]
    until = max(r[2] for r in rows)
    recent: dict[int, set[int]] = {}
    for u, i, ts, _, _ in rows:
        if ts >= until - timedelta(days=30):
            recent.setdefault(i, set()).add(u)
    total = dict(
        zip(art.item_ids.ids.tolist(), art.user_items.getnnz(axis=0).tolist(), strict=True)
    )
    order = sorted(recent, key=lambda i: (-len(recent[i]), -total[i], i))
    body = client.get("/v1/users/nobody-at-all/recommendations", params={"limit": 3}).json()
    assert body["source"] == "popular" and body["model_version"] == outcome.version_id
    assert [i["id"] for i in body["data"]] == order[:3]
    assert [i["score"] for i in body["data"]] == [len(recent[i]) for i in order[:3]]
    first_artist = items_of(history, [order[0]])[order[0]].artist_id
    filtered = client.get(
        "/v1/users/nobody-at-all/recommendations",
        params={"limit": 3, "exclude_artists": [first_artist]},
    ).json()
    assert filtered["data"] and first_artist not in {i["artist_id"] for i in filtered["data"]}


def test_plays_newer_than_the_model_are_folded_in(
    history: Store, settings: Settings, client: httpx.Client
) -> None:
    outcome = train(history, settings, "als")
    art = outcome.artifact
    user, index = known_user(history, outcome, 5)
    before = client.get(f"/v1/users/{user}/recommendations", params={"limit": 10}).json()
    assert before["source"] == "model"
    # plays of three items the listener never heard, after the model's data window
    unheard = np.setdiff1d(np.arange(art.model.n_items), art.user_items[index].indices)[:3]
    new_ids = art.item_ids.external(unheard).tolist()
    items = items_of(history, new_ids)
    when = datetime(2024, 7, 2, 12, tzinfo=UTC)
    events = [
        {"user_id": user, "ts": (when + timedelta(minutes=5 * k)).isoformat(),
         "ms_played": 200_000, "item": {"spotify_uri": items[i].spotify_uri}}
        for k, i in enumerate(new_ids)
    ]  # fmt: skip
    sent = client.post("/v1/events", json={"events": events})
    assert sent.status_code == 200, sent.text
    after = client.get(f"/v1/users/{user}/recommendations", params={"limit": 10}).json()
    assert after["source"] == "fresh" and after["model_version"] == outcome.version_id
    weights = play_weights(
        np.full(3, 200_000), np.array([items[i].duration_ms or 0 for i in new_ids]),
        np.zeros(3, dtype=bool), ConfidenceParams(),
    )  # fmt: skip
    news = sp.csr_matrix((weights, (np.zeros(3, dtype=int), unheard)), shape=(1, art.model.n_items))
    row = sp.csr_matrix(news + art.user_items[index], dtype=np.float32)
    ids, _ = art.model.recommend_rows(row, N=10)
    assert [i["id"] for i in after["data"]] == art.item_ids.external(ids[0]).tolist()
    assert not set(new_ids) & {i["id"] for i in after["data"]}
    # a brand-new listener with plays is folded in too
    newcomer = [dict(e, user_id="newcomer") for e in events]
    assert client.post("/v1/events", json={"events": newcomer}).status_code == 200
    fresh = client.get("/v1/users/newcomer/recommendations", params={"limit": 5}).json()
    ids, _ = art.model.recommend_rows(sp.csr_matrix(news, dtype=np.float32), N=5)
    assert fresh["source"] == "fresh"
    assert [i["id"] for i in fresh["data"]] == art.item_ids.external(ids[0]).tolist()


def test_every_served_list_is_recorded_with_the_rec_id_returned(
    history: Store, settings: Settings
) -> None:
    outcome = train(history, settings, "als")
    user, _ = known_user(history, outcome)
    start = datetime.now(UTC) - timedelta(minutes=1)
    with LiveServer(settings, history) as live, live.client(live.headers("admin")) as http:
        answers = [
            http.get(f"/v1/users/{user}/recommendations", params={"limit": 4}).json(),
            http.get("/v1/users/never-seen/recommendations", params={"limit": 3}).json(),
        ]
        item = answers[0]["data"][0]["id"]
        seeded = http.post("/v1/recommendations", json={"seed_items": [item], "limit": 3})
        answers.append(seeded.json())
    with history.sessions() as session:
        rows = {r.rec_id: r for r in served_between(session, start, datetime.now(UTC))}
    assert set(rows) == {a["rec_id"] for a in answers}
    for answer in answers:
        row = rows[answer["rec_id"]]
        assert row.item_ids == [i["id"] for i in answer["data"]]
        assert row.source == answer["source"] and row.model_version_id == outcome.version_id
    with history.sessions() as session:
        store_id = session.scalars(select(User.id).where(User.external_id == user)).one()
    assert rows[answers[0]["rec_id"]].user_id == store_id
    assert rows[answers[1]["rec_id"]].user_id is None


def test_seeded_recommendations(history: Store, settings: Settings, client: httpx.Client) -> None:
    outcome = train(history, settings, "als")
    art = outcome.artifact
    seeds = art.item_ids.external([0, 1]).tolist()
    got = client.post("/v1/recommendations", json={"seed_items": seeds, "limit": 8})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["source"] == "seeds" and body["count"] == 8
    row = sp.csr_matrix((np.ones(2, np.float32), ([0, 0], [0, 1])), shape=(1, art.model.n_items))
    ids, _ = art.model.recommend_rows(row, N=10, filter_already_liked=False)
    expected = [i for i in art.item_ids.external(ids[0]).tolist() if i not in seeds][:8]
    assert [i["id"] for i in body["data"]] == expected
    titles = {f"because you chose {it.title}" for it in items_of(history, seeds).values()}
    assert all(i["reason"] in titles for i in body["data"])
    artist = items_of(history, seeds[:1])[seeds[0]].artist_id
    by_artist = client.post(
        "/v1/recommendations", json={"seed_artists": [artist], "limit": 5, "kind": "track"}
    )
    assert by_artist.status_code == 200 and by_artist.json()["count"] == 5
    unknown = client.post("/v1/recommendations", json={"seed_items": [seeds[0], 999_999_999]})
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["body", "seed_items", 1]
    unknown = client.post("/v1/recommendations", json={"seed_artists": [999_999_999]})
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["body", "seed_artists", 0]
    bad: dict[str, Any]
    for bad in ({}, {"seed_items": []}, {"seed_items": [seeds[0]], "limit": 0},
                {"seed_items": [seeds[0]], "colour": "red"}):  # fmt: skip
        invalid = client.post("/v1/recommendations", json=bad)
        assert invalid.status_code == 422, bad


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "0"), ("limit", "201"), ("kind", "song"), ("max_per_artist", "0"),
     ("released_after", "last-week"), ("exclude_artists", "x"), ("exclude_listened", "maybe")],
)  # fmt: skip
def test_invalid_parameters_are_422_naming_the_parameter(
    history: Store, client: httpx.Client, name: str, value: str
) -> None:
    got = client.get("/v1/users/synth-000001/recommendations", params={name: value})
    assert got.status_code == 422
    assert got.json()["detail"][0]["loc"][:2] == ["query", name]


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
    history: Store, settings: Settings, tmp_path: Path
) -> None:
    now = [0.0]
    holder = ModelHolder(
        history.sessions, reload_seconds=30, cache_dir=tmp_path, clock=lambda: now[0]
    )
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


def test_an_experiment_serves_its_arms_and_records_them(history: Store, settings: Settings) -> None:
    """A listener in the popularity arm of a running experiment gets popular items, one in
    the model arm gets the model's; each served list carries its experiment and arm."""
    outcome = train(history, settings, "als")
    spec = ExperimentSpec("baseline-vs-model", [
        Arm("baseline"), Arm("model", model_version_id=outcome.version_id),
    ])  # fmt: skip
    known = [known_user(history, outcome, i)[0] for i in range(40)]
    by_arm: dict[str, str] = {}
    for user in known:
        arm = assign(user, spec)
        assert arm is not None
        by_arm.setdefault(arm.name, user)
    assert set(by_arm) == {"baseline", "model"}
    start = datetime.now(UTC) - timedelta(minutes=1)
    with LiveServer(settings, history) as live, live.client(live.headers("admin")) as http:
        created = http.post("/v1/experiments", json={"name": spec.name, "arms": [
            {"name": "baseline"}, {"name": "model", "model_version_id": outcome.version_id},
        ]})  # fmt: skip
        assert created.status_code == 201, created.text
        answers = {
            arm: http.get(f"/v1/users/{user}/recommendations", params={"limit": 4}).json()
            for arm, user in by_arm.items()
        }
    assert answers["baseline"]["source"] == "popular"
    assert answers["model"]["source"] == "model"
    with history.sessions() as session:
        rows = {r.rec_id: r for r in served_between(session, start, datetime.now(UTC))}
    for name, answer in answers.items():
        row = rows[answer["rec_id"]]
        assert (row.experiment_id, row.arm) == (created.json()["id"], name)
