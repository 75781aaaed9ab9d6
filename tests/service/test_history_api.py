"""GET /v1/users/{user_id}/history through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from tests.utils.factories import T0, event


def post(client: httpx.Client, events: list[dict[str, Any]]) -> None:
    resp = client.post("/v1/events", json={"events": events})
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == len(events)


def history(client: httpx.Client, user: str = "alice", **params: Any) -> httpx.Response:
    return client.get(f"/v1/users/{user}/history", params=params)


def page(client: httpx.Client, user: str = "alice", **params: Any) -> dict[str, Any]:
    resp = history(client, user, **params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [entry["event_id"] for entry in body["data"]]


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def cursor_of(value: object) -> str:
    """A cursor in the endpoint's own encoding; bytes are taken as the raw JSON."""
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_read_history_newest_first(client: httpx.Client) -> None:
    post(client, [event(i, event_id=f"e{i}") for i in (3, 0, 4, 1, 2)])
    post(client, [event(i, event_id=f"b{i}", user_id="bob") for i in range(3)])
    body = page(client)
    assert ids(body) == ["e4", "e3", "e2", "e1", "e0"]
    stamps = [datetime.fromisoformat(entry["ts"]) for entry in body["data"]]
    assert stamps == [T0 + timedelta(minutes=4 * i) for i in (4, 3, 2, 1, 0)]
    assert body["next_cursor"] is None
    assert ids(page(client, "bob")) == ["b2", "b1", "b0"]


