"""POST /v1/events through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from models.listening import ListeningEvent
from service.store import Store
from tests.utils.factories import count_events, event


def post(client: httpx.Client, events: list[dict[str, object]]) -> httpx.Response:
    return client.post("/v1/events", json={"events": events})


def test_post_events_stores_batch(client: httpx.Client, store: Store) -> None:
    resp = post(client, [event(i) for i in range(10)])
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"accepted": 10, "duplicates": 0, "rejected": [], "detail": []}
    assert count_events(store.engine) == 10


def test_post_events_is_idempotent_without_event_id(client: httpx.Client, store: Store) -> None:
    batch = [event(i) for i in range(5)]
    post(client, batch)
    resp = post(client, batch)
    assert resp.json()["accepted"] == 0
    assert resp.json()["duplicates"] == 5
    assert count_events(store.engine) == 5


def test_post_events_dedupes_by_event_id(client: httpx.Client, store: Store) -> None:
    first = event(0, event_id="play-1")
    retry = event(0, event_id="play-1", ms_played=199_000)  # a client retry with a changed field
    other = event(0, event_id="play-2", user_id="bob")
    resp = post(client, [first, retry, other])
    assert resp.json()["accepted"] == 2
    assert resp.json()["duplicates"] == 1
    with store.sessions() as session:
        kept = session.scalars(select(ListeningEvent.ms_played).order_by(ListeningEvent.id)).all()
    assert kept == [200_000, 200_000]


def test_post_events_keeps_valid_events_of_a_bad_batch(client: httpx.Client, store: Store) -> None:
    batch = [
        event(0),
        event(1, ms_played=-5),
        event(2, ts="2024-03-01T12:00:00"),
        event(3, item={"kind": "vinyl", "artist": "A", "title": "T"}),
        event(4, ms_played=25 * 3600 * 1000),
        event(5, item={"artist": "A" * 513, "title": "T"}),
        event(6, colour="red"),
        event(7, ts=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
        event(8, item={"spotify_uri": "spotify:track:0000000000000000000000"}),
        event(9),
    ]
    resp = post(client, batch)
    assert resp.status_code == 422
    body = resp.json()
    assert body["accepted"] == 2
    reasons = {r["index"]: r["errors"] for r in body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert reasons[1][0]["loc"] == ["ms_played"]
    assert "UTC offset" in reasons[2][0]["msg"]
    assert reasons[3][0]["loc"] == ["item", "kind"]
    assert reasons[4][0]["loc"] == ["ms_played"]
    assert reasons[5][0]["loc"] == ["item", "artist"]
    assert reasons[6][0]["loc"] == ["colour"]
    assert "future" in reasons[7][0]["msg"]
    assert reasons[8][0]["loc"] == ["item"] and "unknown external id" in reasons[8][0]["msg"]
    assert body["detail"][0]["loc"] == ["body", "events", 1, "ms_played"]
    assert count_events(store.engine) == 2


def test_post_events_accepts_epoch_seconds_and_millis(client: httpx.Client, store: Store) -> None:
    seconds = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
    resp = post(client, [event(0, ts=seconds), event(0, ts=seconds * 1000, user_id="bob")])
    assert resp.json()["accepted"] == 2
    with store.sessions() as session:
        stamps = set(session.scalars(select(ListeningEvent.ts)))
    assert stamps == {datetime(2024, 5, 1, tzinfo=UTC)}


def test_post_events_converts_offsets_to_utc(client: httpx.Client, store: Store) -> None:
    post(client, [event(0, ts="2024-05-01T14:00:00+02:00")])
    with store.sessions() as session:
        assert session.scalar(select(ListeningEvent.ts)) == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_post_events_rejects_non_json_body(client: httpx.Client, store: Store) -> None:
    post(client, [event(0)])
    resp = client.post(
        "/v1/events", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["detail"][0]["loc"] == ["body"]
    assert resp.json()["detail"][0]["type"] == "json_invalid"
    assert count_events(store.engine) == 1


def test_post_events_rejects_oversized_body(client: httpx.Client, store: Store) -> None:
    big = [event(i, platform="x" * 100) for i in range(1000)]
    filler = {"events": big * 1}
    resp = client.post(
        "/v1/events",
        content=b" " * (6 * 1024 * 1024) + httpx.Request("POST", "/", json=filler).content,
    )
    assert resp.status_code == 413
    assert resp.json()["detail"][0]["type"] == "too_large"
    assert count_events(store.engine) == 0


def test_post_events_rejects_too_many_events(client: httpx.Client, store: Store) -> None:
    resp = post(client, [event(i) for i in range(1001)])
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "events"]
    assert "at most 1000" in resp.json()["detail"][0]["msg"]
    assert count_events(store.engine) == 0


def test_post_events_rejects_bad_envelopes(client: httpx.Client) -> None:
    for body, loc in [
        ([event(0)], ["body", "events"]),
        ({"event": [event(0)]}, ["body", "events"]),
        ({"events": {"a": 1}}, ["body", "events"]),
        ({"events": []}, ["body", "events"]),
        ({"events": [event(0)], "extra": 1}, ["body", "extra"]),
    ]:
        resp = client.post("/v1/events", json=body)
        assert resp.status_code == 422, body
        assert resp.json()["detail"][0]["loc"] == loc


def test_post_events_concurrent_duplicates_stored_once(client: httpx.Client, store: Store) -> None:
    batch = [event(i, event_id=f"e{i}") for i in range(200)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: post(client, batch).json(), range(6)))
    assert sum(r["accepted"] for r in results) == 200
    assert sum(r["duplicates"] for r in results) == 5 * 200
    assert count_events(store.engine) == 200


def test_post_events_resolves_catalog_across_spellings(client: httpx.Client, store: Store) -> None:
    batch = [
        event(0, item={"artist": "Beyoncé", "title": "Halo", "album": "I Am... Sasha Fierce"}),
        event(1, item={"artist": "BEYONCE", "title": " halo ", "album": "I AM... SASHA FIERCE"}),
        event(2, item={"artist": "beyonce", "title": "Halo"}),
    ]
    post(client, batch)
    with store.sessions() as session:
        items = set(session.scalars(select(ListeningEvent.item_id)))
    assert len(items) == 1
