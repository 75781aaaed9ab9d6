"""POST /v1/feedback through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from models.catalog import Item
from models.listening import Feedback, FeedbackKind, ListeningEvent
from models.users import User
from service.store import Store
from tests.utils.factories import T0, event

URI = "spotify:track:4c9wlE8J0DOfn3YA4FIkkw"
RIVERSIDE = {"artist": "Agnes Obel", "title": "Riverside", "album": "Philharmonics"}


def signal(kind: str = "like", minutes: int = 0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": "alice",
        "item": RIVERSIDE,
        "kind": kind,
        "ts": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
    }
    body.update(overrides)
    return body


def post(client: httpx.Client, feedback: list[dict[str, Any]]) -> httpx.Response:
    return client.post("/v1/feedback", json={"feedback": feedback})


def stored(store: Store) -> list[tuple[str, int, FeedbackKind, datetime]]:
    """Every feedback row as (user external id, item id, kind, ts), oldest first."""
    with store.sessions() as session:
        rows = session.execute(
            select(User.external_id, Feedback.item_id, Feedback.kind, Feedback.ts)
            .join(User, User.id == Feedback.user_id)
            .order_by(Feedback.ts, Feedback.id)
        ).all()
    return [(user, item_id, kind, ts) for user, item_id, kind, ts in rows]


def test_post_feedback_stores_every_kind(client: httpx.Client, store: Store) -> None:
    batch = [signal(kind, minutes=i) for i, kind in enumerate(["like", "save", "share", "unlike"])]
    resp = post(client, batch)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"accepted": 4, "duplicates": 0, "rejected": [], "detail": []}
    rows = stored(store)
    assert [kind for _, _, kind, _ in rows] == [
        FeedbackKind.like,
        FeedbackKind.save,
        FeedbackKind.share,
        FeedbackKind.unlike,
    ]
    assert [ts for _, _, _, ts in rows] == [T0 + timedelta(minutes=i) for i in range(4)]
    assert {user for user, _, _, _ in rows} == {"alice"}
    assert len({item_id for _, item_id, _, _ in rows}) == 1
    with store.sessions() as session:
        item = session.get(Item, rows[0][1])
        assert item is not None
        assert (item.artist.name, item.title) == ("Agnes Obel", "Riverside")


def test_post_feedback_counts_duplicates(client: httpx.Client, store: Store) -> None:
    like = signal("like")
    same_instant = signal("like", ts=int(T0.timestamp()))  # epoch seconds for the same ts
    resp = post(client, [like, same_instant])
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 1
    assert resp.json()["duplicates"] == 1

    again = post(client, [like, signal("save"), signal("like", user_id="bob")])
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == 2  # another kind and another user are new signals
    assert again.json()["duplicates"] == 1
    assert [(u, k) for u, _, k, _ in stored(store)] == [
        ("alice", FeedbackKind.like),
        ("alice", FeedbackKind.save),
        ("bob", FeedbackKind.like),
    ]


def test_post_feedback_same_signal_at_another_time_is_new(
    client: httpx.Client, store: Store
) -> None:
    resp = post(client, [signal("like", 0), signal("unlike", 1), signal("like", 2)])
    assert resp.json()["accepted"] == 3
    assert resp.json()["duplicates"] == 0
    assert len(stored(store)) == 3


def test_post_feedback_defaults_ts_to_now(client: httpx.Client, store: Store) -> None:
    body = signal("save")
    del body["ts"]
    before = datetime.now(UTC)
    resp = post(client, [body])
    after = datetime.now(UTC)
    assert resp.status_code == 200, resp.text
    ((_, _, kind, ts),) = stored(store)
    assert kind is FeedbackKind.save
    assert before - timedelta(seconds=1) <= ts <= after + timedelta(seconds=1)


def test_post_feedback_rejects_bad_kind_keeps_valid(client: httpx.Client, store: Store) -> None:
    batch = [
        signal("like", 0),
        signal("love", 1),
        signal("save", 2),
        signal("LIKE", 3),
        {k: v for k, v in signal("share", 4).items() if k != "kind"},
        signal("share", 5),
    ]
    resp = post(client, batch)
    assert resp.status_code == 422
    body = resp.json()
    assert body["accepted"] == 3
    assert body["duplicates"] == 0
    reasons = {r["index"]: r["errors"] for r in body["rejected"]}
    assert sorted(reasons) == [1, 3, 4]
    for index in (1, 3, 4):
        assert reasons[index][0]["loc"] == ["kind"], index
    assert reasons[1][0]["type"] == "enum"
    assert reasons[4][0]["type"] == "missing"
    assert [d["loc"] for d in body["detail"]] == [
        ["body", "feedback", 1, "kind"],
        ["body", "feedback", 3, "kind"],
        ["body", "feedback", 4, "kind"],
    ]
    assert [(k, ts) for _, _, k, ts in stored(store)] == [
        (FeedbackKind.like, T0),
        (FeedbackKind.save, T0 + timedelta(minutes=2)),
        (FeedbackKind.share, T0 + timedelta(minutes=5)),
    ]


def test_post_feedback_rejects_bad_fields(client: httpx.Client, store: Store) -> None:
    batch = [
        signal("like", 0, ts="2024-03-01T12:00:00"),
        signal("like", 1, item={"artist": "Only Artist"}),
        signal("like", 2, user_id=""),
        signal("like", 3, colour="red"),
        signal("like", 4),
    ]
    resp = post(client, batch)
    assert resp.status_code == 422
    body = resp.json()
    assert body["accepted"] == 1
    reasons = {r["index"]: r["errors"] for r in body["rejected"]}
    assert sorted(reasons) == [0, 1, 2, 3]
    assert reasons[0][0]["loc"] == ["ts"]
    assert reasons[1][0]["loc"] == ["item"]
    assert reasons[2][0]["loc"] == ["user_id"]
    assert reasons[3][0]["loc"] == ["colour"]
    assert len(stored(store)) == 1


def test_post_feedback_resolves_item_by_spotify_uri(client: httpx.Client, store: Store) -> None:
    play = event(0, item={**RIVERSIDE, "spotify_uri": URI})
    assert client.post("/v1/events", json={"events": [play]}).json()["accepted"] == 1
    resp = post(client, [signal("like", item={"spotify_uri": URI})])
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 1

    # The same lookup once the process cache is gone, so the database answers it.
    store.resolver.clear()
    resp = post(client, [signal("save", 1, user_id="bob", item={"spotify_uri": URI})])
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 1

    with store.sessions() as session:
        played = session.scalars(select(ListeningEvent.item_id)).all()
        assert session.scalar(select(Item.spotify_uri).where(Item.id == played[0])) == URI
        items = session.scalars(select(Item.id)).all()
    assert len(played) == 1
    assert items == played  # no second item was created for the bare URI
    assert [(u, item_id, k) for u, item_id, k, _ in stored(store)] == [
        ("alice", played[0], FeedbackKind.like),
        ("bob", played[0], FeedbackKind.save),
    ]


def test_post_feedback_rejects_unknown_spotify_uri(client: httpx.Client, store: Store) -> None:
    resp = post(
        client,
        [
            signal("like", item={"spotify_uri": "spotify:track:0000000000000000000000"}),
            signal("like", 1),
        ],
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["accepted"] == 1
    (rejected,) = body["rejected"]
    assert rejected["index"] == 0
    assert rejected["errors"][0]["loc"] == ["item"]
    assert "unknown external id" in rejected["errors"][0]["msg"]
    assert body["detail"][0]["loc"] == ["body", "feedback", 0, "item"]
    assert [ts for _, _, _, ts in stored(store)] == [T0 + timedelta(minutes=1)]


def test_post_feedback_rejects_bad_envelopes(client: httpx.Client, store: Store) -> None:
    for payload, loc in [
        ({"events": [signal()]}, ["body", "feedback"]),
        ([signal()], ["body", "feedback"]),
        ({"feedback": []}, ["body", "feedback"]),
        ({"feedback": signal()}, ["body", "feedback"]),
        ({"feedback": [signal()], "extra": 1}, ["body", "extra"]),
    ]:
        resp = client.post("/v1/feedback", json=payload)
        assert resp.status_code == 422, payload
        assert resp.json()["detail"][0]["loc"] == loc, payload
    bad_json = client.post(
        "/v1/feedback", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"
    assert stored(store) == []