def test_read_history_cursor_walks_every_event_once(client: httpx.Client) -> None:
    post(client, [event(i, event_id=f"e{i}") for i in range(8)])
    # Four more plays at the very ts of e3, each sent alone so their ids rise in this order;
    # newest first then means highest id first among them.
    for n in range(4):
        post(client, [event(3, event_id=f"tie{n}", item={"artist": "Tie", "title": f"T{n}"})])
    expected = ["e7", "e6", "e5", "e4", "tie3", "tie2", "tie1", "tie0", "e3", "e2", "e1", "e0"]
    assert ids(page(client)) == expected

    for limit in (1, 2, 3, 5):
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            body = page(client, **params)
            pages += 1
            assert len(body["data"]) <= limit
            seen += ids(body)
            cursor = body["next_cursor"]
            if cursor is None:
                break
            assert len(body["data"]) == limit
            assert pages <= len(expected), "cursor never ended"
        assert seen == expected, limit
        assert pages == -(-len(expected) // limit), limit


def test_read_history_last_full_page_has_no_cursor(client: httpx.Client) -> None:
    post(client, [event(i, event_id=f"e{i}") for i in range(6)])
    first = page(client, limit=3)
    assert ids(first) == ["e5", "e4", "e3"]
    assert isinstance(first["next_cursor"], str)
    second = page(client, limit=3, cursor=first["next_cursor"])
    assert ids(second) == ["e2", "e1", "e0"]
    assert second["next_cursor"] is None
    assert page(client, limit=6)["next_cursor"] is None


def test_read_history_cursor_respects_time_window(client: httpx.Client) -> None:
    post(client, [event(i, event_id=f"e{i}") for i in range(10)])
    window = {"from": at(8), "to": at(32)}  # e2 .. e7
    first = page(client, limit=4, **window)
    assert ids(first) == ["e7", "e6", "e5", "e4"]
    second = page(client, limit=4, cursor=first["next_cursor"], **window)
    assert ids(second) == ["e3", "e2"]
    assert second["next_cursor"] is None


def test_read_history_window_from_inclusive_to_exclusive(client: httpx.Client) -> None:
    post(client, [event(i, event_id=f"e{i}") for i in range(6)])  # every 4 minutes from T0
    epoch = int(T0.timestamp())
    windows: list[dict[str, Any]] = [
        {"from": at(4), "to": at(16)},
        {"from": "2024-03-01T13:04:00+01:00", "to": "2024-03-01T07:16:00-05:00"},
        {"from": epoch + 4 * 60, "to": epoch + 16 * 60},
        {"from": (epoch + 4 * 60) * 1000, "to": (epoch + 16 * 60) * 1000},
        {"from": at(4), "to": epoch + 16 * 60},
    ]
    for window in windows:
        assert ids(page(client, **window)) == ["e3", "e2", "e1"], window
    assert ids(page(client, **{"from": at(20)})) == ["e5"]
    assert ids(page(client, **{"from": at(21)})) == []
    assert ids(page(client, to=at(4))) == ["e0"]
    assert ids(page(client, to=at(0))) == []
    assert ids(page(client, **{"from": at(3), "to": at(5)})) == ["e1"]


def test_read_history_rejects_empty_or_reversed_window(client: httpx.Client) -> None:
    post(client, [event(0)])
    epoch = int(T0.timestamp())
    for window in (
        {"from": at(4), "to": at(4)},
        {"from": at(8), "to": at(4)},
        {"from": epoch, "to": epoch},
        {"from": at(0), "to": epoch - 1},
    ):
        resp = history(client, **window)
        assert resp.status_code == 422, window
        assert resp.json()["detail"][0]["loc"] == ["query", "to"]


def test_read_history_rejects_bad_timestamps(client: httpx.Client) -> None:
    post(client, [event(0)])
    for name, value in [
        ("from", "yesterday"),
        ("from", "2024-03-01T12:00:00"),  # no UTC offset
        ("to", "2024-13-01T00:00:00Z"),
        ("to", "-5"),
    ]:
        resp = history(client, **{name: value})
        assert resp.status_code == 422, (name, value)
        assert resp.json()["detail"][0]["loc"] == ["query", name], (name, value)


def test_read_history_rejects_garbage_cursor(client: httpx.Client) -> None:
    post(client, [event(i) for i in range(3)])
    garbage = [
        "garbage",
        "!!!",
        "a",
        "x" * 200,
        cursor_of({"ts": at(0), "id": 1}),
        cursor_of([at(0)]),
        cursor_of([at(0), 1, 2]),
        cursor_of(None),
        cursor_of(17),
        cursor_of([None, 1]),
        cursor_of(["2024-03-01T12:00:00", 1]),  # no UTC offset
        cursor_of(["not a time", 1]),
        cursor_of([at(0), None]),
        cursor_of([at(0), "one"]),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    ]
    for cursor in garbage:
        resp = history(client, cursor=cursor)
        assert resp.status_code == 422, (cursor, resp.text)
        detail = resp.json()["detail"][0]
        assert detail["loc"] == ["query", "cursor"], cursor
    too_long = history(client, cursor="x" * 201)
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_read_history_rejects_cursor_with_out_of_range_id(client: httpx.Client) -> None:
    """A forged cursor whose id cannot be a row id is not a cursor of this endpoint."""
    post(client, [event(i) for i in range(3)])
    forged = [
        cursor_of([at(0), 1e30]),
        cursor_of([at(0), 2**63]),  # one past the largest BIGINT
        cursor_of(f'["{at(0)}", 100000000000000000000000]'.encode()),
    ]
    for cursor in forged:
        resp = history(client, cursor=cursor)
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_read_history_unknown_user(client: httpx.Client) -> None:
    post(client, [event(0)])
    resp = history(client, "nobody")
    assert resp.status_code == 404
    detail = resp.json()["detail"][0]
    assert detail["loc"] == ["path", "user_id"]
    assert detail["type"] == "not_found"


def test_read_history_rejects_bad_limit(client: httpx.Client) -> None:
    post(client, [event(0)])
    for limit in (0, 1001, -1, "many"):
        resp = history(client, limit=limit)
        assert resp.status_code == 422, limit
        assert resp.json()["detail"][0]["loc"] == ["query", "limit"]
    assert len(page(client, limit=1000)["data"]) == 1


def test_read_history_entries_carry_item_and_event_fields(client: httpx.Client) -> None:
    full = event(
        1,
        event_id="play-1",
        rec_id="rec-9",
        ms_played=183_000,
        skipped=True,
        reason_start="clickrow",
        reason_end="fwdbtn",
        shuffle=False,
        offline=True,
        private=True,
        platform="android",
        country="nl",
        item={
            "artist": "Sigur Rós",
            "title": "Hoppípolla",
            "album": "Takk...",
            "spotify_uri": "spotify:track:6eTGxxQxiTFExKfovY2IxS",
            "duration_ms": 268_000,
        },
    )
    bare = event(0, item={"artist": "Björk", "title": "Jóga"})
    post(client, [full, bare])
    newest, oldest = page(client)["data"]

    assert newest["ts"].startswith("2024-03-01T12:04:00")
    assert datetime.fromisoformat(newest["ts"]) == T0 + timedelta(minutes=4)
    assert newest["ms_played"] == 183_000
    assert newest["event_id"] == "play-1"
    assert newest["rec_id"] == "rec-9"
    assert newest["skipped"] is True
    assert newest["reason_start"] == "clickrow"
    assert newest["reason_end"] == "fwdbtn"
    assert newest["shuffle"] is False
    assert newest["offline"] is True
    assert newest["private"] is True
    assert newest["platform"] == "android"
    assert newest["country"] == "NL"
    assert newest["source"] == "api"
    item = newest["item"]
    assert item["artist"]["name"] == "Sigur Rós"
    assert item["title"] == "Hoppípolla"
    assert item["album"]["title"] == "Takk..."
    assert item["kind"] == "track"
    assert item["spotify_uri"] == "spotify:track:6eTGxxQxiTFExKfovY2IxS"
    assert item["duration_ms"] == 268_000

    assert oldest["item"]["artist"]["name"] == "Björk"
    assert oldest["item"]["title"] == "Jóga"
    assert oldest["item"]["album"] is None
    for field in ("event_id", "rec_id", "skipped", "platform", "country", "shuffle", "offline"):
        assert oldest[field] is None, field
    assert oldest["private"] is False
